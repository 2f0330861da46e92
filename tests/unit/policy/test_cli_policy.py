"""`guard policy test` and `guard policy eval`."""

from __future__ import annotations

import json
from pathlib import Path

import structlog
import typer
from typer.testing import CliRunner

from guard.cli import app


def _app() -> typer.Typer:
    """The `guard` command as users run it (its root callback sends logs to stderr, not stdout)."""
    return app


runner = CliRunner()


def test_policy_test_passes_on_the_shipped_pack() -> None:
    """Every shipped test is listed as PASS and the exit status is 0."""
    result = runner.invoke(_app(), ["policy", "test"])
    assert result.exit_code == 0, result.output
    assert "PASS guard.admit_test.test_eu_workplace_emotion_inference_is_refused_even_with_consent" in result.output
    assert " 0 failed" in result.output


def test_policy_test_exits_1_on_a_failing_test(pack_copy: Path) -> None:
    """A pack whose data breaks a test prints FAIL for it and exits 1."""
    path = pack_copy / "data" / "regimes.json"
    data = json.loads(path.read_text())
    data["regimes"]["eu"]["emotion_inference_ban"]["settings"] = ["education"]
    path.write_text(json.dumps(data))
    result = runner.invoke(_app(), ["policy", "test", str(pack_copy)])
    assert result.exit_code == 1
    assert "FAIL guard.admit_test.test_eu_workplace_emotion_inference_is_refused_even_with_consent" in result.output


def test_policy_test_exits_1_on_a_broken_policy(pack_copy: Path) -> None:
    """A policy that does not compile makes the run fail with the file and line."""
    path = pack_copy / "guard" / "admit.rego"
    path.write_text(path.read_text() + "\nbroken if {\n  input.x ==\n}\n")
    result = runner.invoke(_app(), ["policy", "test", str(pack_copy)])
    assert result.exit_code == 1
    assert "guard/admit.rego:" in result.output


def test_policy_test_on_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    """A directory that does not exist is a configuration error (exit 2)."""
    result = runner.invoke(_app(), ["policy", "test", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_policy_eval_prints_the_admit_decision(tmp_path: Path) -> None:
    """eval --entry admit prints the revision and the decision for the input file."""
    document = {
        "context": {"setting": "workplace", "region": "DE", "country": "DE", "language": "de", "locale": "de",
                    "age_band": "adult", "purposes": ["emotion_inference"], "model_kind": "generative"},
        "consents": [], "signals": {"crisis": False}, "now": "2026-06-01T00:00:00.000000Z",
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(_app(), ["policy", "eval", "--entry", "admit", "--input", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["decision"]["allow"] is False
    assert out["decision"]["reasons"][0]["citation"] == "EU AI Act Art. 5(1)(f)"
    assert len(out["revision"]) == 64


def test_policy_eval_output_entry(tmp_path: Path) -> None:
    """eval --entry output judges findings."""
    document = {
        "context": {"setting": "companion", "region": "US-NY", "country": "US", "language": "en",
                    "age_band": "adult", "purposes": ["generation"], "model_kind": "generative"},
        "findings": [{"detector": "m", "label": "exit.fomo", "score": 0.9, "start": 0, "end": 4}],
        "obligations": {},
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(_app(), ["policy", "eval", "--entry", "output", "--input", str(path)])
    assert json.loads(result.output)["decision"]["action"] == "block"


def test_policy_eval_rejects_bad_arguments(tmp_path: Path) -> None:
    """An unknown entry or unreadable input is a usage error (exit 2)."""
    assert runner.invoke(_app(), ["policy", "eval", "--entry", "x", "--input", "-"]).exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert runner.invoke(_app(), ["policy", "eval", "--entry", "admit", "--input", str(bad)]).exit_code == 2


def test_policy_eval_stdout_is_only_json_whatever_logging_was_before(tmp_path: Path) -> None:
    """The engine logs while loading the pack; with logging left at structlog's defaults (stdout),
    the command still sends its logs to stderr, so stdout parses as JSON."""
    structlog.reset_defaults()
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"context": {"setting": "general", "region": "BR", "purposes": ["generation"]},
                                "consents": [], "signals": {}, "now": "2026-06-01T00:00:00.000000Z"}))
    result = runner.invoke(_app(), ["policy", "eval", "--entry", "admit", "--input", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decision"]["allow"] is True
