"""Sealing vault rows: AES-GCM with the row's conversation as associated data, unsealed rows remembered.

Shared by the SQLite and PostgreSQL vaults, so both store the same bytes and read them the same way.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guard.errors import StateError
from guard.pii.vault import OpenedRows, VaultEntry

__all__ = ["RowSealer"]

_NONCE = 12


class RowSealer:
    """Seals an entry for one conversation and opens it again (remembering what it opened).

    `unreadable` and `unreadable_hint` are the error and the advice when a row cannot be opened.
    """

    def __init__(self, key: bytes, *, unreadable: str, unreadable_hint: str) -> None:
        self._aead = AESGCM(key)
        self._opened = OpenedRows()
        self._unreadable = unreadable
        self._unreadable_hint = unreadable_hint

    def seal(self, conversation: str, entry: VaultEntry) -> bytes:
        nonce = os.urandom(_NONCE)
        plain = json.dumps({"e": entry.entity, "o": entry.operator, "v": entry.value, "t": entry.token})
        return nonce + self._aead.encrypt(nonce, plain.encode(), conversation.encode())

    def unseal(self, conversation: str, sealed: bytes, tenant: str, subject: str | None, expires: float) -> VaultEntry:
        # The row's conversation is the AEAD's associated data, so it is part of what is remembered.
        key = conversation.encode() + b"\x00" + sealed
        opened = self._opened.get(key)
        if opened is None:
            try:
                data = json.loads(self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], conversation.encode()))
            except InvalidTag:
                raise StateError(self._unreadable, hint=self._unreadable_hint) from None
            opened = (data["e"], data["o"], data["v"], data["t"])
            self._opened.put(key, opened)
        return VaultEntry(*opened, tenant, subject, expires)

    def __len__(self) -> int:
        return len(self._opened)

    def forget(self) -> None:
        """Drop every remembered unsealed row (after an erasure)."""
        self._opened.clear()
