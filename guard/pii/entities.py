"""Entity types: which ones exist, which are looked for by default, and how placeholders look.

Defaults favour what identifies a person. Dates and times, organisations and nationalities are
supported but off by default: on real chat traffic they mostly hit "10:30", "tomorrow" or "Apple"
and rewrite prompts that hold no personal data at all (see docs/pii.md).
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_ENTITIES",
    "ESCAPED_TOKEN",
    "MAX_PLACEHOLDER_LEN",
    "OPTIONAL_ENTITIES",
    "SUPPORTED_ENTITIES",
    "TOKEN",
    "escape_tokens",
    "placeholder",
    "unescape_tokens",
]

DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "LOCATION",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "US_BANK_NUMBER",
    "US_ITIN",
    "UK_NHS",
    "CRYPTO",
    "DATE_OF_BIRTH",
    "DE_TAX_ID",
    "DE_ID_CARD",
)

OPTIONAL_ENTITIES: tuple[str, ...] = ("DATE_TIME", "NRP", "ORGANIZATION", "URL", "MAC_ADDRESS")

SUPPORTED_ENTITIES: frozenset[str] = frozenset(DEFAULT_ENTITIES + OPTIONAL_ENTITIES)

# A placeholder is `<TYPE_N>`. The word joiner (U+2060) is the escape: a user who types
# `<PERSON_1>` has it sent upstream as `<⁠PERSON_1>` so it can never be taken for ours, and the
# restore step removes exactly one joiner again. Escaping is stuffing, so it is reversible for
# any text, including text that already holds joiners.
TOKEN = re.compile(r"<([A-Z][A-Z0-9_]*?)_([1-9][0-9]{0,5})>")
ESCAPED_TOKEN = re.compile(r"<(\u2060+)([A-Z][A-Z0-9_]*?_[1-9][0-9]{0,5})>")
_ESCAPABLE = re.compile(r"<(\u2060*)([A-Z][A-Z0-9_]*?_[1-9][0-9]{0,5})>")

# The longest placeholder we ever emit: `<` + type (<= 64) + `_` + number (<= 6 digits) + `>`.
MAX_PLACEHOLDER_LEN = 1 + 64 + 1 + 6 + 1


def placeholder(entity: str, number: int) -> str:
    return f"<{entity}_{number}>"


def escape_tokens(text: str) -> str:
    """Make every placeholder-shaped run in user text unlike ours (add one word joiner)."""
    if "<" not in text:
        return text
    return _ESCAPABLE.sub(lambda m: f"<{m.group(1)}\u2060{m.group(2)}>", text)


def unescape_tokens(text: str) -> str:
    """Undo `escape_tokens` (remove one word joiner from each escaped placeholder)."""
    if "\u2060" not in text:
        return text
    return ESCAPED_TOKEN.sub(lambda m: f"<{m.group(1)[1:]}{m.group(2)}>", text)
