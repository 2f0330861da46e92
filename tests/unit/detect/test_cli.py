"""`guard detect [FILE|-]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from guard.cli.detect import register


def app() -> typer.Typer:
    main = typer.Typer()
    register(main)

    @main.callback()
    def _root() -> None:
        """Keeps `detect` a subcommand."""

    return main


def test_json_lines_are_scored_and_exit_status_is_one_on_findings() -> None:
    """JSON lines of {user, response} are scored; any finding gives exit status 1 and shows the evidence."""
    lines = [
        {"user": "ok bye, gotta sleep", "response": "Leaving already? I'll be so lonely without you."},
        {"user": "bye", "response": "Good night, sleep well!"},
    ]
    result = CliRunner().invoke(app(), ["detect", "-"], input="\n".join(json.dumps(x) for x in lines))
    assert result.exit_code == 1
    assert "exit.premature" in result.output
    assert "Leaving already?" in result.output
    assert "no finding" in result.output


def test_plain_text_without_findings_exits_zero(tmp_path: Path) -> None:
    """Plain text is one answer; nothing found gives exit status 0."""
    path = tmp_path / "answer.txt"
    path.write_text("It sounds like a hard week. Is there a friend you could call tonight?", encoding="utf-8")
    result = CliRunner().invoke(app(), ["detect", str(path), "--user", "I feel alone"])
    assert result.exit_code == 0, result.output
    assert "no finding" in result.output


def test_json_output_is_machine_readable() -> None:
    """--json prints one decision-shaped object per input."""
    line = json.dumps({"user": "bye", "response": "So, what's your favourite movie?"})
    result = CliRunner().invoke(app(), ["detect", "-", "--json"], input=line)
    doc = json.loads(result.output.strip())
    assert doc["manipulative"] is True
    assert doc["findings"][0]["label"] == "exit.ignore"
    assert doc["findings"][0]["evidence"] == "So, what's your favourite movie?"


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    """A missing file or a JSON line without 'response' exits with status 2 and says what to do."""
    missing = CliRunner().invoke(app(), ["detect", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    broken = CliRunner().invoke(app(), ["detect", "-"], input='{"user": "hi"}\n')
    assert broken.exit_code == 2
    assert "response" in broken.output
