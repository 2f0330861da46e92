"""The fast alternation (guard.detect.alternation) matches what a plain alternation matches."""

from __future__ import annotations

import re

import pytest

from guard.detect import lexicon, patterns
from guard.detect.alternation import one_regex, split_top_level
from tests.unit.detect.handwritten_sets import DATASET, read_records


def _plain(alternatives: list[str], boundary: str | None = None) -> re.Pattern[str]:
    lead = boundary or ""
    return re.compile("|".join(f"{lead}(?:{alternative})" for alternative in alternatives), re.UNICODE)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The blind test set's answers and user turns, lower-cased (text no pattern was written from)."""
    records = read_records(DATASET / "holdout_c" / "holdout_c.jsonl")
    return [record[field].lower() for record in records for field in ("response", "user")]


def test_the_pattern_layer_finds_the_same_spans_as_a_plain_alternation(texts: list[str]) -> None:
    for tactic, fast in patterns._LOWER.items():
        plain = _plain(patterns._RAW[tactic])
        for text in texts:
            assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)], (tactic, text)


def test_the_lexicons_find_the_same_words_as_a_plain_alternation(texts: list[str]) -> None:
    for tactic, words in lexicon._WORDS.items():
        if tactic == "exit.restraint":
            continue  # its "*" entry has no word boundary (see lexicon._COMPILED)
        fast = re.compile(lexicon._word_regex(words), re.UNICODE)
        plain = re.compile("(?:" + "|".join(rf"(?<!\w)(?:{w})" for w in words) + r")(?!\w)", re.UNICODE)
        for text in texts:
            assert fast.findall(text) == plain.findall(text), (tactic, text)


def test_leading_groups_are_distributed_in_order() -> None:
    assert one_regex([r"\b(?:so|too) early"]) == r"(?<!\w)(?:s(?:(?:o early))|t(?:(?:oo early)))"
    # optional group: with it first, as greedy `?` tries it; then without
    assert one_regex([r"\b(?:my )?heart"]) == r"(?<!\w)(?:m(?:(?:y heart))|h(?:(?:eart)))"


def test_what_cannot_be_rewritten_is_kept() -> None:
    assert one_regex([r"\d+ ?€", r"\*[^*]+\*"]) == r"(?:\d+ ?€)|(?:\*[^*]+\*)"
    assert one_regex([r"\b(?:a|b)+c"]) == r"\b(?:(?:(?:a|b)+c))"  # a repeated group is not a leading group


def test_split_top_level_ignores_bars_in_groups_classes_and_escapes() -> None:
    assert split_top_level(r"a|(?:b|c)|[|]|\||d") == ["a", "(?:b|c)", "[|]", r"\|", "d"]
