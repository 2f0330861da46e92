"""The record stage's quick test for noted personal values never lets one through: with or without it,
the stored document is the same."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from guard.audit.recorder import _scrubbed
from guard.logging import personal_values, scrub_values

values = st.text(alphabet=st.sampled_from('ab "\\\n'), min_size=3, max_size=5)


@st.composite
def documents_and_values(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """Noted values, and a JSON document whose strings are made of them and of other text."""
    known = draw(st.lists(values, max_size=3))
    pieces = st.sampled_from(known) | st.text(alphabet=st.sampled_from('ab "\\\n\té'), max_size=4) if known \
        else st.text(max_size=4)
    strings = st.lists(pieces, max_size=3).map("".join)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | strings,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
        max_leaves=20,
    )
    doc = draw(st.dictionaries(strings.filter(lambda key: key != "findings"), json_values, max_size=6))
    return doc, known


@given(documents_and_values())
def test_the_quick_test_changes_nothing(case: tuple[dict[str, Any], list[str]]) -> None:
    doc, known = case
    with personal_values(known):
        expected = scrub_values(copy.deepcopy(doc), frozenset(known))
        assert _scrubbed(copy.deepcopy(doc)) == expected


def test_a_noted_value_is_masked_and_an_unrelated_document_is_returned_as_is() -> None:
    doc = {"reasons": [{"message": "About Rosalind Quiggley."}], "n": 1}
    with personal_values(["Rosalind Quiggley"]):
        assert _scrubbed(copy.deepcopy(doc)) == {"reasons": [{"message": "About [redacted]."}], "n": 1}
        clean = {"reasons": [{"message": "Nothing personal."}]}
        assert _scrubbed(clean) is clean
