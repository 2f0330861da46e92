"""Helpers every command shares: loading settings and turning GuardErrors into exit status 2."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from guard.core.config import GuardSettings, load_settings
from guard.errors import ConfigError, GuardError

__all__ = ["ConfigOption", "console", "err_console", "fail_on_errors", "settings_from"]

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (else $GUARD_CONFIG, else ./guard.yaml)."),
]


def settings_from(config: Path | None, **overrides: Any) -> GuardSettings:
    return load_settings(config, **overrides)


@contextmanager
def fail_on_errors() -> Iterator[None]:
    """Print a GuardError as a clear message; configuration problems exit 2, others 1."""
    try:
        yield
    except ConfigError as exc:
        err_console.print(f"[bold red]configuration error:[/] {exc}")
        raise typer.Exit(2) from None
    except GuardError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
