"""The word-start index (guard.detect.anchors) finds exactly what scanning every position finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.detect import lexicon, patterns
from guard.detect.anchors import AnchoredPatterns, anchors
from guard.detect.features import _normalise
from guard.detect.sentences import split_sentences
from tests.unit.detect.handwritten_sets import DATASET, read_records

INDEXES = {"lexicon": lexicon._INDEX, "patterns": patterns._LOWER_INDEX}


def _scanned(index: AnchoredPatterns, text: str) -> list[tuple[str, int, int]]:
    """Every label's matches, found the plain way: its regex tried at every position."""
    return [(label, m.start(), m.end()) for label, pattern in index.compiled.items() for m in pattern.finditer(text)]


def _indexed(index: AnchoredPatterns, text: str) -> list[tuple[str, int, int]]:
    found = [(label, m.start(), m.end()) for label, m in index.finditer(text)]
    rank = {label: n for n, label in enumerate(index.compiled)}
    return sorted(found, key=lambda hit: (rank[hit[0]], hit[1]))  # per label in text order, as scanned


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("you", [("you", True)]),  # whole word: the lexicons end every phrase with (?!\w)
        ("can'?t", [("can", False)]),  # an optional mark: "cant" starts with "can"
        ("colou?r", [("colo", False)]),
        ("so+", [("so", False)]),
        ("you\\s?re", [("you", False)]),
        ("you\\s+re", [("you", True)]),
        ("(?:my )?heart\\b", [("my", True), ("heart", True)]),
        ("(?:a (?:little|bit) )?longer", [("a", True), ("longer", True)]),
        ("imagin\\w+", [("imagin", False)]),
    ],
)
def test_a_phrase_is_indexed_by_the_word_it_starts_with(phrase: str, expected: list[tuple[str, bool]]) -> None:
    found = anchors(phrase, boundary="(?<!\\w)", trailing_boundary=True)
    assert found is not None
    assert [(anchor.prefix, anchor.exact) for anchor in found] == expected  # type: ignore[union-attr]


def test_phrases_that_start_otherwise_are_indexed_by_what_they_start_with_or_not_at_all() -> None:
    assert [type(a).__name__ for a in anchors("\\*grabs", boundary=None, trailing_boundary=False) or []] == ["_Text"]
    assert [type(a).__name__ for a in anchors("\\d+ €", boundary="\\b", trailing_boundary=False) or []] == ["_Digit"]
    # Without a boundary a phrase may start inside a word: indexed by its text, wherever it occurs.
    assert [type(a).__name__ for a in anchors("lonel", boundary=None, trailing_boundary=False) or []] == ["_Text"]
    for phrase in ("[ab]c", "(?=x)y", "(?:x|y)*z", ".*z"):
        assert anchors(phrase, boundary="\\b", trailing_boundary=False) is None, phrase


def test_a_label_with_a_phrase_it_cannot_index_is_scanned_in_full() -> None:
    phrases = {"a": ["hello there", "[0-9]+ apples"], "b": ["apples?"]}
    compiled = {label: re.compile("|".join(f"\\b(?:{p})" for p in items)) for label, items in phrases.items()}
    index = AnchoredPatterns(compiled, phrases, boundary="\\b", trailing_boundary=False)
    assert index.unindexed == ["a"]
    text = "12 apples, hello there, apple"
    assert sorted(_indexed(index, text)) == sorted(_scanned(index, text))


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """Every sentence of every answer and user turn in the repository's data (over 48,000)."""
    out = []
    for path in sorted(DATASET.glob("**/*.jsonl")):
        for record in read_records(path):
            for field in ("response", "user"):
                text = record[field]
                out.extend(text[start:end] for start, end in split_sentences(text))
    return out


def test_the_lexicons_and_patterns_match_the_same_spans_as_a_full_scan_on_all_the_data(sentences: list[str]) -> None:
    assert len(sentences) > 30_000
    for sentence in sentences:
        normalised, lowered = _normalise(sentence), sentence.lower()
        assert _indexed(lexicon._INDEX, normalised) == _scanned(lexicon._INDEX, normalised), normalised
        assert _indexed(patterns._LOWER_INDEX, lowered) == _scanned(patterns._LOWER_INDEX, lowered), lowered


_PHRASES = sorted({phrase for table in (lexicon._WORDS, patterns._RAW) for items in table.values() for phrase in items})

# Text made of what the phrases match (each phrase's own strings, from hypothesis), glued to words
# and marks or to nothing, so phrases start at word starts, inside words and after marks.
_PIECE = st.one_of(
    st.sampled_from(_PHRASES).flatmap(lambda phrase: st.from_regex(re.compile(phrase), fullmatch=True)),
    st.sampled_from(["", " ", " ", "'", "*", "$", "5", ".", ",", "-", "’", "t", "s", "ly", "you", "i"]),
)
_TEXT = st.lists(_PIECE, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_random_text_built_from_the_phrases_matches_a_full_scan(text: str) -> None:
    for index in INDEXES.values():
        assert _indexed(index, text) == _scanned(index, text)
