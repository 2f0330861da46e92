"""The report as Markdown: the same sections and tables as the HTML, without charts."""

from __future__ import annotations

from typing import Any

from guard.audit.report.collect import ACTIONS

__all__ = ["render_markdown"]


def _escape(value: Any) -> str:
    if isinstance(value, list):
        return "<br>".join(_escape(v) for v in value)
    return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["_Nothing recorded in this period._", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_escape(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(report: dict[str, Any]) -> str:
    period, totals = report["period"], report["totals"]
    verification = report["verification"]
    out = ["# Empathy Guard compliance report", "",
           f"Period {period['since'] or 'start'} to {period['until'] or 'now'} · generated "
           f"{report['generated_at']} · source `{report['source']}` · schema {report['schema']}", "",
           "## Summary", ""]
    out += _table(["measure", "count"], [["decisions", totals["decisions"]], ["refused", totals["refused"]],
                                         ["errors", totals["errors"]], ["audit events", totals["events"]],
                                         *[[f"action {a}", totals["by_action"][a]] for a in ACTIONS]])
    series = report["actions_over_time"]
    out += [f"## Exchanges by action over time (per {series['bucket']})", ""]
    out += _table([series["bucket"], *ACTIONS], [[p["t"], *[p[a] for a in ACTIONS]] for p in series["points"]
                                                 if any(p[a] for a in ACTIONS)])  # quiet buckets omitted
    consent = report["consent"]
    out += ["## Consent decisions and refusals", ""]
    out += _table(["purpose", "allowed", "refused"],
                  [[k, v["allowed"], v["refused"]] for k, v in consent["by_purpose"].items()])
    out += _table(["region", "allowed", "refused"],
                  [[k, v["allowed"], v["refused"]] for k, v in consent["by_region"].items()])
    out += _table(["audit event", "count"], [[k, v] for k, v in consent["events"].items()])
    out += ["## Redactions by entity type", ""]
    out += _table(["entity type", "values redacted"], [[k, v] for k, v in report["redactions"].items()])
    out += ["## Manipulation findings by tactic", ""]
    out += _table(["tactic", "findings", "blocked", "rewritten", "annotated", "redacted examples"],
                  [[t["tactic"], t["findings"], t["by_action"]["block"], t["by_action"]["rewrite"],
                    t["by_action"]["annotate"], t["examples"]] for t in report["manipulation"]])
    out += ["## Policy revisions in force", ""]
    out += _table(["revision", "first seen", "last seen", "decisions"],
                  [[r["revision"], r["first_seen"], r["last_seen"], r["decisions"]]
                   for r in report["policy_revisions"]])
    out += ["## Audit chain verification", "",
            ("**All chains verified.**" if verification["ok"] else "**Verification FAILED.**")
            + f" {verification['records']} record(s) in {len(verification['chains'])} chain(s).", ""]
    out += _table(["chain", "records", "last seq", "closed", "result"],
                  [[c["chain"], c["records"], c["last_seq"], c["closed"], "ok" if c["ok"] else "FAILED"]
                   for c in verification["chains"]])
    if verification["problems"]:
        out += _table(["problem", "chain", "seq", "where", "detail"],
                      [[p["kind"], p["chain"], p["seq"], p["location"], p["message"]]
                       for p in verification["problems"]])
    out += ["## Regulations and the evidence in the records", ""]
    out += _table(["rule", "status", "evidence", "policy rules"],
                  [[r["citation"], r["status"], r["evidence"], ", ".join(r["rules"]) or "-"]
                   for r in report["regulations"]])
    return "\n".join(out)
