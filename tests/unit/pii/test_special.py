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
