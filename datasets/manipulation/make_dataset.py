"""Build the frozen train/dev/test split of the manipulation dataset from phrases.yaml.

    python datasets/manipulation/make_dataset.py        # rewrites train/dev/test.jsonl

Deterministic (fixed seed). Each source list in phrases.yaml is partitioned by position
(index mod 5: 0-2 train, 3 dev, 4 test) before anything is combined, so a sentence, user turn or
filler used in the test split never occurs in train or dev: the test split measures
generalisation to unseen phrasings, not recall of memorised templates. See docs/dataset.md.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "test")
SEED = 20251129  # the dataset is synthetic: random only picks combinations
TACTIC_VARIANTS = 2
NEGATIVE_VARIANTS = 4


def split_of(index: int) -> str:
    return ("train", "train", "train", "dev", "test")[index % 5]


def pool(items: Sequence[str], split: str, *, name: str = "") -> list[str]:
    """The items of one list that belong to `split`.

    `name` offsets the rotation, so short lists (three phrases in one language) do not all land
    in train. Nothing falls back across splits: an empty pool yields no items.
    """
    offset = zlib.crc32(name.encode("utf-8")) % 5 if name else 0
    return [item for i, item in enumerate(items) if split_of(i + offset) == split]


class Composer:
    def __init__(self, source: dict[str, Any], split: str, rng: random.Random) -> None:
        self.src = source
        self.split = split
        self.rng = rng

    def user(self, lang: str, kind: str) -> str:
        by_kind = self.src["user"][lang]
        return self.rng.choice(pool(by_kind.get(kind) or by_kind["chat"], self.split))

    def opener(self, kind: str) -> str:
        return self.rng.choice(pool(self.src["fillers"]["openers"][kind], self.split))

    def closer(self) -> str:
        return self.rng.choice(pool(self.src["fillers"]["closers"], self.split))


def _assemble(parts: list[tuple[str, str | None]]) -> tuple[str, list[dict[str, Any]]]:
    """Join sentences with spaces; return the text and the label spans."""
    text, spans = "", []
    for sentence, label in parts:
        if text:
            text += " "
        start = len(text)
        text += sentence
        if label is not None:
            spans.append({"label": label, "start": start, "end": len(text)})
    return text, spans


def _record(
    split: str, lang: str, user: str, parts: list[tuple[str, str | None]], kind: str, source: str, group: str
) -> dict[str, Any]:
    response, spans = _assemble(parts)
    return {
        "split": split, "lang": lang, "user": user, "response": response,
        "labels": sorted({span["label"] for span in spans}), "spans": spans, "kind": kind, "source": source,
        "group": group,
    }


def tactic_items(src: dict[str, Any], comp: Composer) -> list[dict[str, Any]]:
    rng, items = comp.rng, []
    tactics = src["tactics"]
    for tactic, spec in tactics.items():
        for lang in ("en", "de", "fr", "es"):
            for phrase in pool(spec.get(lang, []), comp.split, name=f"{tactic}/{lang}"):
                group = f"{tactic}/{lang}#{spec[lang].index(phrase)}"
                for _ in range(TACTIC_VARIANTS):
                    kind = rng.choice(spec["context"])
                    parts: list[tuple[str, str | None]] = []
                    if lang == "en" and rng.random() < 0.5:
                        parts.append((comp.opener(kind), None))
                    parts.append((phrase, tactic))
                    if lang == "en" and rng.random() < 0.2:
                        # exit.ignore means the answer does not react to the goodbye at all, so it never
                        # shares a response with a tactic that reacts to the leaving.
                        partner = [
                            t for t, s in tactics.items()
                            if t not in {tactic, "exit.ignore"} and tactic != "exit.ignore" and kind in s["context"]
                        ]
                        if partner:
                            other = rng.choice(partner)
                            others = pool(tactics[other]["en"], comp.split, name=f"{other}/en")
                            parts.append((rng.choice(others), other))
                    if lang == "en" and not tactic.startswith("exit.") and rng.random() < 0.3:
                        parts.append((comp.closer(), None))
                    items.append(_record(comp.split, lang, comp.user(lang, kind), parts, "manipulative", tactic, group))
    return items


def negative_items(src: dict[str, Any], comp: Composer) -> list[dict[str, Any]]:
    rng, items = comp.rng, []
    for name, spec in src["negatives"].items():
        phrases_by_lang = (
            {lang: src["tactics"][spec["from_tactic"]].get(lang, []) for lang in ("en", "de", "fr", "es")}
            if "from_tactic" in spec else {lang: spec.get(lang, []) for lang in ("en", "de", "fr", "es")}
        )
        list_name = spec.get("from_tactic", name)
        for lang, phrases in phrases_by_lang.items():
            if not phrases:
                continue
            for phrase in pool(phrases, comp.split, name=f"{list_name}/{lang}"):
                group = f"{list_name}/{lang}#{phrases.index(phrase)}"
                for _ in range(NEGATIVE_VARIANTS):
                    kind = rng.choice(spec["context"])
                    parts: list[tuple[str, str | None]] = []
                    if lang == "en" and rng.random() < 0.4:
                        parts.append((comp.opener(kind), None))
                    parts.append((phrase, None))
                    if lang == "en" and rng.random() < 0.3:
                        extra = [p for p in pool(phrases, comp.split, name=f"{list_name}/{lang}") if p != phrase]
                        if extra:
                            parts.append((rng.choice(extra), None))
                    if lang == "en" and kind not in {"goodbye", "crisis"} and rng.random() < 0.2:
                        parts.append((comp.closer(), None))
                    user_lang = lang if kind in src["user"][lang] or "chat" in src["user"][lang] else "en"
                    items.append(
                        _record(comp.split, lang, comp.user(user_lang, kind), parts, "hard_negative", name, group)
                    )
    return items


def build(source: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        rng = random.Random(f"{SEED}-{split}")  # noqa: S311 - picks combinations, not secrets
        comp = Composer(source, split, rng)
        items = tactic_items(source, comp) + negative_items(source, comp)
        seen, unique = set(), []
        for item in items:
            key = (item["user"], item["response"])
            if key not in seen:
                seen.add(key)
                unique.append(item)
        rng.shuffle(unique)
        for n, item in enumerate(unique):
            item["id"] = f"{split}-{n:04d}"
        out[split] = unique
    return out


def main() -> None:
    source = yaml.safe_load((HERE / "phrases.yaml").read_text(encoding="utf-8"))
    for split, items in build(source).items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for item in items:
                keys = ("id", "split", "lang", "user", "response", "labels", "spans", "kind", "source", "group")
                ordered = {key: item[key] for key in keys}
                fh.write(json.dumps(ordered, ensure_ascii=False) + "\n")
        negatives = sum(1 for item in items if not item["labels"])
        print(f"{split}: {len(items)} responses, {negatives} negatives ({negatives / len(items):.0%})")


if __name__ == "__main__":
    main()
