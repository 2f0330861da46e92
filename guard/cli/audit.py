"""`guard audit keygen` and `guard audit verify [PATH]`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from guard.cli._common import ConfigOption, console, err_console, fail_on_errors, settings_from

if TYPE_CHECKING:
    from guard.audit.verify import VerifyResult

__all__ = ["register"]


def keygen(
    config: ConfigOption = None,
    out: Annotated[Path | None, typer.Option(help="Private key file (default: audit.signing_key_file, "
                                                  "else <data_dir>/audit-signing.pem).")] = None,
    rotate: Annotated[bool, typer.Option(help="Retire an existing key (kept as <file>.<kid>.retired, its "
                                              "public key published for verification) and make a new one.")] = False,
) -> None:
    """Write a new Ed25519 signing key pair for the audit trail."""
    from guard.audit import audit_root
    from guard.audit.keys import generate_key_file, load_signing_key, public_pem

    with fail_on_errors():
        settings = settings_from(config)
        path = out or Path(settings.audit.signing_key_file or settings.data_path("audit-signing.pem"))
        path = path.expanduser()
        if rotate and path.exists():
            old = load_signing_key(path)
            keys_dir = audit_root(settings) / "keys"
            keys_dir.mkdir(parents=True, exist_ok=True)
            (keys_dir / f"{old.kid}.pub").write_bytes(public_pem(old.public))
            path.rename(path.with_name(f"{path.name}.{old.kid}.retired"))
            console.print(f"retired key {old.kid}; its public key stays in {keys_dir}", highlight=False,
                          soft_wrap=True)
        key = generate_key_file(path)
    console.print(f"wrote {path} (private, mode 0600) and {path}.pub", highlight=False, soft_wrap=True)
    console.print(f"key id {key.kid}", highlight=False)


def verify(
    path: Annotated[str | None, typer.Argument(help="Audit directory or postgresql:// URL (default: the "
                                                    "configured audit.path / audit.url).")] = None,
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option(help="Check every record's own signature too (slower).")] = False,
    trusted_keys: Annotated[Path | None, typer.Option(help="Directory of trusted *.pub keys (default: the "
                                                            "keys published beside the log).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    workers: Annotated[int, typer.Option(min=0, help="Processes reading the log (0: one per CPU).")] = 0,
) -> None:
    """Check every audit chain; name each modified, deleted, inserted or reordered record and any
    truncation. Exit 1 if anything is wrong."""
    from guard.audit import open_source
    from guard.audit.verify import verify as run_verify

    with fail_on_errors():
        settings = settings_from(config)
        if trusted_keys is not None:
            settings = settings.model_copy(update={"audit": settings.audit.model_copy(
                update={"trusted_keys_dir": str(trusted_keys)})})
        if path and not path.startswith(("postgresql://", "postgres://")) and not Path(path).is_dir():
            err_console.print(f"[bold red]error:[/] {path} is not an audit directory.")
            raise typer.Exit(2)
        result = run_verify(open_source(settings, path), full=full, workers=workers or os.cpu_count() or 1)
    if as_json:
        typer.echo(json.dumps(result.to_document(), indent=2))
    else:
        _print(result)
    if not result.ok:
        raise typer.Exit(1)


def _print(result: VerifyResult) -> None:
    mode = "every signature" if result.full else "hash chain + head signatures"
    console.print(f"audit log {result.source}: {len(result.chains)} chain(s), {result.records} record(s), "
                  f"checked {mode}", highlight=False, soft_wrap=True)
    if not result.chains:
        console.print("[yellow]warning:[/] no audit chains found there (nothing has been recorded yet?)",
                      highlight=False, soft_wrap=True)
    for chain in result.chains:
        state = "[green]ok[/]" if chain.ok else "[bold red]FAILED[/]"
        closed = "closed" if chain.closed else "open"
        console.print(f"  chain {chain.chain}: {state}  {chain.records} records, last seq {chain.last_seq}, "
                      f"{closed}, key {chain.kid or '-'}", highlight=False, soft_wrap=True)
        for warning in chain.warnings:
            console.print(f"    [yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    for problem in result.all_problems:
        where = f" [{problem.location}]" if problem.location else ""
        console.print(f"  [bold red]{problem.kind}[/] chain {problem.chain}{where}: {problem.message}",
                      highlight=False, soft_wrap=True)
    console.print("[green]verified[/]" if result.ok else
                  f"[bold red]verification failed: {len(result.all_problems)} problem(s)[/]")


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="Audit trail: signing keys and verification.", no_args_is_help=True)
    audit_app.command("keygen")(keygen)
    audit_app.command("verify")(verify)
    app.add_typer(audit_app, name="audit")
