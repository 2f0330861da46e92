"""Read the exchange Context from `X-Guard-*` headers (and OpenAI's `user` field)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from guard.core.context import Context
from guard.errors import BadRequest

__all__ = ["HEADER_FIELDS", "context_from_headers"]

HEADER_FIELDS = {
    "x-guard-subject": "subject",
    "x-guard-conversation": "conversation",
    "x-guard-setting": "setting",
    "x-guard-region": "region",
    "x-guard-locale": "locale",
    "x-guard-age-band": "age_band",
    "x-guard-purposes": "purposes",
}


def context_from_headers(
    headers: Mapping[str, str], *, tenant: str = "default", user: object = None, **extra: object
) -> Context:
    """Build a Context; a bad header value is a 400 that names the header, never echoes the subject."""
    values: dict[str, object] = {"tenant": tenant, **extra}
    for header, field in HEADER_FIELDS.items():
        value = headers.get(header)
        if value is not None and value.strip():
            values[field] = value.strip()
    if "subject" not in values and isinstance(user, str) and user.strip():
        values["subject"] = user.strip()
    try:
        return Context.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            field = str(error["loc"][0]) if error["loc"] else "context"
            header = next((h for h, f in HEADER_FIELDS.items() if f == field), field)
            problems.append(f"{header}: {error['msg']}")
        raise BadRequest(
            "Invalid Empathy Guard context: " + "; ".join(problems) + ".",
            hint="See docs/api.md for the X-Guard-* headers and their allowed values.",
        ) from None
