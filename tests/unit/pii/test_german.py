"""The second language path: German with patterns and cues only (no German spaCy model is installed)."""

from __future__ import annotations

import pytest

from guard.core.context import Context
from guard.core.decision import Decision
from guard.core.exchange import Exchange, Message
from guard.pii.analyzer import Analyzer
from guard.pii.settings import PIISettings

from .conftest import StageFactory

TEXT = (
    "Ich heiße Max Mustermann und wohne in der Hauptstraße 5, 10115 Berlin. Ruf mich an unter "
    "030 1234567 oder schreib an max.mustermann@example.de. Meine IBAN ist DE89 3704 0044 0532 0130 00, "
    "Steuer-ID 86095742719, geboren am 12.03.1985."
)


@pytest.fixture(scope="module")
def german() -> Analyzer:
    return Analyzer(PIISettings(languages=["en", "de"]))


def test_german_values_are_found_without_a_model(german: Analyzer) -> None:
    """Names after a cue, street and postcode, a German phone number, IBAN, tax id and birth date."""
    found = {(s.entity, TEXT[s.start:s.end]) for s in german.analyze(TEXT, "de")}
    assert found == {
        ("PERSON", "Max Mustermann"), ("LOCATION", "Hauptstraße 5"), ("LOCATION", "10115 Berlin"),
        ("PHONE_NUMBER", "030 1234567"), ("EMAIL_ADDRESS", "max.mustermann@example.de"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00"), ("DE_TAX_ID", "86095742719"),
        ("DATE_OF_BIRTH", "12.03.1985"),
    }


def test_an_unconfigured_language_falls_back_to_english(german: Analyzer) -> None:
    """A locale nobody configured is analysed with the English recognizers, never skipped."""
    assert german.language_for("fr") == "en"
    assert german.language_for("de") == "de"


async def test_the_stage_uses_the_context_locale(make_stages: StageFactory, german: Analyzer) -> None:
    """A de-DE exchange is redacted with the German recognizers."""
    redact, _ = make_stages(analyzer=german, languages=["en", "de"])
    exchange = Exchange(context=Context(locale="de-DE", conversation="k"), messages=[Message("user", TEXT)])
    decision = Decision(context=exchange.context)
    await redact.prepare(exchange)
    await redact.on_request(exchange, decision)
    assert exchange.messages[0].text.startswith("Ich heiße <PERSON_1> und wohne in der <LOCATION_1>, <LOCATION_2>.")
    assert decision.redactions["DE_TAX_ID"] == 1
