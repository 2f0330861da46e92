"""`guard report`: what it counts, what it matches to which law, and the three output formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from guard.audit import open_source
from guard.audit.report import render
from guard.audit.report.collect import Period, build_report
from guard.audit.report.regulations import cited_regulations
from guard.audit.report.schema import REPORT_JSON_SCHEMA
from guard.cli.report import register
from guard.core.config import GuardSettings

from .sample_log import write_sample_log
from .stores import JsonlStore

runner = CliRunner()


@pytest.fixture
def logged(settings: GuardSettings) -> GuardSettings:
    write_sample_log(settings)
    return settings


@pytest.fixture
def report(logged: GuardSettings) -> dict[str, Any]:
    return build_report(open_source(logged), since="2026-11-01", until="2026-11-05")


def _validate(value: Any, schema: dict[str, Any], path: str = "$") -> None:
    """A small JSON Schema subset (type, const, enum, required, properties, items, additionalProperties)."""
    types = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool, "null": type(None)}
    if "const" in schema:
        assert value == schema["const"], path
    if "enum" in schema:
        assert value in schema["enum"], path
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(isinstance(value, types[t]) and not (t == "integer" and isinstance(value, bool))
                   for t in allowed), f"{path}: {type(value).__name__} is not {allowed}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{path}: missing {key}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                _validate(item, properties[key], f"{path}.{key}")
            elif extra is False:
                raise AssertionError(f"{path}: unexpected key {key}")
            elif isinstance(extra, dict):
                _validate(item, extra, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _validate(item, schema["items"], f"{path}[{index}]")


def test_counts_in_the_period(report: dict[str, Any]) -> None:
    """Decisions inside [since, until] are counted by action, day, entity type, tactic and revision."""
    assert report["totals"]["decisions"] == 9  # the 9 Nov decision is outside the period
    assert report["totals"]["by_action"] == {"pass": 3, "annotate": 1, "rewrite": 2, "block": 3}
    assert report["totals"]["refused"] == 2
    points = {p["t"]: p for p in report["actions_over_time"]["points"]}
    assert report["actions_over_time"]["bucket"] == "day"
    assert list(points) == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    assert points["2026-11-03"] == {"t": "2026-11-03", "pass": 0, "annotate": 0, "rewrite": 2, "block": 1}
    assert report["redactions"] == {"PERSON": 6, "EMAIL_ADDRESS": 3}
    assert [(t["tactic"], t["findings"]) for t in report["manipulation"]] == [("exit.premature", 2), ("guilt", 1)]
    assert [(r["revision"], r["decisions"]) for r in report["policy_revisions"]] == [("rev-a", 5), ("rev-b", 4)]


def test_consent_refusals_by_purpose_and_region(report: dict[str, Any]) -> None:
    """A consent refusal counts for the purpose its reason names and the exchange's region."""
    assert report["consent"]["by_purpose"] == {"emotion_inference": {"allowed": 0, "refused": 1}}
    assert report["consent"]["by_region"] == {"DE": {"allowed": 0, "refused": 1}}
    assert report["consent"]["rules"] == {"consent.missing": 1}


def test_examples_are_scrubbed(report: dict[str, Any]) -> None:
    """Finding examples never show a personal-data shape, even if one slipped into the evidence."""
    examples = [e for t in report["manipulation"] for e in t["examples"]]
    assert examples
    assert not any("x.y@example.com" in e for e in examples)


def test_regulation_table_maps_citations_obligations_and_events(logged: GuardSettings) -> None:
    """Each of the pack's laws gets a row; evidence comes from citations, obligations and events."""
    report = build_report(open_source(logged))  # whole log: the events (today) are included
    rows = {r["citation"]: r for r in report["regulations"]}
    assert list(rows) == ["EU AI Act Art. 5(1)(a)", "EU AI Act Art. 5(1)(b)", "EU AI Act Art. 5(1)(f)",
                          "EU AI Act Art. 50(1)", "EU AI Act Art. 50(3)", "GDPR Art. 7", "GDPR Art. 9",
                          "GDPR Art. 17", "GDPR Art. 30", "CA SB 243", "NY GBL Art. 47", "IL HB 1806"]
    assert rows["EU AI Act Art. 5(1)(a)"]["decisions"] == 3
    assert rows["EU AI Act Art. 5(1)(a)"]["by_action"] == {"pass": 0, "annotate": 0, "rewrite": 2, "block": 1}
    assert rows["EU AI Act Art. 5(1)(f)"]["refused"] == 1
    assert rows["EU AI Act Art. 50(1)"]["obligations"] == 3
    assert rows["GDPR Art. 7"]["decisions"] == 1
    assert rows["GDPR Art. 7"]["events"] == 2
    assert rows["GDPR Art. 17"]["events"] == 1
    assert rows["GDPR Art. 30"]["status"] == "evidence"
    assert rows["IL HB 1806"]["status"] == "no evidence in period"


