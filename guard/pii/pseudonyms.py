"""Realistic-looking stand-ins for personal values, chosen deterministically from a keyed seed.

Fake values come from reserved or test ranges where one exists, so a stand-in is never someone's
real data: e-mail at example.com/.org/.net, phone numbers 555-01xx, documentation IP ranges
(RFC 5737), Luhn-valid cards on the 4000 00 test prefix, SSNs in the never-issued 9xx area.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Callable

__all__ = ["Pseudonymizer"]

_FIRST = [
    "Alex",
    "Blake",
    "Casey",
    "Dana",
    "Drew",
    "Eden",
    "Emery",
    "Finley",
    "Harper",
    "Hayden",
    "Jamie",
    "Jordan",
    "Kai",
    "Kendall",
    "Logan",
    "Morgan",
    "Noel",
    "Parker",
    "Quinn",
    "Reese",
    "Riley",
    "Robin",
    "Rowan",
    "Sage",
    "Sawyer",
    "Skyler",
    "Taylor",
    "Toby",
    "Avery",
    "Charlie",
    "Ellis",
    "Frankie",
    "Jesse",
    "Lane",
    "Marlowe",
    "Oakley",
    "Peyton",
    "Remy",
    "Shay",
    "Tatum",
]
_LAST = [
    "Abbott",
    "Barlow",
    "Calloway",
    "Dempsey",
    "Ellery",
    "Fairbanks",
    "Garland",
    "Hollis",
    "Irwin",
    "Jennings",
    "Kensington",
    "Lockhart",
    "Merriweather",
    "Northcott",
    "Oakes",
    "Pemberton",
    "Quincey",
    "Radcliffe",
    "Sterling",
    "Thornbury",
    "Underwood",
    "Vance",
    "Whitlock",
    "Yardley",
    "Ashdown",
    "Brightwell",
    "Coverdale",
    "Dunmore",
    "Everly",
    "Fenwick",
    "Grantham",
    "Hartwell",
    "Ingram",
    "Kingsley",
    "Langford",
]
_CITIES = [
    "Ashford",
    "Brookfield",
    "Clearwater",
    "Dunmore",
    "Elmwood",
    "Fairview",
    "Glenwood",
    "Harborview",
    "Lakeside",
    "Maplewood",
    "Northbridge",
    "Oakridge",
    "Pinecrest",
    "Riverton",
    "Stonebridge",
    "Thornfield",
    "Westbrook",
    "Willowdale",
    "Greenhaven",
    "Ridgefield",
]
_STREETS = ["Maple", "Cedar", "Birch", "Willow", "Aspen", "Chestnut", "Juniper", "Hawthorn", "Linden", "Poplar"]
_STREET_KINDS = ["Street", "Avenue", "Road", "Lane", "Drive", "Court"]


def _luhn_complete(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        value = int(char)
        if index % 2 == 0:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return partial + str((10 - total % 10) % 10)


def _shape(rng: random.Random, value: str) -> str:
    """Same shape as the value: digits stay digits, letters stay letters of the same case."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(str(rng.randrange(10)))
        elif ch.isalpha():
            letter = chr(rng.randrange(26) + ord("a"))
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


def _person(rng: random.Random, value: str) -> str:
    words = value.split()
    if len(words) == 1:
        return rng.choice(_FIRST)
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _location(rng: random.Random, value: str) -> str:
    if re.match(r"^\s*\d", value):
        return f"{rng.randrange(10, 999)} {rng.choice(_STREETS)} {rng.choice(_STREET_KINDS)}"
    return rng.choice(_CITIES)


def _email(rng: random.Random, value: str) -> str:
    domain = rng.choice(("example.com", "example.org", "example.net"))
    return f"{rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}{rng.randrange(10, 99)}@{domain}"


def _phone(rng: random.Random, value: str) -> str:
    area = rng.choice(("201", "312", "415", "617", "718", "804"))
    return f"({area}) 555-01{rng.randrange(100):02d}"


def _card(rng: random.Random, value: str) -> str:
    digits = _luhn_complete("400000" + "".join(str(rng.randrange(10)) for _ in range(9)))
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def _ssn(rng: random.Random, value: str) -> str:
    return f"9{rng.randrange(10, 99)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"


def _ip(rng: random.Random, value: str) -> str:
    if ":" in value:
        return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
    return f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}"


def _iban(rng: random.Random, value: str) -> str:
    bban = "NWBK" + "".join(str(rng.randrange(10)) for _ in range(14))
    numeric = "".join(str(int(ch, 36)) for ch in bban + "GB00")
    return f"GB{98 - int(numeric) % 97:02d}{bban}"


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})$")


def _birth_date(rng: random.Random, value: str) -> str:
    """A plausible date in the value's own format (ISO, numeric with its separator, or month name)."""
    year, month, day = rng.randrange(1940, 2006), rng.randrange(1, 13), rng.randrange(1, 29)
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return f"{year}-{month:02d}-{day:02d}"
    if numeric := _NUMERIC_DATE.match(text):
        first, separator, _, year_text = numeric.groups()
        # Keep day-first dates day-first: a first part above 12 cannot be a month.
        a, b = (day, month) if int(first) > 12 or separator == "." else (month, day)
        return f"{a:02d}{separator}{b:02d}{separator}{str(year)[-len(year_text) :]}"
    if any(name[:3] in text for name in _MONTHS):
        return f"{_MONTHS[month - 1]} {day}, {year}"
    return _shape(rng, value)


_MAKERS: dict[str, Callable[[random.Random, str], str]] = {
    "DATE_OF_BIRTH": _birth_date,
    "PERSON": _person,
    "LOCATION": _location,
    "EMAIL_ADDRESS": _email,
    "PHONE_NUMBER": _phone,
    "CREDIT_CARD": _card,
    "US_SSN": _ssn,
    "IP_ADDRESS": _ip,
    "IBAN_CODE": _iban,
}


class Pseudonymizer:
    """Makes a stand-in for (entity, value), seeded by a keyed hash so it is stable but unguessable."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def make(self, entity: str, value: str, *, scope: str, attempt: int = 0) -> str:
        seed = hmac.new(self._key, f"{scope}\x00{entity}\x00{value}\x00{attempt}".encode(), hashlib.sha256)
        rng = random.Random(seed.digest())  # noqa: S311 - realistic fakes, not secrets
        return _MAKERS.get(entity, _shape)(rng, value)
