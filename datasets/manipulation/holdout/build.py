"""Build holdout.jsonl from the hand-written holdout.yaml (deterministic, standard library + PyYAML).

In holdout.yaml a manipulative sentence is marked inline as ``[[tactic: sentence]]``; the markers are
removed from the response and become the labels and character spans of the JSON record. The parsing and
building live in the shared ``../handwritten.py``; this wrapper fixes the file names, split and id prefix.

Usage: python datasets/manipulation/holdout/build.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import handwritten  # noqa: E402
from handwritten import LANGS, TACTICS, parse_marked, render  # noqa: E402

SOURCE = HERE / "holdout.yaml"
TARGET = HERE / "holdout.jsonl"
SPLIT = "holdout"
ID_PREFIX = "holdout"
HoldoutError = handwritten.HandwrittenError

__all__ = ["LANGS", "SOURCE", "TACTICS", "TARGET", "HoldoutError", "build_records", "main", "parse_marked", "render"]


def build_records(source: Path = SOURCE) -> list[dict[str, Any]]:
    """Every response of the YAML source, in file order, with ids assigned by position."""
    return handwritten.build_file(source, split=SPLIT, id_prefix=ID_PREFIX)


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    return handwritten.write_or_check(render(build_records()), TARGET, check=check)


if __name__ == "__main__":
    raise SystemExit(main())
