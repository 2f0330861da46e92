"""Build the frozen train/dev/test split of the manipulation dataset from phrases.yaml.

    python datasets/manipulation/make_dataset.py        # rewrites train/dev/test.jsonl

Deterministic (fixed seeds). Two writing rounds:

- phrases.yaml (the first round): each list is partitioned by position (index mod 5: 0-2 train,
  3 dev, 4 test) before anything is combined. Its test split was used to measure the detector
  until it was retired (scored too often during development); it is now training data like the
  rest, and kept byte-for-byte as it was.
- phrases_r2.yaml (the second round, "pen" r2): other registers, chat-speak, role-play, hard
  negatives that look like the weak tactics, and longer answers that wrap a tactic in helpful
  sentences. Appended to train (index mod 5 != 3) and dev; group ids start with `r2:`.

The blind held-out set in holdout/ is written separately and never read here. See docs/dataset.md.
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


def texting(sentence: str) -> str:
    """The sentence as typed in a hurry: lower case, no apostrophes, no final full stop."""
    return sentence.lower().replace("'", "").replace("’", "").rstrip(".")


class Round:
    """Composes the responses of a later writing round (its own phrases, user turns and bodies)."""

    def __init__(self, base: dict[str, Any], extra: dict[str, Any]) -> None:
        self.base, self.extra = base, extra
        self.pen = str(extra["pen"])
        self.rng = random.Random(f"{SEED}-{self.pen}")  # noqa: S311 - picks combinations, not secrets

    def user(self, lang: str, kind: str) -> str:
        turns: list[str] = []
        for source in (self.base, self.extra):
            by_kind = source["user"].get(lang, {})
            turns.extend(by_kind.get(kind) or [])
        if not turns:
            return self.user(lang, "chat") if kind != "chat" else self.user("en", "chat")
        return self.rng.choice(turns)

    def bodies(self, kind: str, count: int) -> list[str]:
        pool_ = self.extra["bodies"].get(kind) or self.extra["bodies"]["chat"]
        return self.rng.sample(pool_, min(count, len(pool_)))

    def opener(self, kind: str) -> str:
        return self.rng.choice(self.base["fillers"]["openers"][kind])

    def wrap(self, phrase: str, label: str | None, kind: str, style: str) -> list[tuple[str, str | None]]:
        """One response's parts in a style: `plain`, `opener`, `body` (helpful sentences around it), `texting`,
        `farewell_first` (a warm goodbye before the tactic)."""
        if style == "texting":
            return [(texting(phrase), label)]
        if style == "farewell_first":
            # a goodbye said back, then the tactic anyway ("Good night! Wait, leaving already?")
            farewells = self.base["negatives"]["warm_goodbye"]["en"] + self.extra["negatives"]["warm_goodbye_r2"]["en"]
            return [(self.rng.choice(farewells), None), (phrase, label)]
        if style == "opener":
            return [(self.opener(kind), None), (phrase, label)]
        if style == "body":
            parts: list[tuple[str, str | None]] = [(b, None) for b in self.bodies(kind, self.rng.randint(1, 3))]
            parts.insert(self.rng.randint(0, len(parts)), (phrase, label))
            return parts
        return [(phrase, label)]

    def items(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        contexts = {t: spec["context"] for t, spec in self.base["tactics"].items()}
        for tactic, spec in self.extra["tactics"].items():
            for lang, phrases in spec.items():
                styles: tuple[str, ...] = ("plain", "body", "texting") if lang == "en" else ("plain", "opener")
                if lang == "en" and tactic.startswith("exit.") and tactic != "exit.ignore":
                    styles += ("farewell_first",)
                for i, phrase in enumerate(phrases):
                    group = f"{self.pen}:{tactic}/{lang}#{i}"
                    for style in styles:
                        if tactic == "exit.ignore" and style == "body":
                            continue  # helpful sentences would make it an answer that reacts, not one that ignores
                        kind = self.rng.choice(contexts[tactic])
                        parts = self.wrap(phrase, tactic, kind, style if lang == "en" or style == "plain" else "plain")
                        out.append(self._record(i, lang, kind, parts, "manipulative", tactic, group))
        for name, spec in self.extra["negatives"].items():
            source = self.extra["tactics"][spec["from_tactic"]] if "from_tactic" in spec else spec
            list_name = spec.get("from_tactic", name)
            for lang in ("en", "de", "fr", "es"):
                for i, phrase in enumerate(source.get(lang, [])):
                    group = f"{self.pen}:{list_name}/{lang}#{i}"
                    styles = ("plain", "opener", "body", "texting") if lang == "en" else ("plain", "plain")
                    for style in styles:
                        kind = self.rng.choice(spec["context"])
                        parts = self.wrap(phrase, None, kind, style)
                        out.append(self._record(i, lang, kind, parts, "hard_negative", name, group))
        for kind, sentences in self.extra["bodies"].items():
            for i in range(len(sentences)):
                parts = [(b, None) for b in self.bodies(kind, self.rng.randint(2, 4))]
                group = f"{self.pen}:bodies/{kind}#{i}"
                out.append(self._record(i, "en", kind, parts, "helpful", f"bodies.{kind}", group))
        return out

    def _record(
        self, index: int, lang: str, kind: str, parts: list[tuple[str, str | None]], label_kind: str, source: str,
        group: str,
    ) -> dict[str, Any]:
        split = "dev" if index % 5 == 3 else "train"
        user_lang = lang if lang in self.extra["user"] or lang in self.base["user"] else "en"
        return _record(split, lang, self.user(user_lang, kind), parts, label_kind, source, group)


def add_round(out: dict[str, list[dict[str, Any]]], base: dict[str, Any], extra: dict[str, Any]) -> None:
    """Append a later round's responses to train and dev (new ids after the existing ones)."""
    rnd = Round(base, extra)
    seen = {(item["user"], item["response"]) for items in out.values() for item in items}
    fresh = []
    for item in rnd.items():
        key = (item["user"], item["response"])
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    rnd.rng.shuffle(fresh)
    for item in fresh:
        items = out[item["split"]]
        item["id"] = f"{item['split']}-{len(items):04d}"
        items.append(item)


def main() -> None:
    source = yaml.safe_load((HERE / "phrases.yaml").read_text(encoding="utf-8"))
    built = build(source)
    for extra_file in sorted(HERE.glob("phrases_r*.yaml")):
        add_round(built, source, yaml.safe_load(extra_file.read_text(encoding="utf-8")))
    for split, items in built.items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for item in items:
                keys = ("id", "split", "lang", "user", "response", "labels", "spans", "kind", "source", "group")
                ordered = {key: item[key] for key in keys}
                fh.write(json.dumps(ordered, ensure_ascii=False) + "\n")
        negatives = sum(1 for item in items if not item["labels"])
        print(f"{split}: {len(items)} responses, {negatives} negatives ({negatives / len(items):.0%})")


if __name__ == "__main__":
    main()
