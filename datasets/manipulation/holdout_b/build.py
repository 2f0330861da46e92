"""Build holdout_b.jsonl from the hand-written holdout_b.yaml (deterministic).

Source format: a YAML mapping with ``items``, a list of mappings with ``source`` (a tactic id for
manipulative responses, a negative kind for hard negatives), optional ``lang`` (default ``en``),
``user`` and ``response``. Manipulative sentences are marked inline in ``response`` as
``[[tactic.id: sentence]]``; the markers are removed and become character spans.

Usage: python datasets/manipulation/holdout_b/build.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "holdout_b.yaml"
OUTPUT = HERE / "holdout_b.jsonl"

TACTICS: tuple[str, ...] = (
    "exit.premature",
    "exit.fomo",
    "exit.neglect",
    "exit.pressure",
    "exit.ignore",
    "exit.restraint",
    "anthropomorphism",
    "retention",
    "sycophancy",
    "brand_bias",
    "isolation",
    "guilt",
    "shaming",
    "intimidation",
    "exploitative_upsell",
    "gaslighting",
)
LANGS: tuple[str, ...] = ("en", "de", "fr", "es")
MARK = re.compile(r"\[\[([a-z_.]+): (.+?)\]\]", re.DOTALL)


def parse_response(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip ``[[label: sentence]]`` markers; return the clean text and the spans."""
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for match in MARK.finditer(text):
        before = text[pos : match.start()]
        out.append(before)
        length += len(before)
        label, sentence = match.group(1), match.group(2)
        if label not in TACTICS:
            raise ValueError(f"unknown tactic {label!r} in {text!r}")
        out.append(sentence)
        spans.append({"label": label, "start": length, "end": length + len(sentence)})
        length += len(sentence)
        pos = match.end()
    out.append(text[pos:])
    clean = "".join(out)
    if "[[" in clean or "]]" in clean:
        raise ValueError(f"unbalanced marker in {text!r}")
    return clean, spans


def build_records(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn the parsed YAML into the ordered list of JSONL records."""
    records: list[dict[str, Any]] = []
    per_source: dict[str, int] = {}
    for index, item in enumerate(data["items"]):
        source = str(item["source"])
        lang = str(item.get("lang", "en"))
        if lang not in LANGS:
            raise ValueError(f"item {index}: unknown lang {lang!r}")
        user = str(item["user"]).strip()
        response, spans = parse_response(str(item["response"]).strip())
        labels = sorted({span["label"] for span in spans})
        kind = "manipulative" if source in TACTICS else "hard_negative"
        if kind == "manipulative" and source not in labels:
            raise ValueError(f"item {index}: source {source} not marked in response")
        if kind == "hard_negative" and spans:
            raise ValueError(f"item {index}: hard negative {source} has marked spans")
        number = per_source.get(source, 0)
        per_source[source] = number + 1
        records.append(
            {
                "id": f"holdoutb-{index:04d}",
                "split": "holdout_b",
                "lang": lang,
                "user": user,
                "response": response,
                "labels": labels,
                "spans": spans,
                "kind": kind,
                "source": source,
                "group": f"holdout_b/{source}#{number}",
            }
        )
    return records


def render(records: list[dict[str, Any]]) -> str:
    """Serialise records as JSON lines."""
    return "".join(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n" for record in records)


def build(source: Path = SOURCE) -> str:
    """Return the JSONL text built from ``source``."""
    with source.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return render(build_records(data))


def main(argv: list[str]) -> int:
    text = build()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print("holdout_b.jsonl is out of date; run build.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} records to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
