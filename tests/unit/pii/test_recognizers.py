"""Recognizers find personal data and leave look-alikes alone (the tricky cases of issue 3)."""

from __future__ import annotations

import pytest

from guard.pii.analyzer import Analyzer
from guard.pii.recognizers import luhn_valid


def found(analyzer: Analyzer, text: str) -> set[tuple[str, str]]:
    return {(s.entity, text[s.start:s.end]) for s in analyzer.analyze(text)}


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Mail me at jane.doe+chat@example.co.uk please", "EMAIL_ADDRESS", "jane.doe+chat@example.co.uk"),
        ("my visa is 4111 1111 1111 1111", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("new mastercard 2223003122003222 arrived", "CREDIT_CARD", "2223003122003222"),
        ("card 2720-9999-9999-9996 expires soon", "CREDIT_CARD", "2720-9999-9999-9996"),
        ("amex 378282246310005", "CREDIT_CARD", "378282246310005"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
        ("my ssn is 536-22-8726", "US_SSN", "536-22-8726"),
        ("SSN 536228726 for the form", "US_SSN", "536228726"),
        ("server at 10.20.30.40 is down", "IP_ADDRESS", "10.20.30.40"),
        ("ping 2001:db8:85a3::8a2e:370:7334 now", "IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
        ("call me on +44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"),
        ("my cell is (415) 555-2671", "PHONE_NUMBER", "(415) 555-2671"),
        ("I was born on 12/03/1985 in a small town", "DATE_OF_BIRTH", "12/03/1985"),
        ("DOB: March 4, 1990", "DATE_OF_BIRTH", "March 4, 1990"),
        ("we moved to 42 Maple Avenue, Apt 3 last year", "LOCATION", "42 Maple Avenue, Apt 3"),
    ],
)
def test_patterns_find_values(pattern_analyzer: Analyzer, text: str, entity: str, value: str) -> None:
    """Each value is found with its type, even without the NER model."""
    assert (entity, value) in found(pattern_analyzer, text)


@pytest.mark.parametrize(
    "text",
    [
        "I feel like a zero today.",
        "We upgraded to version 15.10.27 yesterday.",
        "Is iOS 17.2.1.5 out?",
        "What is an SSN and why do forms ask for it?",
        "Our bucket is on S3 and the cluster runs on EKS.",
        "Let's meet at 10:30 tomorrow.",
        "Every individual deserves respect.",
        "Order 4111 1111 1111 1112 is not a card (bad checksum).",
        "The meeting is on 2024-05-06 at 14:00.",
        "Error code 1234567890 again",
    ],
)
def test_tricky_text_is_left_alone(ner_analyzer: Analyzer, text: str) -> None:
    """Look-alikes that are not personal data produce no span with the default settings."""
    assert found(ner_analyzer, text) == set()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Hi, my name is Sarah Connor and I need help.", "Sarah Connor"),
        ("Dr. Priya Patel prescribed it.", "Priya Patel"),
        ("John Q. Public Jr. filed the claim.", "John Q. Public Jr"),
        ("I talked to Martin Luther King III yesterday.", "Martin Luther King III"),
    ],
)
def test_names_with_cues_initials_and_suffixes(ner_analyzer: Analyzer, text: str, value: str) -> None:
    """Names are found whole: middle initials, Jr./III suffixes and names after a title."""
    persons = {v for e, v in found(ner_analyzer, text) if e == "PERSON"}
    assert any(value in p or (p in value and len(p) >= len(value) - 1) for p in persons), persons


@pytest.mark.parametrize(("text", "value"), [("Email Maria Lopez please.", "Maria Lopez"),
                                           ("Hi Sarah Connor, welcome back.", "Sarah Connor")])
def test_a_leading_verb_or_greeting_is_not_part_of_the_name(ner_analyzer: Analyzer, text: str, value: str) -> None:
    """NER sometimes takes in the sentence's first word; the name is kept without it."""
    assert ("PERSON", value) in found(ner_analyzer, text)


