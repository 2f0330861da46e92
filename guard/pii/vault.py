"""The vault: which placeholder or pseudonym stands for which value, per conversation.

`Vault` is the protocol; `MemoryVault` (tests, single process) and `SqliteVault` (embedded
default, `sqlite:///path`) implement it. In SQLite every value and token is sealed with
AES-256-GCM under a key derived from `pii.key_file`; lookups go through keyed digests, so the
file holds no readable personal data. Entries expire after `pii.vault_ttl_s` and can be erased
by subject (`DELETE /guard/subjects/{subject}`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from guard.errors import ConfigError

if TYPE_CHECKING:
    from guard.core.config import GuardSettings
    from guard.pii.keys import PIIKeys

__all__ = ["MemoryVault", "OpenedRows", "Vault", "VaultEntry", "open_vault"]


@dataclass(frozen=True, slots=True)
class VaultEntry:
    """One value and its stand-in within a conversation. `operator` is placeholder or pseudonym."""

    entity: str
    operator: str
    value: str
    token: str
    tenant: str
    subject_hash: str | None = None
    expires_at: float = 0.0


@runtime_checkable
class Vault(Protocol):
    async def load(self, conversation: str) -> list[VaultEntry]:
        """Live (unexpired) entries of one conversation key."""
        ...

    async def add(self, conversation: str, entries: Sequence[VaultEntry]) -> list[VaultEntry]:
        """Store new entries; returns those refused because their value or token is already taken."""
        ...

    async def erase(self, tenant: str, subject_hash: str) -> int:
        """Delete every entry of one subject in one tenant; returns how many were deleted."""
        ...

    async def purge_expired(self) -> int: ...

    async def aclose(self) -> None: ...


class MemoryVault:
    """Process-local vault for tests and single-process use; values are held in plain memory."""

    def __init__(self, *, ttl_s: float = 86_400.0, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._rows: dict[str, list[VaultEntry]] = {}

    async def load(self, conversation: str) -> list[VaultEntry]:
        now = self._clock()
        return [e for e in self._rows.get(conversation, []) if e.expires_at > now]

    async def add(self, conversation: str, entries: Sequence[VaultEntry]) -> list[VaultEntry]:
        live = await self.load(conversation)
        values = {(e.entity, e.operator, e.value) for e in live}
        tokens = {e.token for e in live}
        refused: list[VaultEntry] = []
        expires = self._clock() + self._ttl
        for entry in entries:
            if (entry.entity, entry.operator, entry.value) in values or entry.token in tokens:
                refused.append(entry)
                continue
            live.append(replace(entry, expires_at=expires))
            values.add((entry.entity, entry.operator, entry.value))
            tokens.add(entry.token)
        self._rows[conversation] = live
        return refused

    async def erase(self, tenant: str, subject_hash: str) -> int:
        erased = 0
        for key, rows in list(self._rows.items()):
            kept = [e for e in rows if not (e.tenant == tenant and e.subject_hash == subject_hash)]
            erased += len(rows) - len(kept)
            self._rows[key] = kept
        return erased

    async def purge_expired(self) -> int:
        now = self._clock()
        purged = 0
        for key, rows in list(self._rows.items()):
            kept = [e for e in rows if e.expires_at > now]
            purged += len(rows) - len(kept)
            self._rows[key] = kept
        return purged

    async def aclose(self) -> None:
        self._rows.clear()


_OPENED_ROWS = 4096
_OPENED_MAX_AGE_S = 300.0


class OpenedRows:
    """Unsealed vault rows by conversation and sealed bytes: bounded, first in first out, each kept
    at most a few minutes (SQLite and PostgreSQL vaults).

    Unsealing (AES-GCM and JSON) every row on every turn of a conversation is most of a load's
    CPU. The database stays the only source of which rows exist, so expiry and erasure take
    effect at once; this only spares decrypting a row again. Insertion order is age order, so
    expired and surplus rows are always at the front.
    """

    def __init__(self, size: int = _OPENED_ROWS, max_age_s: float = _OPENED_MAX_AGE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._max_age = max_age_s
        self._clock = clock
        self._rows: OrderedDict[bytes, tuple[float, tuple[str, str, str, str]]] = OrderedDict()
        self._lock = threading.Lock()  # loads read on the event loop, erasure clears in the vault's thread

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: bytes) -> tuple[str, str, str, str] | None:
        with self._lock:
            oldest = self._clock() - self._max_age
            while self._rows and next(iter(self._rows.values()))[0] < oldest:
                self._rows.popitem(last=False)
            found = self._rows.get(key)
        return found[1] if found is not None else None

    def put(self, key: bytes, row: tuple[str, str, str, str]) -> None:
        with self._lock:
            self._rows[key] = (self._clock(), row)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def open_vault(settings: GuardSettings, keys: PIIKeys) -> Vault:
    """The vault named by `pii.vault_url`: `memory://`, `sqlite:///path` (default under data_dir) or
    `postgresql://...` (shared by every worker and pod)."""
    url = settings.pii.vault_url or f"sqlite:///{settings.data_path('pii-vault.sqlite3')}"
    ttl = float(settings.pii.vault_ttl_s)
    if url.startswith("memory:"):
        return MemoryVault(ttl_s=ttl)
    if url.startswith("sqlite:///"):
        from guard.pii.vault_sqlite import SqliteVault

        return SqliteVault(Path(url.removeprefix("sqlite:///")).expanduser(), keys=keys, ttl_s=ttl)
    if url.startswith(("postgresql://", "postgres://")):
        from guard.pii.vault_postgres import PostgresVault

        return PostgresVault(url, keys=keys, ttl_s=ttl)
    raise ConfigError(
        "pii.vault_url must start with sqlite:///, memory:// or postgresql://.",
        hint="Example: sqlite:///var/lib/guard/pii-vault.sqlite3",
    )
