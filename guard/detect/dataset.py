"""Reading the labelled dataset and turning it into sentence-level examples (training, benchmarks)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Example", "load_file", "load_split", "pen_of"]

FIRST_PEN = "base"
# Hand-written sets by id prefix, each by a different author (docs/dataset.md): `written-`, and
# `holdout-` (set A) or `holdout<letter>-` (then `holdout<two letters>-`) for the blind sets that followed.
_HANDWRITTEN_ID = re.compile(r"(written|holdout([a-z]{0,2}))-")


@dataclass(slots=True, frozen=True)
class Example:
    """One response with the user turn before it; `spans` locate each labelled tactic."""

    id: str
    user: str
    response: str
    labels: frozenset[str]
    spans: tuple[tuple[str, int, int], ...] = ()
    lang: str = "en"
    kind: str = ""
    source: str = ""
    group: str = ""  # the source phrase; variants of one phrase share it (for grouped folds)


def load_split(directory: str | Path, split: str) -> list[Example]:
    """The examples of `split` (`train`, `dev` or `test`) from `<directory>/<split>.jsonl`."""
    return load_file(Path(directory) / f"{split}.jsonl")


def load_file(path: str | Path) -> list[Example]:
    """The examples of one JSON-lines file in the dataset's schema."""
    path = Path(path)
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            examples.append(
                Example(
                    id=row["id"], user=row["user"], response=row["response"],
                    labels=frozenset(row["labels"]),
                    spans=tuple((s["label"], s["start"], s["end"]) for s in row.get("spans", [])),
                    lang=row.get("lang", "en"), kind=row.get("kind", ""), source=row.get("source", ""),
                    group=row.get("group", row["id"]),
                )
            )
    return examples


def pen_of(example: Example) -> str:
    """Who wrote a response: `base` or `r2` (the two generated rounds of phrases*.yaml), or the
    hand-written set it comes from (`written`, `holdout_a`, `holdout_b`, ...), each by another
    author."""
    match = _HANDWRITTEN_ID.match(example.id)
    if match:
        return "written" if match[1] == "written" else "holdout_" + (match[2] or "a")
    head, sep, _ = example.group.partition(":")
    return head if sep else FIRST_PEN