@pytest.mark.parametrize("text", ["You could call Dr. Mara Jensen at noon.", "Please ask Prof. Lee Chan."])
def test_a_title_after_a_contact_verb_is_not_a_name(ner_analyzer: Analyzer, text: str) -> None:
    """"call Dr. X" finds X, never the title itself."""
    persons = {v for e, v in found(ner_analyzer, text) if e == "PERSON"}
    assert persons
    assert not persons & {"Dr", "Dr.", "Prof", "Prof."}


def test_allow_list_and_deny_list(ner_analyzer: Analyzer) -> None:
    """Allow-listed terms are never reported; deny-listed terms always are."""
    from guard.pii.settings import PIISettings

    analyzer = Analyzer(PIISettings(ner=False, allow_list=["jane@example.com"],
                                    deny_list={"PROJECT": ["Bluebird"]}))
    text = "Send jane@example.com the Bluebird plan, cc bob@example.org"
    assert found(analyzer, text) == {("PROJECT", "Bluebird"), ("EMAIL_ADDRESS", "bob@example.org")}


def test_custom_recognizer_uses_context_words() -> None:
    """A custom regex below the threshold counts only with one of its context words nearby."""
    from guard.pii.settings import CustomRecognizer, PIISettings

    custom = CustomRecognizer(entity="CUSTOMER_ID", pattern=r"\bC-\d{6}\b", score=0.3, context=["customer"])
    analyzer = Analyzer(PIISettings(ner=False, custom=[custom]))
    assert found(analyzer, "customer number C-123456") == {("CUSTOMER_ID", "C-123456")}
    assert found(analyzer, "release C-123456") == set()


def test_dates_and_organisations_are_opt_in(ner_analyzer: Analyzer) -> None:
    """DATE_TIME and ORGANIZATION are found only when listed in pii.entities."""
    from guard.pii.settings import PIISettings

    text = "Apple moved the launch to 10:30 tomorrow."
    assert found(ner_analyzer, text) == set()
    wider = Analyzer(PIISettings(entities=["DATE_TIME", "ORGANIZATION"]))
    assert {e for e, _ in found(wider, text)} >= {"DATE_TIME"}


def test_unknown_entity_types_are_a_config_error() -> None:
    """Naming an entity type nobody recognises fails at start-up with a clear message."""
    from guard.errors import ConfigError
    from guard.pii.settings import PIISettings

    with pytest.raises(ConfigError, match="NOT_A_TYPE"):
        Analyzer(PIISettings(ner=False, entities=["NOT_A_TYPE"]))


@pytest.mark.parametrize(("digits", "valid"), [("4111111111111111", True), ("4111111111111112", False),
                                                 ("79927398713", True)])
def test_luhn(digits: str, valid: bool) -> None:
    """The Luhn checksum accepts valid numbers and rejects one-digit changes."""
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize("text", ["She never climbed alone again.", "Everyone said it was fine.",
                                  "They told me to wait.", "Nobody keeps promises."])
def test_pronouns_are_not_names(ner_analyzer: Analyzer, text: str) -> None:
    """Sentence subjects that are pronouns or function words are never taken for names."""
    assert found(ner_analyzer, text) == set()


@pytest.mark.parametrize("text", ["Ich habe heute Nacht wegen dir geweint.", "¿Qué comiste hoy?",
                                  "Kauf Münzen, dann tröste ich dich richtig."])
def test_english_ner_is_not_run_on_other_languages(ner_analyzer: Analyzer, text: str) -> None:
    """Text in an unconfigured language gets patterns only: English NER would read words as names."""
    assert found(ner_analyzer, text) == set()


def test_name_lists_still_get_ner(ner_analyzer: Analyzer) -> None:
    """A bare list of names (no English function words) is still analysed for names."""
    text = "José García, Zoë Müller"
    assert {e for e, _ in found(ner_analyzer, text)} == {"PERSON"}


def test_ner_spans_hold_words_only(ner_analyzer: Analyzer) -> None:
    """A name never takes in the punctuation or line break the model attached to it."""
    text = "I said: Sarah Connor >\nann.lee@example.com "
    assert ("PERSON", "Sarah Connor") in found(ner_analyzer, text)
