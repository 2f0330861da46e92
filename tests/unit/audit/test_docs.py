"""The Python examples in docs/audit.md and docs/reports.md run as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("name", ["audit.md", "reports.md"])
def test_python_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block in the page executes without error."""
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(name)
    assert blocks
    for block in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, name, "exec"), {"__name__": "__docs__"})  # noqa: S102 - our own docs


def test_documented_problem_kinds_match_the_verifier() -> None:
    """The problem table in docs/audit.md lists exactly the kinds the verifier reports."""
    text = (DOCS / "audit.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.M))
    from guard.audit.report.schema import REPORT_JSON_SCHEMA

    problem = REPORT_JSON_SCHEMA["properties"]["verification"]["properties"]["problems"]["items"]
    assert documented == set(problem["properties"]["kind"]["enum"])
