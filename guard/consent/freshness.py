"""Cached consent and disclosure reads for the SQLite store, checked for changes on every use.

Every exchange reads the person's consents and, in settings that disclose the AI, when that was
last shown. Going to a worker thread for that costs more than the query, so the answers are kept
in memory, and before each use SQLite is asked, on a second connection, what changed since:

- `PRAGMA data_version` changes whenever any other connection (our own writer, another worker,
  the CLI) commits to the file. Unchanged: every cached answer still holds.
- Changed: the change log names the subjects and conversations whose rows changed; only their
  answers are dropped. Triggers in the database write that log, so every writer keeps it, whatever
  its version of this code. It keeps the last `LOG_ROWS` changes; a reader that fell further
  behind drops everything.

So a withdrawal committed by any process is seen by the next exchange in every process, and a new
conversation's disclosure mark (frequent) costs only that conversation's cached answer. The check
runs on the event loop without waiting: if the watch connection is in use by another thread or
SQLite cannot answer at once, the caller drops the caches and reads the store as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from guard.core.lru import BoundedLRU

__all__ = ["CHANGE_LOG_SCHEMA", "LOG_ROWS", "ChangeWatch", "Changes", "ReadCache"]

K = TypeVar("K")
V = TypeVar("V")

#: Changes kept in the log; a watcher more than this many changes behind starts afresh.
LOG_ROWS = 10_000


def _logged(table: str, kind: str, key: str) -> str:
    """Triggers logging every row change of `table` (names are this module's constants, never input)."""
    statements = []
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_logged_{event.lower()} AFTER {event} ON {table} BEGIN "  # noqa: S608
            f"INSERT INTO guard_changes (kind, tenant, key) VALUES ('{kind}', {row}.tenant, {row}.{key}); "
            f"DELETE FROM guard_changes WHERE seq <= (SELECT MAX(seq) FROM guard_changes) - {LOG_ROWS}; END;")
    return "\n".join(statements)


#: The change log and the triggers that keep it (the consent tables must exist first).
CHANGE_LOG_SCHEMA = "\n".join([
    "CREATE TABLE IF NOT EXISTS guard_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
    "tenant TEXT NOT NULL, key TEXT NOT NULL);",
    _logged("consents", "consent", "subject_hash"),
    _logged("disclosures", "disclosure", "conversation_hash"),
])

# The watch never waits for a lock: a reader in WAL mode only has to if SQLite is recovering the file.
_WATCH_TIMEOUT_S = 0.0


@dataclass(slots=True)
class Changes:
    """What changed since the last look: everything, or these (tenant, key) pairs per kind."""

    everything: bool = False
    consents: set[tuple[str, str]] = field(default_factory=set)
    disclosures: set[tuple[str, str]] = field(default_factory=set)


class ReadCache(Generic[K, V]):
    """A bounded LRU. `generation` counts invalidations: a reader notes it before going to the store
    and `put`s only if nothing was invalidated meanwhile, so an answer read across a change is never kept."""

    # The table's own `get` (see BoundedLRU): a read costs no extra call.
    get: Callable[[K], V | None]

    def __init__(self, capacity: int) -> None:
        self.generation = 0
        self._items: BoundedLRU[K, V] = BoundedLRU(capacity)
        self.get = self._items.get

    @property
    def capacity(self) -> int:
        return self._items.capacity

    def put(self, key: K, value: V, generation: int) -> None:
        if generation == self.generation:
            self._items.put(key, value)

    def drop(self, keys: set[K]) -> None:
        if keys:
            self.generation += 1
            for key in keys:
                self._items.pop(key)

    def clear(self) -> None:
        self.generation += 1
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class ChangeWatch:
    """Tells, without blocking, what changed in the SQLite file since the last look."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._data_version: int | None = None
        self._seen: int | None = None  # the last change-log row read

    def open(self) -> None:
        """Open the watch connection (blocking: call it where blocking is fine, after the schema exists)."""
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                             timeout=_WATCH_TIMEOUT_S)

    def look(self) -> Changes | None:
        """What changed since the last look, or None if that cannot be told right now (not open, in
        use by another thread, SQLite busy): then no cached answer may be trusted."""
        if self._conn is None or not self._lock.acquire(blocking=False):
            return None
        try:
            return self._look(self._conn)
        except sqlite3.Error:
            self._data_version = self._seen = None
            return None
        finally:
            self._lock.release()

    def _look(self, conn: sqlite3.Connection) -> Changes:
        data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version == self._data_version:
            return Changes()
        # One read transaction: the log's bounds and its rows from the same snapshot. A commit after
        # the PRAGMA is then either in this snapshot or makes the next look read the log again.
        conn.execute("BEGIN")
        try:
            first, last = conn.execute("SELECT MIN(seq), MAX(seq) FROM guard_changes").fetchone()
            seen = self._seen
            changes = Changes()
            if seen is None or (first is not None and first > seen + 1) or (last is not None and last < seen):
                changes.everything = True  # the first look, or the log moved on past what we saw
            elif last is not None and last > seen:
                for kind, tenant, key in conn.execute(
                        "SELECT kind, tenant, key FROM guard_changes WHERE seq > ? AND seq <= ?", (seen, last)):
                    (changes.consents if kind == "consent" else changes.disclosures).add((tenant, key))
        finally:
            conn.execute("COMMIT")
        self._data_version, self._seen = data_version, last if last is not None else (seen or 0)
        return changes

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._data_version = self._seen = None
