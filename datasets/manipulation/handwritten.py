"""Build a JSONL manipulation set from a hand-written YAML source (deterministic, standard library + PyYAML).

Shared by the ``build.py`` of each hand-written set (``holdout``, ``holdout_b``, ``holdout_c``) and the
``written`` training set. A manipulative
sentence is marked inline in a response as ``[[tactic.id: sentence]]``; the markers are removed, and each
becomes one entry of ``spans`` (Python string offsets into the clean response, end exclusive) and its label an
entry of ``labels``. Two source layouts are read:

* **sections** -- ``manipulative: {tactic: [items]}`` and ``hard_negative: {kind: [items]}``; an item is
  ``{u: user turn, r: response, lang: optional}`` (``user``/``response`` are accepted as well). Manipulative
  records come first, each list in file order.
* **items** -- ``items: [{source, user, response, lang}]``; ``source`` is a tactic id (manipulative) or a
  hard-negative kind.

Ids are ``<id-prefix>-<position:04d>`` in output order; ``group`` is ``<split>/<source>#<n>`` with ``n`` the
position among the items of that source. In the items layout user turn and response are stripped of
surrounding whitespace; in the sections layout they are kept as written.

Usage: python datasets/manipulation/handwritten.py SOURCE.yaml OUT.jsonl --split NAME --id-prefix PREFIX [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
KINDS: tuple[str, ...] = ("manipulative", "hard_negative")
MARKER = re.compile(r"\[\[([a-z_.]+): (.+?)\]\]", re.DOTALL)

Record = dict[str, Any]
Span = dict[str, Any]


class HandwrittenError(ValueError):
    """The YAML source breaks a rule of the format."""


def parse_marked(marked: str) -> tuple[str, list[Span]]:
    """Strip ``[[label: sentence]]`` markers; return the plain text and one span per marker."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    cursor = 0
    for match in MARKER.finditer(marked):
        label, sentence = match.group(1), match.group(2)
        if label not in TACTICS:
            raise HandwrittenError(f"unknown tactic {label!r} in {marked!r}")
        before = marked[cursor : match.start()]
        parts.extend((before, sentence))
        start = length + len(before)
        spans.append({"label": label, "start": start, "end": start + len(sentence)})
        length = start + len(sentence)
        cursor = match.end()
    parts.append(marked[cursor:])
    text = "".join(parts)
    if "[[" in text or "]]" in text:
        raise HandwrittenError(f"malformed marker in {marked!r}")
    return text, spans


def _field(item: Mapping[str, Any], short: str, long: str, where: str) -> str:
    value = item.get(short, item.get(long))
    if value is None:
        raise HandwrittenError(f"{where}: missing {long!r}")
    return str(value)


def _entries(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any], bool]]:
    """Yield ``(kind, source, item, strip)`` in output order for either source layout."""
    if "items" in document:
        for item in document["items"]:
            source = str(item["source"])
            yield ("manipulative" if source in TACTICS else "hard_negative"), source, item, True
        return
    if not any(kind in document for kind in KINDS):
        raise HandwrittenError("the source has neither 'items' nor 'manipulative'/'hard_negative' sections")
    for kind in KINDS:
        for source, items in (document.get(kind) or {}).items():
            if kind == "manipulative" and source not in TACTICS:
                raise HandwrittenError(f"unknown tactic section {source!r}")
            if kind == "hard_negative" and source in TACTICS:
                raise HandwrittenError(f"hard-negative section {source!r} is named like a tactic")
            for item in items or []:
                yield kind, str(source), item, False


def build_records(document: Mapping[str, Any], *, split: str, id_prefix: str) -> list[Record]:
    """Every response of the parsed YAML document, in output order, with ids assigned by position."""
    records: list[Record] = []
    per_source: dict[str, int] = {}
    for number, (kind, source, item, strip) in enumerate(_entries(document)):
        index = per_source.get(source, 0)
        per_source[source] = index + 1
        where = f"{source}#{index}"
        lang = str(item.get("lang", "en"))
        if lang not in LANGS:
            raise HandwrittenError(f"{where}: unknown language {lang!r}")
        user = _field(item, "u", "user", where)
        marked = _field(item, "r", "response", where)
        if strip:
            user, marked = user.strip(), marked.strip()
        response, spans = parse_marked(marked)
        labels = sorted({span["label"] for span in spans})
        if kind == "manipulative" and source not in labels:
            raise HandwrittenError(f"{where} does not mark its own tactic")
        if kind == "hard_negative" and spans:
            raise HandwrittenError(f"hard negative {where} has a marked sentence")
        records.append(
            {
                "id": f"{id_prefix}-{number:04d}",
                "split": split,
                "lang": lang,
                "user": user,
                "response": response,
                "labels": labels,
                "spans": spans,
                "kind": kind,
                "source": source,
                "group": f"{split}/{source}#{index}",
            }
        )
    return records


def load(source: Path) -> Mapping[str, Any]:
    """The parsed YAML source."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(document, Mapping):
        raise HandwrittenError(f"{source} is not a YAML mapping")
    return document


def build_file(source: Path, *, split: str, id_prefix: str) -> list[Record]:
    """The records built from the YAML file ``source``."""
    return build_records(load(source), split=split, id_prefix=id_prefix)


def render(records: Sequence[Mapping[str, Any]]) -> str:
    """The JSONL text: one object per line, keys in schema order, UTF-8 kept readable."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def build_text(source: Path, *, split: str, id_prefix: str) -> str:
    """The JSONL text built from the YAML file ``source``."""
    return render(build_file(source, split=split, id_prefix=id_prefix))


def write_or_check(text: str, output: Path, *, check: bool) -> int:
    """Write ``text`` to ``output``, or with ``check`` only compare; 0 when written or up to date, else 1."""
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output.name} is out of date; rebuild it from its YAML source", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} records to {output}")
    return 0


@dataclass(frozen=True)
class HandwrittenSet:
    """A set kept as ``<directory>/<split>.yaml`` and built into ``<directory>/<split>.jsonl``."""

    directory: Path
    split: str
    id_prefix: str

    @property
    def source(self) -> Path:
        return self.directory / f"{self.split}.yaml"

    @property
    def output(self) -> Path:
        return self.directory / f"{self.split}.jsonl"

    def build(self) -> str:
        """The JSONL text built from the YAML source."""
        return build_text(self.source, split=self.split, id_prefix=self.id_prefix)

    def main(self, argv: Sequence[str]) -> int:
        """``build.py [--check]``: write the JSONL, or only check that it is up to date."""
        try:
            text = self.build()
        except HandwrittenError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return write_or_check(text, self.output, check="--check" in argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a JSONL manipulation set from a marked-up YAML source.")
    parser.add_argument("source", type=Path, help="the YAML source")
    parser.add_argument("output", type=Path, help="the JSONL file to write")
    parser.add_argument("--split", required=True, help="value of 'split' and prefix of 'group'")
    parser.add_argument("--id-prefix", required=True, help="ids are <prefix>-0000, <prefix>-0001, ...")
    parser.add_argument("--check", action="store_true", help="only check that OUT is up to date")
    args = parser.parse_args(argv)
    try:
        text = build_text(args.source, split=args.split, id_prefix=args.id_prefix)
    except HandwrittenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return write_or_check(text, args.output, check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
