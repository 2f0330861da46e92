"""`guard redact [FILE|-]`: print the text as it would go upstream, and what was taken out.

The redacted text goes to stdout and the summary (entity type -> count, special categories) to
stderr, so `guard redact notes.txt > clean.txt` works; `--json` prints one JSON object instead.
`--decrypt` opens `<enc:TYPE:...>` values made by the encrypt operator, with the pii.key_file.
Exit status: 0 on success, 2 on unreadable input, a bad option or a missing key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from guard.cli._common import ConfigOption, err_console, fail_on_errors, settings_from

if TYPE_CHECKING:
    from guard.core.config import GuardSettings

__all__ = ["register"]

_OPERATORS = ("placeholder", "mask", "hash", "encrypt", "pseudonym")


def register(app: typer.Typer) -> None:
    """Add the `redact` command to the main app."""
    app.command("redact", help="Redact personal data from text, or decrypt encrypted values.")(redact)


def redact(
    file: Annotated[str, typer.Argument(help="Text file to read; '-' reads stdin")] = "-",
    config: ConfigOption = None,
    operator: Annotated[str | None, typer.Option(help="Operator for every type: " + ", ".join(_OPERATORS))] = None,
    entities: Annotated[str | None, typer.Option(help="Comma-separated entity types (default: configured)")] = None,
    ner: Annotated[bool, typer.Option("--ner/--no-ner", help="Use the spaCy model (off = patterns only)")] = True,
    language: Annotated[str, typer.Option(help="Language of the text (BCP 47, e.g. en, de)")] = "en",
    decrypt: Annotated[bool, typer.Option("--decrypt", help="Decrypt <enc:...> values with the key")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print {text, redactions, special_categories}")] = False,
) -> None:
    from guard.errors import ConfigError

    with fail_on_errors():
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"Cannot read {file}: {reason}.", hint="Give a readable file or '-'.") from None
        if operator is not None and operator not in _OPERATORS:
            raise ConfigError(f"Unknown operator {operator[:32]!r}.", hint="Use one of: " + ", ".join(_OPERATORS))
        settings = settings_from(config)
        if decrypt:
            _decrypt(settings, text, as_json=as_json)
            return
        pii = settings.pii.model_copy(update={"ner": settings.pii.ner and ner})
        if operator:
            pii = pii.model_copy(update={"default_operator": operator, "operators": {}})
        if entities:
            pii = pii.model_copy(update={"entities": [e.strip().upper() for e in entities.split(",") if e.strip()]})
        if language not in pii.languages:
            pii = pii.model_copy(update={"languages": [*pii.languages, language]})
        redacted, counts, special = _redact(settings.model_copy(update={"pii": pii}), text, language)
    if as_json:
        typer.echo(json.dumps({"text": redacted, "redactions": counts, "special_categories": special},
                              ensure_ascii=False))
        return
    typer.echo(redacted, nl=not redacted.endswith("\n"))
    summary = ", ".join(f"{entity}: {count}" for entity, count in sorted(counts.items())) or "nothing found"
    err_console.print(f"[bold]redacted[/] {summary}", highlight=False)
    if special:
        err_console.print(f"[bold]special categories[/] {', '.join(special)}", highlight=False)


def _redact(settings: GuardSettings, text: str, language: str) -> tuple[str, dict[str, int], list[str]]:
    import asyncio
    import os

    from guard.core.context import Context
    from guard.core.decision import Decision
    from guard.core.exchange import Exchange, Message
    from guard.core.subjects import SubjectHasher
    from guard.pii._factory import shared_analyzer
    from guard.pii.keys import PIIKeys
    from guard.pii.stages import RedactStage
    from guard.pii.vault import MemoryVault

    async def run() -> tuple[str, dict[str, int], list[str]]:
        stage = RedactStage(settings.pii, analyzer=shared_analyzer(settings.pii), vault=MemoryVault(),
                            keys=PIIKeys.load(settings), hasher=SubjectHasher(os.urandom(32)))
        context = Context(locale=language)
        exchange = Exchange(context=context, messages=[Message("user", text)])
        decision = Decision(context=context)
        try:
            await stage.prepare(exchange)
            await stage.on_request(exchange, decision)
        finally:
            await stage.aclose()
        return exchange.messages[0].text, dict(decision.redactions), sorted(exchange.signals.special_categories)

    return asyncio.run(run())


def _decrypt(settings: GuardSettings, text: str, *, as_json: bool) -> None:
    from guard.errors import ConfigError
    from guard.pii.keys import PIIKeys, key_path
    from guard.pii.operators import decrypt_text

    path = key_path(settings)
    if not path.is_file():
        raise ConfigError(f"No PII key file at {path}.", hint="Point pii.key_file (or --config) at the key in use.")
    opened, count = decrypt_text(PIIKeys.load(settings).encrypt, text)
    if as_json:
        typer.echo(json.dumps({"text": opened, "decrypted": count}, ensure_ascii=False))
        return
    typer.echo(opened, nl=not opened.endswith("\n"))
    err_console.print(f"[bold]decrypted[/] {count} value(s)", highlight=False)
