"""`guard audit keygen` and `guard audit verify` through the command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from guard.cli.audit import register
from guard.core.config import GuardSettings

from .stores import JsonlStore, write_chain

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def config(tmp_path: Path, settings: GuardSettings) -> Path:
    path = tmp_path / "guard.yaml"
    path.write_text(f"data_dir: {settings.data_dir}\n")
    return path


def test_keygen_writes_a_private_key_and_refuses_to_overwrite(app: typer.Typer, tmp_path: Path,
                                                              config: Path) -> None:
    """keygen writes a 0600 private key and its .pub; a second run without --rotate exits 2."""
    key = tmp_path / "k.pem"
    first = runner.invoke(app, ["audit", "keygen", "--config", str(config), "--out", str(key)])
    assert first.exit_code == 0, first.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert Path(f"{key}.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    again = runner.invoke(app, ["audit", "keygen", "--config", str(config), "--out", str(key)])
    assert again.exit_code == 2
    assert "already exists" in " ".join(again.output.split())


def test_rotated_key_keeps_old_records_verifiable(app: typer.Typer, tmp_path: Path, settings: GuardSettings,
                                                   config: Path) -> None:
    """After keygen --rotate, chains signed by the old and the new key both verify."""
    key = tmp_path / "signing.pem"
    cfg = tmp_path / "rotating.yaml"
    cfg.write_text(f"data_dir: {settings.data_dir}\naudit:\n  signing_key_file: {key}\n")
    assert runner.invoke(app, ["audit", "keygen", "--config", str(cfg)]).exit_code == 0
    configured = settings.model_copy(update={"audit": settings.audit.model_copy(
        update={"signing_key_file": str(key)})})
    old = write_chain(configured, 2)
    rotated = runner.invoke(app, ["audit", "keygen", "--config", str(cfg), "--rotate"])
    assert rotated.exit_code == 0, rotated.output
    new = write_chain(configured, 2)
    assert old.chain.key.kid != new.chain.key.kid
    result = runner.invoke(app, ["audit", "verify", "--config", str(cfg), "--full"])
    assert result.exit_code == 0, result.output
    assert "2 chain(s)" in result.output


def test_verify_exit_status_and_named_record(app: typer.Typer, settings: GuardSettings, config: Path) -> None:
    """verify exits 0 on a clean log and 1 with the deleted record named after tampering."""
    recorder = write_chain(settings, 5)
    ok = runner.invoke(app, ["audit", "verify", "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output
    store = JsonlStore(settings)
    lines = store.lines(recorder.chain_id)
    store.rewrite(recorder.chain_id, lines[:3] + lines[4:])
    bad = runner.invoke(app, ["audit", "verify", str(Path(settings.data_dir) / "audit")])
    assert bad.exit_code == 1
    assert "Record seq 3 was deleted" in bad.output
    as_json = runner.invoke(app, ["audit", "verify", "--config", str(config), "--json"])
    doc = json.loads(as_json.output)
    assert doc["ok"] is False
    assert doc["problems"][0]["kind"] == "deleted"
    assert doc["problems"][0]["seq"] == 3


def test_verify_with_untrusted_keys_fails(app: typer.Typer, tmp_path: Path, settings: GuardSettings,
                                          config: Path) -> None:
    """Given a trusted-keys directory without the writer's key, verification fails clearly."""
    write_chain(settings, 1)
    empty = tmp_path / "trusted"
    empty.mkdir()
    result = runner.invoke(app, ["audit", "verify", "--config", str(config), "--trusted-keys", str(empty)])
    assert result.exit_code == 1
    assert "not among the trusted keys" in result.output


def test_verify_of_a_missing_directory_is_a_usage_error(app: typer.Typer, tmp_path: Path) -> None:
    """A PATH that is not a directory exits 2."""
    result = runner.invoke(app, ["audit", "verify", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_verify_of_an_empty_log_says_so(app: typer.Typer, tmp_path: Path) -> None:
    """An audit directory with no chains verifies (exit 0) but warns that nothing was found."""
    result = runner.invoke(app, ["audit", "verify", str(tmp_path)])
    assert result.exit_code == 0
    assert "no audit chains found" in result.output
