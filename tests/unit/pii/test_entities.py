"""Placeholder escaping is reversible for any text and leaves no placeholder-shaped run behind."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.pii.entities import TOKEN, escape_tokens, unescape_tokens

_PIECES = st.sampled_from(
    ["<PERSON_1>", "<", ">", "\u2060", "PERSON", "_1", "<EMAIL_ADDRESS_12>", "x", " ", "<\u2060A_3>"]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=12).map("".join)


@settings(deadline=None)
@given(_TEXT)
def test_escaping_round_trips(text: str) -> None:
    """unescape(escape(x)) == x for every text, including text that already holds word joiners."""
    assert unescape_tokens(escape_tokens(text)) == text


@settings(deadline=None)
@given(_TEXT)
def test_escaped_text_holds_no_placeholder(text: str) -> None:
    """After escaping, nothing in user text can be mistaken for one of our placeholders."""
    assert TOKEN.search(escape_tokens(text)) is None


def test_plain_text_is_untouched() -> None:
    """Text without placeholder-shaped runs is returned as is."""
    assert escape_tokens("a <b> and <Person_1> stay") == "a <b> and <Person_1> stay"
