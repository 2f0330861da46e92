"""The embedded consent store: one SQLite file (WAL), used from a worker thread.

Safe to construct anywhere: the file is opened on first use. Several processes may share the file
(SQLite locks it); each call is one short transaction, and only changes take the write lock.
The reads every exchange makes (a subject's consents, a conversation's last disclosure) are
answered from memory while the file has not changed (`guard.consent.freshness`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from guard.consent.freshness import CHANGE_LOG_SCHEMA, ChangeWatch, ReadCache
from guard.consent.records import ConsentRecord, policy_time, utc_now
from guard.errors import StateError

__all__ = ["SQLiteConsentStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consents (
    tenant TEXT NOT NULL,
    subject_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    expires_at TEXT,
    withdrawn_at TEXT,
    source TEXT NOT NULL,
    proof TEXT,
    PRIMARY KEY (tenant, subject_hash, purpose)
);
CREATE TABLE IF NOT EXISTS disclosures (
    tenant TEXT NOT NULL,
    conversation_hash TEXT NOT NULL,
    shown_at TEXT NOT NULL,
    PRIMARY KEY (tenant, conversation_hash)
);
"""

#: Subjects and conversations whose answers are kept in memory (a few hundred bytes each).
CACHE_ENTRIES = 10_000

_COLUMNS = "tenant, subject_hash, purpose, granted_at, expires_at, withdrawn_at, source, proof"


def _parse(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _record(row: tuple[Any, ...]) -> ConsentRecord:
    granted = _parse(row[3])
    assert granted is not None  # noqa: S101 - NOT NULL column
    return ConsentRecord(tenant=row[0], subject_hash=row[1], purpose=row[2], granted_at=granted,
                         expires_at=_parse(row[4]), withdrawn_at=_parse(row[5]), source=row[6], proof=row[7])


class SQLiteConsentStore:
    """Consent records in a SQLite file (`:memory:` for tests)."""

    def __init__(self, path: str | Path, *, cache_entries: int = CACHE_ENTRIES) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        # ":memory:" is one database per connection: nothing else can change it, nothing to watch.
        self._watch = ChangeWatch(self.path) if self.path != ":memory:" else None
        self._consents: ReadCache[tuple[str, str], tuple[ConsentRecord, ...]] = ReadCache(cache_entries)
        # (time,) rather than the time: a conversation never shown is cached too, as (None,).
        self._disclosures: ReadCache[tuple[str, str], tuple[datetime | None]] = ReadCache(cache_entries)

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA + CHANGE_LOG_SCHEMA)
            self._conn = conn
            if self._watch is not None:
                self._watch.open()
        return self._conn

    def _sync(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        with self._lock:
            try:
                conn = self._connect()
                if not write:  # one SELECT is a consistent snapshot already; no lock to take
                    return work(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            except (sqlite3.Error, OSError) as exc:
                raise StateError(
                    f"The consent store ({type(exc).__name__}) could not be used, so the exchange was refused.",
                    hint="Check that consent.url points at a writable SQLite file.",
                ) from None

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = True) -> T:
        return await asyncio.to_thread(self._sync, work, write=write)

    def _fresh(self) -> bool:
        """Drop what changes made stale; False if freshness cannot be told (then use no cached answer)."""
        if self._watch is None:
            return self._conn is not None  # all changes go through this store's one connection
        changes = self._watch.look()
        if changes is None or changes.everything:
            self._consents.clear()
            self._disclosures.clear()
            return changes is not None
        self._consents.drop(changes.consents)
        self._disclosures.drop(changes.disclosures)
        return True

    async def grant(
        self, tenant: str, subject_hash: str, purpose: str, *,
        source: str = "api", proof: str | None = None,
        expires_at: datetime | None = None, granted_at: datetime | None = None,
    ) -> ConsentRecord:
        record = ConsentRecord(tenant=tenant, subject_hash=subject_hash, purpose=purpose,
                               granted_at=granted_at or utc_now(), expires_at=expires_at,
                               source=source, proof=proof)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT OR REPLACE INTO consents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",  # noqa: S608
                (tenant, subject_hash, purpose, policy_time(record.granted_at), policy_time(expires_at),
                 source, proof),
            )

        await self._run(work)
        self._consents.drop({(tenant, subject_hash)})
        return record

    async def withdraw(
        self, tenant: str, subject_hash: str, purpose: str, *, at: datetime | None = None
    ) -> ConsentRecord | None:
        moment = at or utc_now()

        def work(conn: sqlite3.Connection) -> ConsentRecord | None:
            conn.execute(
                "UPDATE consents SET withdrawn_at = ? WHERE tenant = ? AND subject_hash = ? AND purpose = ?",
                (policy_time(moment), tenant, subject_hash, purpose),
            )
            return self._get(conn, tenant, subject_hash, purpose)

        try:
            return await self._run(work)
        finally:
            self._consents.drop({(tenant, subject_hash)})

    @staticmethod
    def _get(conn: sqlite3.Connection, tenant: str, subject_hash: str, purpose: str) -> ConsentRecord | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM consents WHERE tenant = ? AND subject_hash = ? AND purpose = ?",  # noqa: S608
            (tenant, subject_hash, purpose),
        ).fetchone()
        return _record(row) if row else None

    async def get(self, tenant: str, subject_hash: str, purpose: str) -> ConsentRecord | None:
        return await self._run(lambda conn: self._get(conn, tenant, subject_hash, purpose), write=False)

    async def list(self, tenant: str, subject_hash: str) -> list[ConsentRecord]:
        key = (tenant, subject_hash)
        fresh = self._fresh()
        if fresh and (cached := self._consents.get(key)) is not None:
            return list(cached)
        generation = self._consents.generation

        def work(conn: sqlite3.Connection) -> list[ConsentRecord]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM consents WHERE tenant = ? AND subject_hash = ? ORDER BY purpose",  # noqa: S608
                (tenant, subject_hash),
            ).fetchall()
            return [_record(row) for row in rows]

        records = await self._run(work, write=False)
        if fresh:
            self._consents.put(key, tuple(records), generation)
        return records

    async def erase(self, tenant: str, subject_hash: str) -> int:
        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute("DELETE FROM consents WHERE tenant = ? AND subject_hash = ?",
                                  (tenant, subject_hash))
            return cursor.rowcount

        try:
            return await self._run(work)
        finally:
            self._consents.drop({(tenant, subject_hash)})

    async def last_disclosed(self, tenant: str, conversation_hash: str) -> datetime | None:
        key = (tenant, conversation_hash)
        fresh = self._fresh()
        if fresh and (cached := self._disclosures.get(key)) is not None:
            return cached[0]
        generation = self._disclosures.generation

        def work(conn: sqlite3.Connection) -> datetime | None:
            row = conn.execute(
                "SELECT shown_at FROM disclosures WHERE tenant = ? AND conversation_hash = ?",
                (tenant, conversation_hash),
            ).fetchone()
            return _parse(row[0]) if row else None

        shown = await self._run(work, write=False)
        if fresh:
            self._disclosures.put(key, (shown,), generation)
        return shown

    async def mark_disclosed(self, tenant: str, conversation_hash: str, at: datetime) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO disclosures (tenant, conversation_hash, shown_at) VALUES (?, ?, ?)",
                (tenant, conversation_hash, policy_time(at)),
            )

        try:
            await self._run(work)
        finally:
            self._disclosures.drop({(tenant, conversation_hash)})

    async def aclose(self) -> None:
        with self._lock:
            if self._watch is not None:
                self._watch.close()
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        self._consents.clear()
        self._disclosures.clear()
