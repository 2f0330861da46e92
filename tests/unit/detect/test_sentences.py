"""Sentence spans."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guard.detect import split_sentences
from guard.detect.sentences import stable_prefix_end


def texts(spans: list[tuple[int, int]], text: str) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_splits_on_terminal_punctuation_and_line_breaks() -> None:
    """Sentences end at . ! ? (with closing quotes) or a line break; outer whitespace is excluded."""
    text = 'Hello there!  Are you ok? "Yes." Fine\n- one\n- two'
    assert texts(split_sentences(text), text) == ["Hello there!", "Are you ok?", '"Yes."', "Fine", "- one", "- two"]


def test_abbreviations_and_decimals_do_not_split() -> None:
    """'Dr.', 'e.g.' and '3.5' stay inside their sentence."""
    text = "Dr. Smith says 3.5 mg, e.g. twice a day. Then rest."
    assert texts(split_sentences(text), text) == ["Dr. Smith says 3.5 mg, e.g. twice a day.", "Then rest."]


def test_empty_and_blank_text_have_no_sentences() -> None:
    """Nothing to split gives no spans."""
    assert split_sentences("") == []
    assert split_sentences("   \n ") == []


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\t\"'")), max_size=80))
def test_spans_are_ordered_and_only_whitespace_lies_between(text: str) -> None:
    """Spans are ordered, disjoint, trimmed, and removing them leaves only whitespace."""
    spans = split_sentences(text)
    previous_end = 0
    rest = []
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace()
        assert not text[end - 1].isspace()
        rest.append(text[previous_end:start])
        previous_end = end
    rest.append(text[previous_end:])
    assert "".join(rest).strip() == ""


def test_stable_prefix_holds_back_only_the_last_sentence() -> None:
    """Only the sentence still being written is held: everything before its start is final."""
    assert stable_prefix_end("Hello there") == 0
    assert stable_prefix_end("Hello there. ") == 0
    assert stable_prefix_end("Hello there. How") == len("Hello there. ")
