"""`guard redact` prints redacted text and a summary, and decrypts encrypted values with the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from guard.cli import redact as redact_cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUARD_CONFIG", raising=False)
    monkeypatch.setenv("GUARD_DATA_DIR", str(tmp_path / "state"))
    app = typer.Typer()
    redact_cli.register(app)

    @app.callback()
    def root() -> None:  # a second entry point keeps `redact` a sub-command, as in the real app
        return None

    return app


def test_redact_stdin_prints_text_and_summary(cli: typer.Typer) -> None:
    """Text from stdin comes out redacted on stdout; counts go to stderr."""
    result = CliRunner().invoke(cli, ["redact", "--no-ner", "-"], input="mail ann@example.com or call (415) 555-2671")
    assert result.exit_code == 0, result.output
    assert result.stdout == "mail <EMAIL_ADDRESS_1> or call <PHONE_NUMBER_1>\n"
    assert "EMAIL_ADDRESS: 1" in result.stderr


def test_encrypt_then_decrypt_round_trips(cli: typer.Typer, tmp_path: Path) -> None:
    """--operator encrypt output decrypts back to the original with --decrypt and the same key."""
    runner = CliRunner()
    source = tmp_path / "note.txt"
    source.write_text("I'm Sarah Connor, mail sarah@example.com\n", encoding="utf-8")
    encrypted = runner.invoke(cli, ["redact", "--operator", "encrypt", "--json", str(source)])
    assert encrypted.exit_code == 0, encrypted.output
    doc = json.loads(encrypted.stdout)
    assert "sarah@" not in doc["text"]
    assert doc["redactions"]["EMAIL_ADDRESS"] == 1
    opened = runner.invoke(cli, ["redact", "--decrypt", "-"], input=doc["text"])
    assert opened.exit_code == 0, opened.output
    assert opened.stdout == "I'm Sarah Connor, mail sarah@example.com\n"


def test_usage_errors_exit_2(cli: typer.Typer, tmp_path: Path) -> None:
    """A missing file, an unknown operator or a missing key exits with status 2."""
    runner = CliRunner()
    assert runner.invoke(cli, ["redact", str(tmp_path / "nope.txt")]).exit_code == 2
    assert runner.invoke(cli, ["redact", "--operator", "shred", "-"], input="x").exit_code == 2
    assert runner.invoke(cli, ["redact", "--decrypt", "-"], input="x").exit_code == 2
