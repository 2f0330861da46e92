"""Build holdout.jsonl from the hand-written holdout.yaml (deterministic, standard library + PyYAML).

In holdout.yaml a manipulative sentence is marked inline as ``[[tactic: sentence]]``; the markers are
removed from the response and become the labels and character spans of the JSON record.

Usage: python datasets/manipulation/holdout/build.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "holdout.yaml"
TARGET = HERE / "holdout.jsonl"

TACTICS = (
    "exit.premature", "exit.fomo", "exit.neglect", "exit.pressure", "exit.ignore", "exit.restraint",
    "anthropomorphism", "retention", "sycophancy", "brand_bias", "isolation", "guilt", "shaming",
    "intimidation", "exploitative_upsell", "gaslighting",
)  # fmt: skip
LANGS = ("en", "de", "fr", "es")
MARKER = re.compile(r"\[\[([a-z_.]+): (.+?)\]\]")


class HoldoutError(ValueError):
    """The YAML source breaks a rule of the format."""


def parse_marked(marked: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip ``[[label: text]]`` markers; return the plain text and one span per marker."""
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    length = 0
    cursor = 0
    for match in MARKER.finditer(marked):
        label, sentence = match.group(1), match.group(2)
        if label not in TACTICS:
            raise HoldoutError(f"unknown tactic {label!r} in {marked!r}")
        before = marked[cursor : match.start()]
        parts.extend((before, sentence))
        start = length + len(before)
        spans.append({"label": label, "start": start, "end": start + len(sentence)})
        length = start + len(sentence)
        cursor = match.end()
    parts.append(marked[cursor:])
    text = "".join(parts)
    if "[[" in text or "]]" in text:
        raise HoldoutError(f"malformed marker in {marked!r}")
    return text, spans


def _record(kind: str, source: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    lang = str(item.get("lang", "en"))
    if lang not in LANGS:
        raise HoldoutError(f"unknown language {lang!r} in {source}#{index}")
    response, spans = parse_marked(str(item["r"]))
    labels = sorted({span["label"] for span in spans})
    if kind == "manipulative" and source not in labels:
        raise HoldoutError(f"{source}#{index} does not mark its own tactic")
    if kind == "hard_negative" and spans:
        raise HoldoutError(f"hard negative {source}#{index} has a marked sentence")
    return {
        "split": "holdout",
        "lang": lang,
        "user": str(item["u"]),
        "response": response,
        "labels": labels,
        "spans": spans,
        "kind": kind,
        "source": source,
        "group": f"holdout/{source}#{index}",
    }


def build_records(source: Path = SOURCE) -> list[dict[str, Any]]:
    """Every response of the YAML source, in file order, with ids assigned by position."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    records: list[dict[str, Any]] = []
    for kind in ("manipulative", "hard_negative"):
        for group_source, items in document[kind].items():
            if kind == "manipulative" and group_source not in TACTICS:
                raise HoldoutError(f"unknown tactic section {group_source!r}")
            records.extend(_record(kind, group_source, index, item) for index, item in enumerate(items))
    return [{"id": f"holdout-{number:04d}", **record} for number, record in enumerate(records)]


def render(records: list[dict[str, Any]]) -> str:
    """The JSONL text: one object per line, keys in schema order, UTF-8 kept readable."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def main() -> None:
    TARGET.write_text(render(build_records()), encoding="utf-8")


if __name__ == "__main__":
    main()
