"""Compliance reports over the audit trail: one streaming pass, rendered as HTML, Markdown or JSON."""

from __future__ import annotations

from typing import Any

__all__ = ["render"]

FORMATS = ("html", "md", "json")


def render(report: dict[str, Any], fmt: str) -> str:
    """The report document in `fmt` (html, md or json)."""
    if fmt == "html":
        from guard.audit.report.html import render_html

        return render_html(report)
    if fmt == "md":
        from guard.audit.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "json":
        import json

        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r}; use html, md or json")
