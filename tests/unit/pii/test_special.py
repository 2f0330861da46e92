"""Special categories (GDPR Art. 9) come from a short keyword list: clear cues hit, look-alikes do not."""

from __future__ import annotations

import pytest

from guard.pii.special import SpecialCategoryFinder, special_categories


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was diagnosed with depression last spring", {"health"}),
        ("my therapist changed my sertraline dose", {"health"}),
        ("as a muslim I fast during Ramadan", {"religion"}),
        ("I came out to my parents as gay", {"sexual_orientation"}),
        ("I joined the trade union at work", {"trade_union"}),
        ("the BRCA1 genetic test came back", {"genetic"}),
        ("use std::vector and some visual aids", set()),
        ("my heart is broken and the exam was awful", set()),
    ],
)
def test_special_categories(text: str, expected: set[str]) -> None:
    """Each text yields exactly the categories whose cue words it holds."""
    assert special_categories(text) == expected


def test_remembered_results_are_per_text_bounded_and_not_shared() -> None:
    """Results are remembered per text digest: a caller changing its set changes nothing for the next
    caller, a different text gets its own answer, and the table stays bounded."""
    finder = SpecialCategoryFinder(cache_size=16)
    first = finder.find("I was diagnosed with depression last spring")
    first.add("religion")
    assert finder.find("I was diagnosed with depression last spring") == {"health"}
    assert finder.find("I was diagnosed with depression last spring!") == {"health"}
    assert finder.find("nothing special here") == set()
    for n in range(16 + 10):
        finder.find(f"turn {n}")
    assert len(finder) == 16


def test_each_finder_remembers_on_its_own() -> None:
    """A finder's table is its own: nothing is remembered at module level or shared between finders."""
    one, other = SpecialCategoryFinder(), SpecialCategoryFinder(cache_size=0)
    assert one.find("my therapist helps") == other.find("my therapist helps") == {"health"}
    assert (len(one), len(other)) == (1, 0)
