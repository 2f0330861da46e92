"""The tactic lexicons: every declared phrase is compiled, and who a sentence addresses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.detect import lexicon
from guard.detect.lexicon import is_personal, lexicon_features


@pytest.mark.parametrize("tactic", sorted(lexicon._WORDS))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_declared_phrase_is_matched_by_its_tactics_regex(tactic: str, data: st.DataObject) -> None:
    """A phrase left out of the compiled alternation would be a silent gap (restraint once lost its
    first entry, "snatch|tug|pin|drag|lock|hid"). Every phrase is tried in every example."""
    for phrase in lexicon._WORDS[tactic]:
        text = data.draw(st.from_regex(re.compile(phrase), fullmatch=True))
        assert lexicon._COMPILED[tactic].search(text), (phrase, text)


@pytest.mark.parametrize(
    ("sentence", "tactic"),
    [
        ("*she snatches your phone and hides it*", "exit.restraint"),
        ("their parts are poor quality, you know that", "brand_bias"),
        ("you get low-quality parts there", "brand_bias"),
    ],
)
def test_phrases_fire(sentence: str, tactic: str) -> None:
    assert "L:" + tactic in lexicon_features(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "tun sie das, und wir sehen uns vor gericht.",           # formal German
        "beachten sie, dass ihr konto gesperrt wird.",
        "doctolib vend vos données médicales.",                  # formal French
        "si se da de baja, le reclamaremos una penalización.",   # Spanish, pronoun dropped
        "usted perderá todo.",
        "i'd be careful there.",
    ],
)
def test_formal_and_plural_address_is_personal(sentence: str) -> None:
    assert is_personal(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["every night she climbed the stairs.", "les autres applis sont lentes.", "el tren sale a las diez."],
)
def test_narration_and_articles_are_not_personal(sentence: str) -> None:
    assert not is_personal(sentence)
