"""Operators: masking keeps shape, hashing is keyed, encryption is reversible only with the key."""

from __future__ import annotations

import pytest

from guard.errors import RedactionError
from guard.pii.keys import PIIKeys
from guard.pii.operators import decrypt_text, encrypt_value, hash_value, mask_value
from guard.pii.pseudonyms import Pseudonymizer
from guard.pii.recognizers import luhn_valid

KEY = PIIKeys.from_master(b"m" * 32)


def test_mask_keeps_separators_and_the_last_four_of_numbers() -> None:
    """A card keeps its last four digits and separators; a name is fully masked."""
    assert mask_value("CREDIT_CARD", "4111 1111 1111 1234") == "**** **** **** 1234"
    assert mask_value("PERSON", "Ann Lee") == "*** ***"


def test_hash_is_stable_and_keyed() -> None:
    """Equal values hash alike under one key and differently under another."""
    one = hash_value(KEY.hash, "PERSON", "Ann Lee")
    assert one == hash_value(KEY.hash, "PERSON", "Ann Lee")
    assert one != hash_value(PIIKeys.from_master(b"n" * 32).hash, "PERSON", "Ann Lee")
    assert "Ann" not in one


def test_encrypt_round_trips_with_the_key_only() -> None:
    """`<enc:...>` tokens decrypt in place with the right key and fail with a clear error otherwise."""
    token = encrypt_value(KEY.encrypt, "EMAIL_ADDRESS", "ann@example.com")
    assert "ann" not in token
    assert decrypt_text(KEY.encrypt, f"write to {token}.") == ("write to ann@example.com.", 1)
    with pytest.raises(RedactionError, match="wrong key"):
        decrypt_text(PIIKeys.from_master(b"x" * 32).encrypt, token)


def test_pseudonyms_look_real_and_come_from_safe_ranges() -> None:
    """Stand-ins are plausible values from reserved ranges, stable for one scope and value."""
    fake = Pseudonymizer(KEY.pseudonym)
    email = fake.make("EMAIL_ADDRESS", "ann@corp.com", scope="c")
    assert email.endswith(("@example.com", "@example.org", "@example.net"))
    card = fake.make("CREDIT_CARD", "4111 1111 1111 1111", scope="c").replace(" ", "")
    assert card.startswith("400000")
    assert luhn_valid(card)
    assert fake.make("PHONE_NUMBER", "+1 415 555 2671", scope="c").split("555-01")[1].isdigit()
    assert fake.make("PERSON", "Ann Lee", scope="c") == fake.make("PERSON", "Ann Lee", scope="c")
    assert len(fake.make("PERSON", "Ann Lee", scope="c").split()) == 2
    assert fake.make("US_PASSPORT", "X1234567", scope="c")[0].isupper()
    assert fake.make("DATE_OF_BIRTH", "1985-03-12", scope="c")[:2] in {"19", "20"}
    assert fake.make("DATE_OF_BIRTH", "24.12.1970", scope="c").count(".") == 2
