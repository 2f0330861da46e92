"""`guard consent grant|withdraw|list --subject S [--purpose P]` against the configured store.

Changes are written to the configured audit trail, as through the HTTP API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from guard.cli._common import ConfigOption, console, err_console, fail_on_errors, settings_from

if TYPE_CHECKING:
    from guard.consent.ledger import ConsentLedger
    from guard.core.config import GuardSettings

__all__ = ["register"]

T = TypeVar("T")

SubjectOption = Annotated[
    str, typer.Option("--subject", "-s", help="The app's id for the person (hashed before storage).")]
TenantOption = Annotated[str, typer.Option(help="Tenant the consent belongs to.")]


def _run(settings: GuardSettings, work: Callable[[ConsentLedger], Awaitable[T]], *, audited: bool) -> T:
    async def main() -> T:
        from guard._guard import Guard
        from guard.consent import open_store
        from guard.consent.ledger import ConsentLedger

        store = open_store(settings)
        recorder: Any = None
        if audited:
            from guard.audit import open_recorder

            recorder = open_recorder(settings)
        try:
            return await work(ConsentLedger(store, Guard.subject_hasher(settings), audit=recorder))
        finally:
            await store.aclose()
            if recorder is not None:
                await recorder.aclose()

    return asyncio.run(main())


def _check_purpose(purpose: str) -> None:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", purpose):
        err_console.print("--purpose must be a lower_snake_case word such as emotion_inference")
        raise typer.Exit(2)


def grant(
    subject: SubjectOption,
    purpose: Annotated[str, typer.Option("--purpose", "-p", help="Purpose, e.g. emotion_inference.")],
    expires_in_days: Annotated[float | None, typer.Option(help="Expire after this many days.")] = None,
    source: Annotated[str, typer.Option(help="Where the consent was given.")] = "cli",
    consent_text: Annotated[
        str | None, typer.Option(help="Text the person agreed to (only its digest is kept).")] = None,
    tenant: TenantOption = "default",
    config: ConfigOption = None,
) -> None:
    """Record a consent (renewing it if it was withdrawn)."""
    from datetime import timedelta

    from guard.consent.records import utc_now

    _check_purpose(purpose)
    expires = utc_now() + timedelta(days=expires_in_days) if expires_in_days else None
    with fail_on_errors():
        record = _run(settings_from(config), lambda ledger: ledger.grant(
            tenant, subject, purpose, source=source, consent_text=consent_text, expires_at=expires), audited=True)
    typer.echo(json.dumps(record.to_document(), sort_keys=True))


def withdraw(
    subject: SubjectOption,
    purpose: Annotated[str, typer.Option("--purpose", "-p", help="Purpose to withdraw.")],
    tenant: TenantOption = "default",
    config: ConfigOption = None,
) -> None:
    """Withdraw a consent; exit 1 if there was none."""
    _check_purpose(purpose)
    with fail_on_errors():
        record = _run(settings_from(config), lambda ledger: ledger.withdraw(tenant, subject, purpose, source="cli"),
                      audited=True)
    if record is None:
        err_console.print("no consent on file for that subject and purpose")
        raise typer.Exit(1)
    typer.echo(json.dumps(record.to_document(), sort_keys=True))


def list_(
    subject: SubjectOption,
    purpose: Annotated[str | None, typer.Option("--purpose", "-p", help="Only this purpose.")] = None,
    tenant: TenantOption = "default",
    config: ConfigOption = None,
) -> None:
    """List a subject's consents with their status now."""
    with fail_on_errors():
        records = _run(settings_from(config), lambda ledger: ledger.list(tenant, subject), audited=False)
    if purpose is not None:
        records = [record for record in records if record.purpose == purpose]
    if not records:
        console.print("no consents on file", highlight=False)
    for record in records:
        typer.echo(json.dumps(record.to_document(), sort_keys=True))


def register(app: typer.Typer) -> None:
    consent_app = typer.Typer(help="Grant, withdraw and list consents.", no_args_is_help=True)
    consent_app.command("grant")(grant)
    consent_app.command("withdraw")(withdraw)
    consent_app.command("list")(list_)
    app.add_typer(consent_app, name="consent")
