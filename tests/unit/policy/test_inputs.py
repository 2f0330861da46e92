"""The fast input builder gives the policy exactly the document regopy's own Input would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.policy.bundle import PolicyBundle
from guard.policy.rego import compile_bundle, evaluate, new_interpreter

ECHO = compile_bundle(
    PolicyBundle(root=Path("."), modules={"echo.rego": "package echo\nimport rego.v1\nd := input\n"},
                 tests={}, data={}, revision="echo"),
    entrypoints=("echo/d",),
)
RUNNER = new_interpreter()

# regopy 1.5 does not escape control characters, backslashes or quotes in keys in its JSON output and prints
# floats with 15 significant digits, so those are left out here. Policies never echo free text:
# context fields are validated before they reach the engine, scores are rounded to 4 places.
text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters='\\"'), max_size=20)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 4))
    | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(text, json_values, max_size=5))
def test_documents_round_trip_through_the_engine(document: dict[str, Any]) -> None:
    """Any JSON-like document reads back from `input` unchanged."""
    assert evaluate(RUNNER, ECHO, "echo/d", document) == document


def test_unicode_and_nesting_survive() -> None:
    """Non-ASCII text, nulls and nested lists arrive intact."""
    document = {"context": {"locale": "ja", "text": "感情 é \u00e9"}, "xs": [[1, 2.5, None, True]], "empty": {}}
    assert evaluate(RUNNER, ECHO, "echo/d", document) == document
