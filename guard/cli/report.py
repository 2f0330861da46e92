"""`guard report --since DATE --until DATE --format html|md|json --out FILE`."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from guard.cli._common import ConfigOption, console, err_console, fail_on_errors, settings_from

__all__ = ["register"]


class ReportFormat(StrEnum):
    HTML = "html"
    MD = "md"
    JSON = "json"


def report(
    since: Annotated[str | None, typer.Option(help="First day or time included (YYYY-MM-DD or ISO 8601, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day included, or time (YYYY-MM-DD or ISO 8601, UTC).")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Output format.")] = ReportFormat.HTML,
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
    source: Annotated[str | None, typer.Option(help="Audit directory or postgresql:// URL (default: configured).")]
    = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's decisions and events.")] = None,
    full: Annotated[bool, typer.Option(help="Check every record's signature too (slower).")] = False,
    workers: Annotated[int, typer.Option(min=0, help="Processes reading the log (0: one per CPU).")] = 0,
    config: ConfigOption = None,
) -> None:
    """Write a compliance report over the audit trail: actions over time, consent, redactions,
    manipulation findings, policy revisions, chain verification and the regulation-to-evidence
    table. Exit 1 (after writing) if the audit chains do not verify."""
    from guard.audit import open_source
    from guard.audit.report import render
    from guard.audit.report.collect import Period, build_report

    with fail_on_errors():
        settings = settings_from(config)
        try:
            Period.parse(since, until)
        except ValueError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(2) from None
        if source and not source.startswith(("postgresql://", "postgres://")) and not Path(source).is_dir():
            err_console.print(f"[bold red]error:[/] {source} is not an audit directory.")
            raise typer.Exit(2)
        document = build_report(open_source(settings, source), since=since, until=until, tenant=tenant, full=full,
                                workers=workers or os.cpu_count() or 1)
    text = render(document, fmt.value)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({document['totals']['decisions']} decisions)", highlight=False, soft_wrap=True)
    if not document["verification"]["ok"]:
        err_console.print("[bold red]the audit chains did not verify[/]: see the report's verification section "
                          "or run `guard audit verify`.")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
