"""SQLite vault: the embedded default. Values and tokens sealed with AES-256-GCM, digests for lookup.

One connection per process, used from a worker thread so the event loop never waits on disk.
WAL mode and `BEGIN IMMEDIATE` let several worker processes share one file safely.

`synchronous=NORMAL`: in WAL mode a commit then waits for no fsync (the WAL is synced at
checkpoints), so an application crash loses nothing and a power cut can lose the last
commits: a placeholder handed out just before it cannot be restored afterwards. With FULL every
new value waited for an fsync (about 3 ms here) while holding the vault's lock.

Unsealed rows are remembered for a few minutes (`OpenedRows`): the database stays the only source
of which rows exist, so expiry and erasure take effect at once; erasure also empties the memory.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from guard.errors import StateError
from guard.pii.sealing import RowSealer
from guard.pii.vault import VaultEntry

if TYPE_CHECKING:
    from guard.pii.keys import PIIKeys

__all__ = ["SqliteVault"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pii_vault (
    conversation TEXT NOT NULL,
    value_digest TEXT NOT NULL,
    token_digest TEXT NOT NULL,
    tenant TEXT NOT NULL,
    subject_hash TEXT,
    sealed BLOB NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (conversation, value_digest)
);
CREATE UNIQUE INDEX IF NOT EXISTS pii_vault_token ON pii_vault (conversation, token_digest);
CREATE INDEX IF NOT EXISTS pii_vault_subject ON pii_vault (tenant, subject_hash);
CREATE INDEX IF NOT EXISTS pii_vault_expiry ON pii_vault (expires_at);
"""


class SqliteVault:
    def __init__(self, path: Path, *, keys: PIIKeys, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._keys = keys
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._sealer = RowSealer(
            keys.vault,
            unreadable="A PII vault entry cannot be decrypted: the vault key changed or the file was altered.",
            unreadable_hint="Restore the original pii.key_file, or delete the vault file to start afresh.",
        )

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=10.0)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # durable against crashes; see the module doc
                db.executescript(_SCHEMA)
                os.chmod(self._path, 0o600)
            except (sqlite3.Error, OSError) as exc:
                raise StateError(
                    f"The PII vault at {self._path} cannot be opened ({type(exc).__name__}).",
                    hint="Check that data_dir (or pii.vault_url) points to a writable directory.",
                ) from None
            self._db = db
        return self._db

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._lock:
                try:
                    return work(self._connect())
                except sqlite3.Error as exc:
                    raise StateError(
                        f"The PII vault failed ({type(exc).__name__}).",
                        hint="Check disk space and file permissions of the vault file.",
                    ) from None

        return await asyncio.to_thread(run)

    async def load(self, conversation: str) -> list[VaultEntry]:
        now = self._clock()

        def work(db: sqlite3.Connection) -> list[tuple[bytes, str, str | None, float]]:
            return db.execute(
                "SELECT sealed, tenant, subject_hash, expires_at FROM pii_vault"
                " WHERE conversation = ? AND expires_at > ? ORDER BY rowid",
                (conversation, now),
            ).fetchall()

        rows = await self._call(work)
        return [self._sealer.unseal(conversation, *row) for row in rows]

    async def add(self, conversation: str, entries: Sequence[VaultEntry]) -> list[VaultEntry]:
        if not entries:
            return []
        expires = self._clock() + self._ttl
        prepared = [
            (
                entry,
                (
                    conversation,
                    self._keys.mac("value", entry.entity, entry.operator, entry.value),
                    self._keys.mac("token", entry.token),
                    entry.tenant,
                    entry.subject_hash,
                    self._sealer.seal(conversation, entry),
                    expires,
                ),
            )
            for entry in entries
        ]

        def work(db: sqlite3.Connection) -> list[VaultEntry]:
            refused: list[VaultEntry] = []
            db.execute("BEGIN IMMEDIATE")
            try:
                # An expired row must not block a new one with the same value or token.
                db.execute("DELETE FROM pii_vault WHERE conversation = ? AND expires_at <= ?",
                           (conversation, expires - self._ttl))
                for entry, row in prepared:
                    cursor = db.execute("INSERT OR IGNORE INTO pii_vault VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                    if cursor.rowcount == 0:
                        refused.append(entry)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return refused

        return await self._call(work)

    async def erase(self, tenant: str, subject_hash: str) -> int:
        def work(db: sqlite3.Connection) -> int:
            cursor = db.execute("DELETE FROM pii_vault WHERE tenant = ? AND subject_hash = ?", (tenant, subject_hash))
            self._sealer.forget()  # erasure is rare: forget every opened row rather than track subjects
            return cursor.rowcount

        return await self._call(work)

    async def purge_expired(self) -> int:
        now = self._clock()
        return await self._call(lambda db: db.execute("DELETE FROM pii_vault WHERE expires_at <= ?", (now,)).rowcount)

    async def aclose(self) -> None:
        def work() -> None:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

        self._sealer.forget()
        await asyncio.to_thread(work)
