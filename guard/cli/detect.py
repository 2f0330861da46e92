"""`guard detect [FILE|-]`: score answers for manipulation and show the evidence.

Input is JSON lines of `{"user": ..., "response": ...}` or, if the input is not JSON lines, plain
text taken as one answer (with `--user` as the user's last message). Exit status: 0 when nothing
scores at or above the threshold, 1 when something does, 2 on unreadable input or a bad option.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]

_STYLES = ("bold red", "bold magenta", "bold yellow", "bold cyan", "bold blue", "bold green")


def register(app: typer.Typer) -> None:
    """Add the `detect` command to the main app."""
    app.command("detect", help="Score answers for manipulative tactics and highlight the evidence.")(detect)


def detect(
    file: Annotated[str, typer.Argument(help="JSON lines of {user, response}, or plain text; '-' reads stdin")] = "-",
    user: Annotated[str, typer.Option(help="The user's last message, for plain-text input")] = "",
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="Report findings scoring at least this")] = 0.5,
    model: Annotated[str | None, typer.Option(help="Model file (default: the shipped one)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per input line")] = False,
) -> None:
    from rich.console import Console

    from guard.detect.detector import ManipulationDetector
    from guard.detect.model import load_model
    from guard.errors import GuardError

    console = Console(highlight=False)
    try:
        items = _read(file, user)
        detector = ManipulationDetector(load_model(model), min_score=threshold)
    except GuardError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    flagged = False
    for n, item in enumerate(items, 1):
        findings = detector.analyze(item["response"], user=item["user"])
        flagged = flagged or bool(findings)
        if as_json:
            doc = {"line": n, "manipulative": bool(findings), "findings": [f.to_document() for f in findings]}
            typer.echo(json.dumps(doc, ensure_ascii=False))
        else:
            _show(console, n, item, findings)
    raise typer.Exit(1 if flagged else 0)


def _read(file: str, user: str) -> list[dict[str, str]]:
    from guard.errors import BadRequest

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadRequest(
            f"Cannot read {file}: {exc.strerror}.", hint="Give a readable file or '-' for stdin."
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and all(line.lstrip().startswith("{") for line in lines):
        items = []
        for number, line in enumerate(lines, 1):
            try:
                row: Any = json.loads(line)
            except ValueError:
                raise BadRequest(
                    f"Line {number} is not valid JSON.", hint="Each line must be {user, response}."
                ) from None
            if not isinstance(row, dict) or not isinstance(row.get("response"), str):
                raise BadRequest(f"Line {number} has no string 'response'.", hint="Each line must be {user, response}.")
            items.append({"user": str(row.get("user") or ""), "response": row["response"]})
        return items
    return [{"user": user, "response": text.strip()}]


def _show(console: Any, number: int, item: dict[str, str], findings: list[Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    tactics = sorted({f.label for f in findings})
    style = {tactic: _STYLES[i % len(_STYLES)] for i, tactic in enumerate(tactics)}
    body = Text(item["response"])
    for finding in findings:
        body.stylize(style[finding.label] + " underline", finding.start, finding.end)
    verdict = "[red]manipulative[/red]" if findings else "[green]no finding[/green]"
    console.rule(f"#{number}  {verdict}")
    if item["user"]:
        console.print(Text("user: ", style="dim") + Text(item["user"], style="dim"))
    console.print(body)
    if findings:
        table = Table(show_edge=False)
        for column in ("tactic", "score", "span", "evidence"):
            table.add_column(column)
        for finding in findings:
            table.add_row(
                Text(finding.label, style=style[finding.label]), f"{finding.score:.2f}",
                f"{finding.start}-{finding.end}", Text(finding.evidence),
            )
        console.print(table)
