"""The therapy-request signal and the sentence helpers behind rewrite."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.policy.sentences import answers_something, remove_sentences, sentence_spans
from guard.policy.signals import is_therapy_request


@pytest.mark.parametrize("text", [
    "Can you be my therapist?",
    "Please act as my psychotherapist for a while.",
    "Let's do a therapy session tonight.",
    "Could you diagnose me? I think I have ADHD.",
    "Write me a treatment plan for my anxiety.",
    "I'd rather talk to you instead of a therapist.",
    "Sei meine Therapeutin.",
    "Sois mon psy ce soir.",
    "Hazme un plan de tratamiento.",
])
def test_therapy_requests_are_recognised(text: str) -> None:
    """Explicit asks for therapy, a diagnosis or a treatment plan set the signal."""
    assert is_therapy_request(text)


@pytest.mark.parametrize("text", [
    "My therapist said I should journal more.",
    "What is cognitive behavioural therapy?",
    "I had a rough day at work.",
    "How do I find a licensed counsellor near me?",
    "",
])
def test_talk_about_therapy_is_not_a_request(text: str) -> None:
    """Mentioning therapy, or asking for information about it, is not a request for AI therapy."""
    assert not is_therapy_request(text)


@given(st.text(alphabet=st.sampled_from("ab .!?\n"), max_size=80))
def test_sentence_spans_cover_the_text_without_gaps(text: str) -> None:
    """Sentence spans are contiguous and together reproduce the text."""
    spans = sentence_spans(text)
    assert "".join(text[s:e] for s, e in spans) == text
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


@given(st.lists(st.sampled_from(["One two three.", "Go now!", "Why not?", "Stay a while."]), min_size=1, max_size=6),
       st.data())
def test_removed_sentences_never_survive(sentences: list[str], data: st.DataObject) -> None:
    """Whatever span is flagged, no sentence overlapping it is left in the output."""
    text = " ".join(sentences)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    kept, removed = remove_sentences(text, [(start, end)])
    assert removed >= 1
    for s, e in sentence_spans(text):
        if s < end and start < e:
            assert text[s:e].strip() not in kept or text.count(text[s:e].strip()) > 1


def test_remove_sentences_honours_an_offset() -> None:
    """Spans given in whole-answer offsets apply to a chunk that starts later."""
    kept, removed = remove_sentences("Stay! Bye now.", [(100, 104)], offset=100)
    assert (kept, removed) == ("Bye now.", 1)


def test_answers_something_needs_a_real_sentence() -> None:
    """A bare interjection is not an answer; a three-word sentence or a Japanese clause is."""
    assert not answers_something("Bye!")
    assert answers_something("Paris is lovely.")
    assert answers_something("パリはフランスの首都です。")
