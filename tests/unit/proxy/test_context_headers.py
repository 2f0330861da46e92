"""The Context comes from X-Guard-* headers and OpenAI's `user` field, validated."""

from __future__ import annotations

import pytest

from guard.core.context import AgeBand, Setting
from guard.errors import BadRequest
from guard.proxy.context import context_from_headers


def test_headers_fill_the_context() -> None:
    """Every documented header lands in its field, normalised."""
    ctx = context_from_headers({
        "x-guard-subject": "user-42", "x-guard-setting": "companion", "x-guard-region": "us-ca",
        "x-guard-locale": "de-DE", "x-guard-age-band": "minor", "x-guard-purposes": "generation, emotion_inference",
    })
    assert ctx.subject == "user-42"
    assert ctx.setting is Setting.COMPANION
    assert ctx.region == "US-CA"
    assert ctx.country == "US"
    assert ctx.language == "de"
    assert ctx.age_band is AgeBand.MINOR
    assert ctx.purposes == ("emotion_inference", "generation")


def test_user_field_is_the_subject_when_the_header_is_absent() -> None:
    """OpenAI's `user` body field names the subject unless X-Guard-Subject does."""
    assert context_from_headers({}, user="u1").subject == "u1"
    assert context_from_headers({"x-guard-subject": "h"}, user="u1").subject == "h"


@pytest.mark.parametrize(("header", "value"), [
    ("x-guard-setting", "casino"), ("x-guard-region", "Germany"), ("x-guard-age-band", "teen"),
    ("x-guard-locale", "not a locale"), ("x-guard-purposes", "Emotion Inference!"),
])
def test_a_bad_header_is_a_bad_request_naming_the_header(header: str, value: str) -> None:
    """An invalid value is a 400 that names the header."""
    with pytest.raises(BadRequest, match=header):
        context_from_headers({header: value})


def test_the_subject_is_never_echoed_in_errors() -> None:
    """A subject id that is too long is refused without repeating it."""
    with pytest.raises(BadRequest) as caught:
        context_from_headers({"x-guard-subject": "secret-id-" * 40})
    assert "secret-id" not in str(caught.value)
