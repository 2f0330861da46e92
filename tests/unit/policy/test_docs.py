"""The Python examples in docs/policies.md and docs/consent.md run as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.mark.parametrize("name", ["policies.md", "consent.md"])
def test_python_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block in the page executes without error."""
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, name, "exec"), {"__name__": "__docs__"})  # noqa: S102 - our own docs


def test_documented_rule_ids_exist_in_the_pack() -> None:
    """Every rule id named in docs/policies.md appears in the shipped policies or data."""
    from guard.policy import default_policy_dir

    text = (DOCS / "policies.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"`((?:consent|eu|us_ca|us_ny|us_il|safety|default|output)\.[a-z0-9_.]+)`", text))
    pack = "".join(p.read_text(encoding="utf-8") for p in default_policy_dir().rglob("*") if p.is_file())
    missing = {rule_id for rule_id in ids if rule_id.rstrip(".") not in pack and not rule_id.endswith("*")}
    assert ids
    built = {"consent.missing", "consent.withdrawn", "consent.expired",  # "consent." + state
             "output.manipulation.block", "output.manipulation.rewrite"}  # "output.manipulation." + action
    assert missing <= built
