"""Prefilters skip recognizers that cannot match; they must never change what is found.

The reference is the same analyzer with `prefilter=False`, which runs every regex on every text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.pii.analyzer import Analyzer
from guard.pii.recognizers import NameCueRecognizer, TextFacts
from guard.pii.settings import CustomRecognizer, PIISettings
from guard.pii.spans import Span

CORPUS = Path(__file__).parents[2] / "data" / "pii" / "corpus.jsonl"

# Pieces that sit right on the prefilters' edges: cue words, near-miss digit counts, every
# shape the Presidio patterns take, and the letters IGNORECASE matches but str.lower() keeps apart.
_PIECES = [
    "my name is", "I'm", "IM", "ım", "this is", "call me", "named", "Dr.", "Mrs", "Granny", "Auntie", "Coach",
    "my sister", "MY best friend", "it's", "It Is", "thanks,", "Cheers,", "xoxo,", "-", "—", "–", "said",
    "from work", "took over", "didn't", "never", "ask", "e-mail", "see", "Maria", "Lopez", "Sarah Connor",
    "Jr.", "Kai", "ssn", "SſN", "social security", "passport", "us", "license", "lic#", "driver", "account",
    "acct", "bank", "nhs", "Steuer-ID", "Personalausweis", "wallet", "btc", "ip", "İP", "itin", "tax",
    "born on", "DOB:", "birthday is", "geboren am", "@", "ann@example.com", "(415) 555-2671", "+44 20 7946 0958",
    "4111 1111 1111 1111", "2223003122003222", "536-22-8726", "536 22 8726", "536228726", "912-70-1234",
    "10.20.30.40", "1.2.3", "2001:db8::1", "::", "fe80::", "dead:beef::", "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432", "A1234567", "C01X00T47", "T22000129", "12345678901", "943 476 5919",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "12/03/1985",
    "March 4, 1990", "42 Maple Avenue", "Hauptstraße 5", "10115 Berlin", "0", "7", "12", "123456", "x",
    "version", "v", "\u2060", "<PERSON_1>", "K", "ſ", "İ", "İT'S", "İM", "MY", "ĸ", "ǅ", "ẞ", "ﬅ",
]
_SEPARATORS = st.sampled_from([" ", ", ", ". ", "\n", "", ": ", " - "])
_TEXT = st.lists(st.tuples(st.sampled_from(_PIECES), _SEPARATORS), min_size=1, max_size=12).map(
    lambda parts: "".join(a + b for a, b in parts)
)


def spans(analyzer: Analyzer, text: str) -> list[Span]:
    return analyzer.analyze_batch([text], cache=False)[0]


@pytest.fixture(scope="module")
def pair() -> tuple[Analyzer, Analyzer]:
    patterns_only = PIISettings(ner=False, languages=["en", "de"])
    return Analyzer(patterns_only), Analyzer(patterns_only, prefilter=False)


def test_corpus_spans_are_identical_with_and_without_prefilters(ner_analyzer: Analyzer) -> None:
    """Every corpus message, NER on: the prefiltered analyzer finds exactly what the reference finds."""
    reference = Analyzer(PIISettings(), nlp=dict(ner_analyzer._nlp), prefilter=False)
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    differing = [text for text in texts if spans(ner_analyzer, text) != spans(reference, text)]
    assert differing == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, language=st.sampled_from(["en", "de"]))
def test_generated_texts_give_identical_spans(pair: tuple[Analyzer, Analyzer], text: str, language: str) -> None:
    fast, reference = pair
    assert fast.analyze_batch([text], language, cache=False) == reference.analyze_batch([text], language, cache=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_a_closed_gate_means_no_span_could_pass(pair: tuple[Analyzer, Analyzer], text: str) -> None:
    """Per recognizer: whenever its gate says no, its unfiltered search finds nothing that would be kept."""
    fast, reference = pair
    facts = TextFacts(text)
    for gate, recognizer in zip(fast._gates["en"], reference._recognizers["en"], strict=True):
        if gate is not None and not gate(facts):
            kept = [s for s in recognizer.find(text) if fast._keep(text, s)]
            assert kept == [], type(recognizer).__name__


def test_folded_text_holds_what_ignorecase_would_match() -> None:
    """`(?i)im` matches "ım" and `(?i)s` matches "ſ"; the folded text must say so too."""
    assert TextFacts("IM here").has_any(["im"])
    assert TextFacts("ım here").has_any(["im"])
    assert TextFacts("SſN").has_any(["ssn"])
    assert TextFacts("hey İT'S John").has_any(["it"])
    assert NameCueRecognizer().find("hey İT'S John.") == NameCueRecognizer(prefilter=False).find("hey İT'S John.")
    assert TextFacts("a ١٢٣ b 45").digits == 5  # Arabic-Indic digits count as digits


def test_name_cues_still_fire_on_each_cue_kind() -> None:
    recognizer = NameCueRecognizer()
    for text, name in [("my name is Maria Lopez", "Maria Lopez"), ("see you, Dr. Mara Jensen", "Mara Jensen"),
                       ("my sister Ana visits", "Ana"), ("hey it's John.", "John"), ("talk soon - Priya", "Priya"),
                       ("please call Shannon Bray at noon", "Shannon Bray"), ("Mark from work", "Mark"),
                       ("Granny Rose baked", "Rose")]:
        assert name in [text[s.start:s.end] for s in recognizer.find(text)], text


def test_weak_patterns_run_only_with_a_context_word(pattern_analyzer: Analyzer) -> None:
    """A driver's licence number scores 0.3 + 0.35 with a cue: without one it cannot pass 0.6."""
    assert [s.entity for s in pattern_analyzer.analyze("my driver license is A1234567")] == ["US_DRIVER_LICENSE"]
    assert pattern_analyzer.analyze("the part is A1234567") == []


def test_a_lowered_threshold_turns_the_context_requirement_off() -> None:
    """The gate follows the configured thresholds: at 0.2 the licence pattern counts on its own."""
    analyzer = Analyzer(PIISettings(ner=False, thresholds={"US_DRIVER_LICENSE": 0.2}))
    assert [s.entity for s in analyzer.analyze("the part is A1234567")] == ["US_DRIVER_LICENSE"]


def test_custom_recognizer_below_threshold_needs_its_context_word() -> None:
    custom = CustomRecognizer(entity="CUSTOMER_ID", pattern=r"\bC-\d{6}\b", score=0.3, context=["customer"])
    analyzer = Analyzer(PIISettings(ner=False, custom=[custom]))
    assert analyzer.analyze("ticket C-123456") == []
    assert [s.entity for s in analyzer.analyze("customer C-123456")] == ["CUSTOMER_ID"]
