"""Operational logs never carry message text or known personal values."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from guard.logging import DROPPED, DropPersonalData, configure_logging, note_personal_values, personal_values


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=buffer)
    yield buffer
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_guard_handler", False):
            root.removeHandler(handler)
    structlog.reset_defaults()


def _events(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_text_keys_are_dropped(stream: io.StringIO) -> None:
    """Keys that carry message text or identities are replaced, whatever their value."""
    structlog.get_logger("t").info("exchange", text="I feel awful", subject="alice-42", stage="admit")
    (event,) = _events(stream)
    assert event["text"] == DROPPED
    assert event["subject"] == DROPPED
    assert event["stage"] == "admit"
    assert event["level"] == "info"


def test_known_values_are_masked_everywhere(stream: io.StringIO) -> None:
    """A value the redact stage reported is masked in the event, in nested data and in other keys."""
    with personal_values(["Gwendolyn Featherstone"]):
        structlog.get_logger("t").warning("failed for Gwendolyn Featherstone",
                                          detail={"why": ["Gwendolyn Featherstone said no"]})
    (event,) = _events(stream)
    assert "Gwendolyn" not in json.dumps(event)
    assert event["event"] == "failed for [redacted]"


def test_values_noted_in_a_context_stay_in_it(stream: io.StringIO) -> None:
    """note_personal_values affects the current context; the block form resets afterwards."""
    with personal_values([]):
        note_personal_values(["Zebulon"])
        structlog.get_logger("t").info("x Zebulon")
    structlog.get_logger("t").info("y Zebulon")
    first, second = _events(stream)
    assert first["event"] == "x [redacted]"
    assert second["event"] == "y Zebulon"


def test_personal_data_shapes_are_masked(stream: io.StringIO) -> None:
    """E-mail, phone, card, IBAN and IP shapes are masked even when nobody reported them."""
    structlog.get_logger("t").info(
        "contact jane.doe@example.org or +49 30 1234567, card 4111 1111 1111 1111, "
        "iban DE89 3704 0044 0532 0130 00 from 192.168.10.7"
    )
    (event,) = _events(stream)
    text = str(event["event"])
    for raw in ("jane.doe@example.org", "1234567", "4111", "DE89", "192.168.10.7"):
        assert raw not in text


def test_stdlib_records_and_exceptions_are_scrubbed(stream: io.StringIO) -> None:
    """Library logs (uvicorn, httpx) and exception text pass through the same scrubber."""
    with personal_values(["Ottoline"]):
        try:
            raise ValueError("bad input from Ottoline <otto@example.com>")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("request by Ottoline failed")
    (event,) = _events(stream)
    dumped = json.dumps(event)
    assert "Ottoline" not in dumped
    assert "otto@example.com" not in dumped
    assert "ValueError" in dumped


def test_configure_is_idempotent(stream: io.StringIO) -> None:
    """Configuring twice does not duplicate output."""
    configure_logging(json=True, level="INFO", stream=stream)
    structlog.get_logger("t").info("once")
    assert len(_events(stream)) == 1


def test_level_filters(stream: io.StringIO) -> None:
    """Events below the configured level are not written."""
    configure_logging(json=False, level="WARNING", stream=stream)
    structlog.get_logger("t").info("hidden")
    structlog.get_logger("t").warning("shown")
    assert "hidden" not in stream.getvalue()
    assert "shown" in stream.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=4, max_size=30))
def test_any_noted_value_never_survives(value: str) -> None:
    """Whatever value is noted, the processor's output does not contain it."""
    processor = DropPersonalData()
    with personal_values([value]):
        out = processor(None, "info", {"event": f"about {value}!", "extra": [value, {"k": value}]})
    assert value not in json.dumps(out, ensure_ascii=False)


def test_chatty_libraries_log_warnings_only(stream: io.StringIO) -> None:
    """httpx's per-request lines and Presidio's recognizer list stay out of the operational log."""
    logging.getLogger("presidio-analyzer").info("Loaded recognizer: IbanRecognizer")
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1:8000/v1/chat/completions")
    logging.getLogger("presidio-analyzer").warning("recognizer failed")
    assert [event["event"] for event in _events(stream)] == ["recognizer failed"]