@pytest.mark.parametrize(("citation", "expected"), [
    ("EU AI Act Art. 5(1)(f)", ("euaiactart.5(1)(f)",)),
    ("EU AI Act Art. 50(1)", ("euaiactart.50(1)",)),
    ("GDPR Art. 6(1)(a), Art. 7", ("gdprart.7",)),
    ("GDPR Art. 9(2)(a)", ("gdprart.9",)),
    ("GDPR Art. 90", ()),
    ("GDPR Article 17", ("gdprart.17",)),
    ("New York GBL Art. 47 §1702", ("nygblart.47",)),
    ("California SB 243 (Bus. & Prof. Code §22602(c))", ("casb243",)),
    ("Illinois HB 1806 (Public Act 104-0054)", ("ilhb1806",)),
    ("EU AI Act Art. 5(1)(a) and Art. 5(1)(b)", ("euaiactart.5(1)(a)", "euaiactart.5(1)(b)")),
])
def test_citations_match_their_regulation(citation: str, expected: tuple[str, ...]) -> None:
    """Citations match by law and article, with sub-paragraphs but not longer article numbers."""
    assert cited_regulations(citation) == expected


def test_period_parsing() -> None:
    """Date-only bounds include the whole last day; a reversed period is refused."""
    period = Period.parse("2026-11-01", "2026-11-05")
    assert period.contains("2026-11-05T23:59:59.5Z")
    assert not period.contains("2026-11-06T00:00:00Z")
    assert Period.parse("2026-11-01T10:00:00+01:00", None).since == "2026-11-01T09:00:00"
    with pytest.raises(ValueError, match="after"):
        Period.parse("2026-11-05", "2026-11-01")
    with pytest.raises(ValueError, match="not a date"):
        Period.parse("last tuesday", None)


def test_json_output_follows_the_documented_schema(report: dict[str, Any]) -> None:
    """The JSON report validates against REPORT_JSON_SCHEMA."""
    _validate(json.loads(render(report, "json")), REPORT_JSON_SCHEMA)


def test_markdown_has_every_section(report: dict[str, Any]) -> None:
    """The Markdown report has each section and the regulation table."""
    text = render(report, "md")
    for heading in ("## Summary", "## Exchanges by action over time", "## Consent decisions and refusals",
                    "## Redactions by entity type", "## Manipulation findings by tactic",
                    "## Policy revisions in force", "## Audit chain verification",
                    "## Regulations and the evidence in the records"):
        assert heading in text
    assert "| EU AI Act Art. 5(1)(f) | evidence |" in text


def test_html_is_self_contained(report: dict[str, Any]) -> None:
    """The HTML page loads nothing from elsewhere and runs no script."""
    page = render(report, "html")
    assert page.count("<svg") == 4
    for forbidden in ("<script", "http://", "https://", "src=", "<link", "@import"):
        assert forbidden not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "@media print" in page


