"""Spreading found values and finding stand-ins without compiling regexes: the same matches as the regexes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.pii.restore import find_literals
from guard.pii.spans import Span, _whole_word_matches, spread_found_values

_VALUES = st.lists(st.sampled_from(["Ann", "Ann Lee", "Lee", "nn L", "(415) 555-2671", "415", "a_b", "Ann_",
                                    "Zoë", "ë", "Ann Lee Jr."]), min_size=1, max_size=5, unique=True)
_TEXT = st.lists(st.sampled_from(["Ann", "Ann Lee", " ", "Lee", "x", "_", "(415) 555-2671", "415", "5", "Zoë",
                                  "ë", ".", "Jr.", "a_b", "Ann_"]), max_size=15).map("".join)


def regex_matches(text: str, values: list[str]) -> list[tuple[int, str]]:
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
                         + r")(?!\w)")
    return [(m.start(), m.group(0)) for m in pattern.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(text=_TEXT, values=_VALUES)
def test_matches_equal_the_alternation_regex(text: str, values: list[str]) -> None:
    assert _whole_word_matches(text, values) == regex_matches(text, values)


def test_a_value_found_once_is_marked_everywhere_as_a_whole_word() -> None:
    texts = ["call Dana Ruiz at noon", "Dana Ruiz said hi; Dana Ruizova did not", "DanaRuiz"]
    found = [[Span("PERSON", 5, 14, 0.9)], [], []]
    spread = spread_found_values(texts, found)
    assert [[(s.start, s.end) for s in spans] for spans in spread] == [[(5, 14)], [(0, 9)], []]


_LITERALS = st.lists(st.sampled_from(["<PERSON_1>", "<PERSON_12>", "<P", "Dana", "Dana Dempsey", "Dempsey",
                                      "<\u2060PERSON_1>", "a", "_x", "Zoë"]), max_size=4, unique=True)
_ANSWER = st.lists(st.sampled_from(["<PERSON_1>", "<PERSON_12>", "Dana", " Dempsey", "x", "_", "<", ">", " ", "ë",
                                    "Zoë", "\u2060", "a"]), max_size=14).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=_ANSWER, exact=_LITERALS, bounded=_LITERALS, start=st.integers(0, 3))
def test_find_literals_equals_the_regex_it_replaces(
    text: str, exact: list[str], bounded: list[str], start: int
) -> None:
    bounded = [b for b in bounded if b not in exact]
    parts = []
    if exact:
        parts.append("|".join(map(re.escape, sorted(exact, key=len, reverse=True))))
    if bounded:
        parts.append(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(bounded, key=len, reverse=True))) + r")(?!\w)")
    expected = ([(m.start(), m.end(), m.group(0)) for m in re.compile("|".join(f"(?:{p})" for p in parts))
                 .finditer(text, start)] if parts else [])
    assert find_literals(text, exact, bounded, start) == expected
