"""Properties of the stages on generated chats: round trip, nothing detected goes upstream, no collisions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.core.decision import Decision
from guard.pii.analyzer import Analyzer
from guard.pii.settings import PIISettings
from guard.pii.stages import RedactStage, RestoreStage
from guard.pii.vault import MemoryVault

from .conftest import HASHER, KEYS, chat

_VALUES = ["ann.lee@example.com", "bo@mail.example.org", "(415) 555-2671", "+44 20 7946 0958",
           "4111 1111 1111 1111", "2223003122003222", "536-22-8726", "10.20.30.40", "DE89370400440532013000"]
_NOISE = ["<PERSON_1>", "<EMAIL_ADDRESS_1>", "<\u2060PHONE_NUMBER_1>", "\u2060", "<", ">", "hello", "call",
          "the", "x", "Dana", "my card", "version 1.2.3.4"]
_SEPARATORS = st.sampled_from([" ", ", ", ". ", " and ", "\n"])
_TEXT = st.lists(st.tuples(st.sampled_from(_VALUES + _NOISE), _SEPARATORS), min_size=1, max_size=10).map(
    lambda parts: "".join(a + b for a, b in parts)
)
_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


async def run(analyzer: Analyzer, turns: list[str], operator: str) -> list[tuple[str, str, str]]:
    """Each turn: (original, upstream, answer after output check and restore when the model echoes)."""
    settings_ = PIISettings(ner=False, default_operator=operator)  # type: ignore[arg-type]
    redact = RedactStage(settings_, analyzer=analyzer, vault=MemoryVault(), keys=KEYS, hasher=HASHER)
    restore = RestoreStage(settings_)
    seen = []
    try:
        for text in turns:
            exchange = chat(text)
            decision = Decision(context=exchange.context)
            await redact.prepare(exchange)
            await redact.on_request(exchange, decision)
            upstream = exchange.messages[0].text
            exchange.response_text = upstream
            await redact.on_response(exchange, decision)
            await restore.on_response(exchange, decision)
            seen.append((text, upstream, exchange.response_text))
    finally:
        await redact.aclose()
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=_HEALTH)
@given(st.lists(_TEXT, min_size=1, max_size=3), st.sampled_from(["placeholder", "pseudonym"]))
async def test_restore_of_redact_is_identity(pattern_analyzer: Analyzer, turns: list[str], operator: str) -> None:
    """restore(redact(x)) == x for the conversation's own values, turn after turn."""
    for original, _, answer in await run(pattern_analyzer, turns, operator):
        assert answer == original


@settings(max_examples=60, deadline=None, suppress_health_check=_HEALTH)
@given(_TEXT, st.sampled_from(["placeholder", "pseudonym", "hash", "encrypt", "mask"]))
async def test_no_detected_value_reaches_upstream(pattern_analyzer: Analyzer, text: str, operator: str) -> None:
    """No value the analyzer detected appears verbatim in what is sent upstream."""
    [(original, upstream, _)] = await run(pattern_analyzer, [text], operator)
    for span in pattern_analyzer.analyze(original):
        assert original[span.start:span.end] not in upstream


@settings(max_examples=60, deadline=None, suppress_health_check=_HEALTH)
@given(_TEXT)
async def test_typed_placeholders_never_collide(pattern_analyzer: Analyzer, text: str) -> None:
    """What the user typed that looks like a placeholder comes back as typed, never as someone's value."""
    typed = f"I typed <PERSON_1> and <EMAIL_ADDRESS_1>. {text}"
    [(original, _, answer)] = await run(pattern_analyzer, [typed], "placeholder")
    assert answer.startswith("I typed <PERSON_1> and <EMAIL_ADDRESS_1>. ")
    assert answer == original


_NAMES = ["Sarah Connor", "Kyle Reese", "Dr. Miles Dyson", "my sister Anna", "John Q. Public Jr.", "Boston",
          "42 Maple Avenue", "Dana"]


@settings(max_examples=25, deadline=None, suppress_health_check=_HEALTH)
@given(st.lists(st.tuples(st.sampled_from(_VALUES + _NOISE + _NAMES), _SEPARATORS), min_size=1, max_size=8),
       st.sampled_from(["placeholder", "pseudonym"]))
async def test_round_trip_with_the_ner_model(ner_analyzer: Analyzer, parts: list[tuple[str, str]],
                                             operator: str) -> None:
    """With NER on too, restoring the echoed upstream text gives back exactly what the user wrote."""
    text = "I said: " + "".join(a + b for a, b in parts)
    settings_ = PIISettings(default_operator=operator, output_check=False)  # type: ignore[arg-type]
    redact = RedactStage(settings_, analyzer=ner_analyzer, vault=MemoryVault(), keys=KEYS, hasher=HASHER)
    try:
        exchange = chat(text)
        decision = Decision(context=exchange.context)
        await redact.prepare(exchange)
        await redact.on_request(exchange, decision)
        exchange.response_text = exchange.messages[0].text
        await RestoreStage(settings_).on_response(exchange, decision)
    finally:
        await redact.aclose()
    assert exchange.response_text == text
