"""What replaces a detected value: mask, placeholder, hash, encrypt or pseudonym (or keep).

`placeholder` and `pseudonym` are conversation-scoped and reversible through the vault (see
`guard.pii.conversation`); `mask`, `hash` and `encrypt` are computed here from the value alone.
Encrypted values read `<enc:TYPE:BASE64>` and are opened by `guard redact --decrypt` with the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guard.errors import RedactionError

__all__ = ["ENCRYPTED", "OPERATORS", "decrypt_text", "encrypt_value", "hash_value", "mask_value"]

OPERATORS = frozenset({"mask", "placeholder", "hash", "encrypt", "pseudonym", "keep"})
ENCRYPTED = re.compile(r"<enc:([A-Z][A-Z0-9_]*):([A-Za-z0-9_-]+)>")
# Types whose last four characters help a person recognise their own value ("card ending 4242").
_KEEP_TAIL = frozenset({"CREDIT_CARD", "IBAN_CODE", "PHONE_NUMBER", "US_BANK_NUMBER", "US_SSN", "UK_NHS"})


def mask_value(entity: str, value: str) -> str:
    """Letters and digits become `*`; separators stay; card-like numbers keep their last four."""
    keep = 4 if entity in _KEEP_TAIL else 0
    alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
    visible = set(alnum[-keep:]) if keep and len(alnum) > 8 else set()
    return "".join(ch if (not ch.isalnum() or i in visible) else "*" for i, ch in enumerate(value))


def hash_value(key: bytes, entity: str, value: str) -> str:
    """A keyed HMAC-SHA256 (first 16 hex digits): equal values give equal tokens, nothing else leaks."""
    digest = hmac.new(key, f"{entity}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"<hash:{entity}:{digest[:16]}>"


def encrypt_value(key: bytes, entity: str, value: str) -> str:
    """AES-256-GCM with a nonce derived from the value (SIV style): stable per value, authenticated."""
    nonce = hmac.new(key, b"nonce\x00" + f"{entity}\x00{value}".encode(), hashlib.sha256).digest()[:12]
    sealed = AESGCM(key).encrypt(nonce, value.encode(), entity.encode())
    return f"<enc:{entity}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}>"


def _open(key: bytes, entity: str, blob: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        return AESGCM(key).decrypt(raw[:12], raw[12:], entity.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error):
        raise RedactionError(
            "An encrypted value could not be decrypted: wrong key or damaged text.",
            hint="Use the pii.key_file of the deployment that encrypted it.",
        ) from None


def decrypt_text(key: bytes, text: str) -> tuple[str, int]:
    """Replace every `<enc:TYPE:...>` in text by its value; returns the text and how many were opened."""
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _open(key, match.group(1), match.group(2))

    return ENCRYPTED.sub(one, text), count
