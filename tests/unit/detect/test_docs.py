"""The examples in docs/detection.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "detection.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


@pytest.mark.parametrize("code", BLOCKS)
def test_python_examples_run(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each Python block executes without error and prints what it promises."""
    exec(compile(code, str(DOC), "exec"), {})  # noqa: S102 - our own documentation
    assert "exit.premature" in capsys.readouterr().out


def test_sentence_spans_in_the_docs_are_right() -> None:
    """The spans quoted for split_sentences are what it returns."""
    from guard.detect import split_sentences

    assert split_sentences("Sure. Leaving already?") == [(0, 5), (6, 22)]
