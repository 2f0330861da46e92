"""The report as one self-contained HTML page: inline CSS and SVG, no script, no external resource."""

from __future__ import annotations

from html import escape
from typing import Any

from guard.audit.report.charts import bar_chart, stacked_chart
from guard.audit.report.collect import ACTIONS

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:2rem auto;max-width:940px;
padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5d9e0;
padding-bottom:.2rem}
.meta{color:#5b6372}.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600}
.ok{background:#dff1e5;color:#1e6b3a}.fail{background:#f8dcda;color:#8a1f17}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #d5d9e0;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f2f4f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto}
.regulations td:first-child{white-space:nowrap;font-weight:600}
.empty{color:#5b6372;font-style:italic}code{font-size:.9em}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}table,svg,.keep{break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""


def _cell(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="n">{value}</td>'
    if isinstance(value, list):
        return "<td>" + "<br>".join(escape(str(v)) for v in value) + "</td>"
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(headers: list[str], rows: list[list[Any]], *, cls: str = "", empty: str = "") -> str:
    if not rows:
        return f'<p class="empty">{escape(empty or "Nothing recorded in this period.")}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def _summary(report: dict[str, Any]) -> str:
    totals = report["totals"]
    rows = [["decisions", totals["decisions"]], ["refused before the model", totals["refused"]],
            ["ended in an error", totals["errors"]], ["other audit events", totals["events"]],
            *[[f"action {a}", totals["by_action"][a]] for a in ACTIONS]]
    return _section("summary", "Summary", _table(["measure", "count"], rows, cls="summary"))


def _actions(report: dict[str, Any]) -> str:
    series = report["actions_over_time"]
    chart = stacked_chart(series["points"], ACTIONS, title=f"Exchanges by action per {series['bucket']}")
    return _section("actions", f"Exchanges by action over time (per {series['bucket']})", chart)


def _consent(report: dict[str, Any]) -> str:
    consent = report["consent"]
    refusals = sorted(((p, c["refused"]) for p, c in consent["by_purpose"].items()), key=lambda x: -x[1])
    return _section(
        "consent", "Consent decisions and refusals",
        bar_chart(refusals, title="Consent refusals by purpose", colour="#b8403a"),
        _table(["purpose", "allowed", "refused"],
               [[p, c["allowed"], c["refused"]] for p, c in consent["by_purpose"].items()], cls="consent-purpose",
               empty="No consent decisions in this period."),
        _table(["region", "allowed", "refused"],
               [[r, c["allowed"], c["refused"]] for r, c in consent["by_region"].items()], cls="consent-region"),
        _table(["consent rule", "decisions"], [[k, v] for k, v in consent["rules"].items()], cls="consent-rules"),
        _table(["audit event", "count"], [[k, v] for k, v in consent["events"].items()], cls="events",
               empty="No consent or erasure events in this period."),
        _table(["purpose", "consent events"],
               [[p, [f"{k}: {v}" for k, v in c.items()]] for p, c in consent["events_by_purpose"].items()],
               cls="consent-events", empty=""),
    )


def _redactions(report: dict[str, Any]) -> str:
    items = list(report["redactions"].items())
    return _section("redactions", "Redactions by entity type",
                    bar_chart(items, title="Redactions by entity type"),
                    _table(["entity type", "values redacted"], [list(i) for i in items], cls="redactions"))


def _manipulation(report: dict[str, Any]) -> str:
    tactics = report["manipulation"]
    rows = [[t["tactic"], t["findings"], t["by_action"]["block"], t["by_action"]["rewrite"],
             t["by_action"]["annotate"], t["examples"]] for t in tactics]
    return _section("manipulation", "Manipulation findings by tactic",
                    bar_chart([(t["tactic"], t["findings"]) for t in tactics], title="Findings by tactic",
                              colour="#d9733f"),
                    _table(["tactic", "findings", "blocked", "rewritten", "annotated", "redacted examples"], rows,
                           cls="tactics"))


def _revisions(report: dict[str, Any]) -> str:
    rows = [[r["revision"], r["first_seen"], r["last_seen"], r["decisions"]] for r in report["policy_revisions"]]
    return _section("revisions", "Policy revisions in force",
                    _table(["revision", "first seen", "last seen", "decisions"], rows, cls="revisions"))


def _verification(report: dict[str, Any]) -> str:
    result = report["verification"]
    badge = ('<span class="badge ok">all chains verified</span>' if result["ok"]
             else '<span class="badge fail">verification FAILED</span>')
    mode = "every record's signature" if result["full"] else "hash chain, checkpoints and head signatures"
    chains = [[c["chain"], c["records"], c["last_seq"], "closed" if c["closed"] else "open", c["kid"],
               "ok" if c["ok"] else "FAILED", c["warnings"]] for c in result["chains"]]
    problems = [[p["kind"], p["chain"], p["seq"], p["location"], p["message"]] for p in result["problems"]]
    return _section("verification", "Audit chain verification",
                    f"<p>{badge} {result['records']} record(s) in {len(result['chains'])} chain(s); "
                    f"checked {mode}.</p>",
                    _table(["chain", "records", "last seq", "state", "key", "result", "warnings"], chains,
                           cls="chains"),
                    _table(["problem", "chain", "seq", "where", "detail"], problems, cls="problems")
                    if problems else "")


def _regulations(report: dict[str, Any]) -> str:
    rows = [[r["citation"], r["substance"], r["status"], r["evidence"], ", ".join(r["rules"]) or "-",
             _span(r["first_seen"], r["last_seen"])] for r in report["regulations"]]
    return _section("regulations", "Regulations and the evidence in the records",
                    _table(["rule", "substance", "status", "evidence", "policy rules", "seen"], rows,
                           cls="regulations"))


def _span(first: str | None, last: str | None) -> str:
    if not first or not last:
        return "-"
    return first[:10] if first[:10] == last[:10] else f"{first[:10]} to {last[:10]}"


def render_html(report: dict[str, Any]) -> str:
    period = report["period"]
    title = "Empathy Guard compliance report"
    scope = f" · tenant {escape(report['tenant'])}" if report.get("tenant") else ""
    header = (f"<header><h1>{title}</h1><p class=\"meta\">Period {escape(str(period['since'] or 'start'))} to "
              f"{escape(str(period['until'] or 'now'))}{scope} · generated {escape(report['generated_at'])} · source "
              f"<code>{escape(report['source'])}</code> · schema {escape(report['schema'])}</p></header>")
    if not report["verification"]["ok"]:
        header += ('<p class="badge fail">The audit chains did not verify: the figures below may be incomplete. '
                   'See "Audit chain verification".</p>')
    body = "".join((header, _summary(report), _actions(report), _consent(report), _redactions(report),
                    _manipulation(report), _revisions(report), _verification(report), _regulations(report)))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body>{body}</body></html>\n")
