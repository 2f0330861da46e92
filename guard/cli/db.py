"""`guard db upgrade` and `guard db status`: the PostgreSQL schema of consent, vault and audit."""

from __future__ import annotations

import typer

from guard.cli._common import ConfigOption, console, fail_on_errors, settings_from

__all__ = ["register"]


def upgrade(config: ConfigOption = None) -> None:
    """Apply pending schema migrations to every PostgreSQL database the configuration names."""
    from guard.db import redact_url, targets
    from guard.db import upgrade as run_upgrade

    with fail_on_errors():
        settings = settings_from(config)
        databases = targets(settings)
        if not databases:
            console.print("nothing to migrate: no postgresql:// URL in consent.url, pii.vault_url or audit.url")
            return
        for url, components in databases.items():
            report = run_upgrade(url, components)
            console.print(f"[bold]{redact_url(url)}[/] ({', '.join(components)})")
            for migration in report.applied:
                console.print(f"  applied  {migration.component} v{migration.version}: {migration.description}")
            for component, version in report.already:
                console.print(f"  current  {component} v{version}")


def status(config: ConfigOption = None) -> None:
    """List pending migrations; exit 1 if any are pending (for deployment checks)."""
    from guard.db import pending, redact_url, targets

    with fail_on_errors():
        settings = settings_from(config)
        waiting = 0
        for url, components in targets(settings).items():
            todo = pending(url, components)
            waiting += len(todo)
            console.print(f"[bold]{redact_url(url)}[/] ({', '.join(components)}): "
                          + (", ".join(f"{m.component} v{m.version} pending" for m in todo) or "up to date"))
    if waiting:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="PostgreSQL schema: upgrade and status.", no_args_is_help=True)
    db_app.command("upgrade")(upgrade)
    db_app.command("status")(status)
    app.add_typer(db_app, name="db")
