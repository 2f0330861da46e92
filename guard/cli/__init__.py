"""The `guard` command: one Typer app; each area registers its own commands."""

from __future__ import annotations

import typer

from guard.cli import audit, consent, db, demo, detect, policy, redact, report, serve
from guard.logging import configure_logging

__all__ = ["app", "main"]

app = typer.Typer(
    name="guard",
    help="Empathy Guard: consent policy, PII redaction and manipulation checks between apps and AI models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

@app.callback()
def _log_to_stderr() -> None:
    # Commands print their results on stdout (JSON, tables); logs go to stderr, scrubbed, warnings
    # and up. `serve` and `demo` set their own logging on top of this.
    configure_logging(json=False, level="WARNING")


# Order here is the order `guard --help` lists them in.
for module in (demo, serve, redact, detect, policy, consent, audit, report, db):
    module.register(app)


def main() -> None:
    app()