def test_html_escapes_record_content(settings: GuardSettings) -> None:
    """Text from records (rule ids, revisions) is escaped, never interpreted as markup."""
    import asyncio

    from guard.audit import open_recorder

    from .conftest import make_decision

    async def run() -> None:
        recorder = open_recorder(settings)
        decision = make_decision()
        decision.policy_revision = "<script>alert(1)</script>"
        await recorder.record(decision)
        await recorder.aclose()

    asyncio.run(run())
    page = render(build_report(open_source(settings)), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps `report` a named sub-command as in the real app
        return None

    return app


def test_cli_writes_each_format(app: typer.Typer, logged: GuardSettings, tmp_path: Path) -> None:
    """guard report writes html, md and json files and exits 0 on a verified log."""
    config = tmp_path / "guard.yaml"
    config.write_text(f"data_dir: {logged.data_dir}\n")
    for fmt in ("html", "md", "json"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(app, ["report", "--config", str(config), "--since", "2026-11-01", "--until",
                                     "2026-11-05", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 500


def test_cli_exit_codes(app: typer.Typer, logged: GuardSettings, tmp_path: Path) -> None:
    """A bad date exits 2; a tampered log still gets a report but exits 1."""
    config = tmp_path / "guard.yaml"
    config.write_text(f"data_dir: {logged.data_dir}\n")
    bad = runner.invoke(app, ["report", "--config", str(config), "--since", "yesterday-ish"])
    assert bad.exit_code == 2
    store = JsonlStore(logged)
    chain = next((Path(logged.data_dir) / "audit" / "chains").iterdir()).name
    lines = store.lines(chain)
    store.rewrite(chain, lines[:2] + lines[3:])
    out = tmp_path / "r.json"
    tampered = runner.invoke(app, ["report", "--config", str(config), "--format", "json", "--out", str(out)])
    assert tampered.exit_code == 1
    document = json.loads(out.read_text())
    assert document["verification"]["ok"] is False
    assert document["verification"]["problems"][0]["kind"] == "deleted"


@pytest.mark.slow
def test_parallel_report_matches_sequential(logged: GuardSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts merged from worker processes equal the counts of one sequential pass."""
    import guard.audit.verify as verify_module

    from .stores import write_chain

    write_chain(logged, 4)  # a second chain, so there are two parts to share out
    monkeypatch.setattr(verify_module, "_PARALLEL_BYTES", 0)
    reports = [build_report(open_source(logged), since="2026-11-01", until="2026-12-31", workers=w)
               for w in (1, 2)]
    for report in reports:
        report.pop("generated_at")
    assert reports[0] == reports[1]
    assert reports[0]["totals"]["decisions"] == 14


def test_consent_events_by_purpose_and_tenant_filter(logged: GuardSettings) -> None:
    """Consent events count per purpose; --tenant keeps only that tenant's decisions and events."""
    everything = build_report(open_source(logged))
    assert everything["consent"]["events_by_purpose"] == {"emotion_inference": {"granted": 1, "withdrawn": 1}}
    other = build_report(open_source(logged), tenant="globex")
    assert other["totals"]["decisions"] == 0
    assert other["consent"]["events"] == {}
    assert other["tenant"] == "globex"
    _validate(other, REPORT_JSON_SCHEMA)


def test_short_periods_are_bucketed_by_hour(settings: GuardSettings) -> None:
    """Records spanning less than two days are charted per hour."""
    from .stores import write_chain

    write_chain(settings, 3)
    series = build_report(open_source(settings))["actions_over_time"]
    assert series["bucket"] == "hour"
    assert series["points"][0]["t"].endswith(":00")
    assert sum(p["pass"] for p in series["points"]) == 3


def test_html_warns_at_the_top_when_verification_failed(logged: GuardSettings) -> None:
    """A report over a tampered log says so before any figure."""
    store = JsonlStore(logged)
    chain = next((Path(logged.data_dir) / "audit" / "chains").iterdir()).name
    lines = store.lines(chain)
    store.rewrite(chain, lines[:2] + lines[3:])
    page = render(build_report(open_source(logged)), "html")
    assert page.index("did not verify") < page.index('id="summary"')


def test_cli_refuses_a_missing_source(app: typer.Typer, tmp_path: Path) -> None:
    """--source naming no directory is a usage error (exit 2), not an empty report."""
    result = runner.invoke(app, ["report", "--source", str(tmp_path / "nowhere"), "--format", "json"])
    assert result.exit_code == 2


@pytest.mark.postgres
def test_report_over_postgres_matches_the_files(settings: GuardSettings, pg_url: str, tmp_path: Path) -> None:
    """The same records in PostgreSQL give the same report as in JSONL files, read in parallel too."""
    in_pg = settings.model_copy(update={"audit": settings.audit.model_copy(update={"url": pg_url})})
    write_sample_log(in_pg)
    files = GuardSettings(data_dir=str(tmp_path / "files"))
    write_sample_log(files)
    reports = [build_report(open_source(s), since="2026-11-01", until="2026-11-05", workers=w)
               for s, w in ((in_pg, 1), (in_pg, 2), (files, 1))]
    for report in reports:
        for key in ("generated_at", "source", "verification"):
            report.pop(key)
    assert reports[0] == reports[1] == reports[2]
