"""Special categories (GDPR Art. 9) come from a short keyword list: clear cues hit, look-alikes do not."""

from __future__ import annotations

import pytest

from guard.pii.special import special_categories


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
    from guard.pii import special

    first = special_categories("I was diagnosed with depression last spring")
    first.add("religion")
    assert special_categories("I was diagnosed with depression last spring") == {"health"}
    assert special_categories("I was diagnosed with depression last spring!") == {"health"}
    assert special_categories("nothing special here") == set()
    for n in range(special._SEEN_SIZE + 10):
        special_categories(f"turn {n}")
    assert len(special._SEEN) == special._SEEN_SIZE
