"""`guard serve` and `guard config check`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from guard.cli._common import ConfigOption, console, fail_on_errors, settings_from

__all__ = ["register"]


def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (server.port).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (server.workers).")] = None,
) -> None:
    """Run the proxy in front of the configured upstreams."""
    import uvicorn

    with fail_on_errors():
        settings = settings_from(config)
        host = host or settings.server.host
        port = port if port is not None else settings.server.port
        workers = workers or settings.server.workers
        from guard.logging import configure_logging

        configure_logging(json=True)
        # A bad signing key would stop every worker with a traceback; say it once, clearly (exit 2).
        from guard.audit import open_signing_key_for

        open_signing_key_for(settings)
        # No access log: its lines carry concrete paths (/guard/consent/<subject>/...), and one line per
        # request costs the proxy ~3 % of its CPU; /metrics counts requests by route template instead.
        if workers == 1:
            from guard.proxy import create_app

            uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
            return
        # Separate processes must load the configuration themselves: hand them the file path.
        if config is not None:
            os.environ["GUARD_CONFIG"] = str(config.resolve())
        uvicorn.run("guard.proxy.asgi:app", factory=True, host=host, port=port, workers=workers, log_config=None,
                    access_log=False)


def config_check(file: Annotated[Path | None, typer.Argument(help="Config file to check.")] = None) -> None:
    """Validate a configuration file (and GUARD_* variables); exit 2 with the problems if invalid."""
    with fail_on_errors():
        settings = settings_from(file)
    console.print("[green]configuration is valid[/]")
    console.print_json(settings.model_dump_json(exclude_defaults=True) or "{}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    config_app = typer.Typer(help="Check configuration.", no_args_is_help=True)
    config_app.command("check")(config_check)
    app.add_typer(config_app, name="config")
