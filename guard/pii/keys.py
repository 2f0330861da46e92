"""One secret key file, separate derived keys per purpose (vault, digests, hash, encrypt)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guard.core.subjects import load_or_create_key

if TYPE_CHECKING:
    from guard.core.config import GuardSettings

__all__ = ["PIIKeys", "key_path"]


def _derive(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, b"empathy-guard/pii/" + purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class PIIKeys:
    """Keys derived from `pii.key_file`; deriving keeps one purpose's output useless for another."""

    vault: bytes
    digest: bytes
    hash: bytes
    encrypt: bytes
    pseudonym: bytes

    @classmethod
    def from_master(cls, master: bytes) -> PIIKeys:
        return cls(*(_derive(master, p) for p in ("vault", "digest", "hash", "encrypt", "pseudonym")))

    @classmethod
    def load(cls, settings: GuardSettings) -> PIIKeys:
        return cls.from_master(load_or_create_key(key_path(settings)))

    def mac(self, *parts: str) -> str:
        """Hex HMAC of the parts under the digest key: lookups without storing values."""
        return hmac.new(self.digest, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def key_path(settings: GuardSettings) -> Path:
    return Path(settings.pii.key_file or settings.data_path("pii.key")).expanduser()
