"""`guard demo`: see what Empathy Guard does in 30 seconds, with no API key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from guard.cli._common import console, fail_on_errors

__all__ = ["register"]


def demo(
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its keys, consents and audit log.")] = Path(
        ".guard/demo"
    ),
) -> None:
    """Run a scripted conversation through the proxy and a stand-in model, showing every decision."""
    from guard.demo.run import run_demo
    from guard.logging import configure_logging

    configure_logging(json=False, level="WARNING")  # the panels are the demo's output, not the logs
    with fail_on_errors():
        run_demo(data_dir, console=console)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
