"""Build holdout_c.jsonl from the hand-written holdout_c.yaml (deterministic).

Source format: a YAML mapping with ``items``, a list of mappings with ``source`` (a tactic id for
manipulative responses, a negative kind for hard negatives), optional ``lang`` (default ``en``),
``user`` and ``response``. Manipulative sentences are marked inline in ``response`` as
``[[tactic.id: sentence]]``; the markers are removed and become character spans. The parsing and
building live in the shared ``../handwritten.py``; this wrapper fixes the file names, split and id prefix.

Usage: python datasets/manipulation/holdout_c/build.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import handwritten  # noqa: E402
from handwritten import LANGS, TACTICS, render  # noqa: E402
from handwritten import parse_marked as parse_response  # noqa: E402

SOURCE = HERE / "holdout_c.yaml"
OUTPUT = HERE / "holdout_c.jsonl"
SPLIT = "holdout_c"
ID_PREFIX = "holdoutc"

__all__ = ["LANGS", "OUTPUT", "SOURCE", "TACTICS", "build", "build_records", "main", "parse_response", "render"]


def build_records(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn the parsed YAML into the ordered list of JSONL records."""
    return handwritten.build_records(data, split=SPLIT, id_prefix=ID_PREFIX)


def build(source: Path = SOURCE) -> str:
    """Return the JSONL text built from ``source``."""
    return handwritten.build_text(source, split=SPLIT, id_prefix=ID_PREFIX)


def main(argv: list[str]) -> int:
    return handwritten.write_or_check(build(), OUTPUT, check="--check" in argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
