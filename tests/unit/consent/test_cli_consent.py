"""`guard consent grant|withdraw|list` against the configured store, audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from guard.cli import consent

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GUARD_CONFIG", raising=False)
    path = tmp_path / "guard.yaml"
    path.write_text(f"data_dir: {tmp_path / 'state'}\n")
    return path


def _app() -> typer.Typer:
    app = typer.Typer()
    consent.register(app)
    return app


def test_grant_list_withdraw_round_trip(config: Path) -> None:
    """A consent granted from the CLI is listed as valid, then as withdrawn."""
    granted = runner.invoke(_app(), ["consent", "grant", "--subject", "alice", "--purpose", "training",
                                     "--expires-in-days", "30", "--config", str(config)])
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.output)["status"] == "valid"
    listed = runner.invoke(_app(), ["consent", "list", "--subject", "alice", "--config", str(config)])
    assert json.loads(listed.output.strip())["purpose"] == "training"
    withdrawn = runner.invoke(_app(), ["consent", "withdraw", "-s", "alice", "-p", "training", "-c", str(config)])
    assert withdrawn.exit_code == 0, withdrawn.output
    assert json.loads(withdrawn.output)["status"] == "withdrawn"


def test_changes_are_written_to_the_audit_trail(config: Path, tmp_path: Path) -> None:
    """The grant leaves a consent.granted event in the audit log, with no subject id in it."""
    runner.invoke(_app(), ["consent", "grant", "-s", "alice", "-p", "training", "-c", str(config)])
    logs = list((tmp_path / "state").rglob("*.jsonl"))
    assert logs, "no audit log was written"
    text = "".join(path.read_text() for path in logs)
    assert "consent.granted" in text
    assert "alice" not in text


def test_withdrawing_nothing_exits_1(config: Path) -> None:
    """There is nothing to withdraw for an unknown subject."""
    result = runner.invoke(_app(), ["consent", "withdraw", "-s", "nobody", "-p", "training", "-c", str(config)])
    assert result.exit_code == 1


def test_bad_purpose_is_a_usage_error(config: Path) -> None:
    """Purposes must be lower_snake_case."""
    result = runner.invoke(_app(), ["consent", "grant", "-s", "a", "-p", "Bad Purpose", "-c", str(config)])
    assert result.exit_code == 2
