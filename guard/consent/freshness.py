"""Cached consent and disclosure reads for the SQLite store, checked for changes on every use.

Every exchange reads the person's consents and, in settings that disclose the AI, when that was
last shown. Going to a worker thread for that costs more than the query, so the answers are kept
in memory, and before each use one statement on a second connection asks SQLite whether anything
changed since:

- `PRAGMA data_version` changes whenever any other connection (our own writer, another worker,
  the CLI) commits to the file. Unchanged: every cached answer still holds.
- Changed: the consent table's change counter, kept by triggers in the database itself (so every
  writer bumps it, whatever its version of this code), says whether consents changed or only
  disclosure times did. Consents changed: the consent answers are dropped; the disclosure answers
  are dropped on any change.

So a withdrawal committed by any process is seen by the next exchange in every process. The check
runs on the event loop without waiting: if the watch connection is busy (another thread) or SQLite
cannot answer at once, the caller reads from the store as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["COUNTER_SCHEMA", "ChangeWatch", "ReadCache"]

K = TypeVar("K")
V = TypeVar("V")

#: A one-row counter that triggers bump on every change to `consents`.
COUNTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS consent_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO consent_changes (id, n) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS consents_changed_insert AFTER INSERT ON consents
    BEGIN UPDATE consent_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS consents_changed_update AFTER UPDATE ON consents
    BEGIN UPDATE consent_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS consents_changed_delete AFTER DELETE ON consents
    BEGIN UPDATE consent_changes SET n = n + 1 WHERE id = 1; END;
"""

# The watch never waits for a lock: a reader in WAL mode only does if SQLite is recovering the file.
_WATCH_TIMEOUT_S = 0.0


class ReadCache(Generic[K, V]):
    """A bounded LRU whose entries all go at once on `clear`.

    `generation` counts the clears: a reader notes it before going to the store and `put`s only if
    no clear happened meanwhile, so an answer read across a change is never kept.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.generation = 0
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V, generation: int) -> None:
        if generation != self.generation or self.capacity <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self.generation += 1
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class ChangeWatch:
    """Tells, without blocking, whether the SQLite file changed since the last look."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._data_version: int | None = None
        self._consent_version: int | None = None

    def open(self) -> None:
        """Open the watch connection (blocking: call it where blocking is fine, after the schema exists)."""
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                             timeout=_WATCH_TIMEOUT_S)

    def look(self) -> tuple[bool, bool] | None:
        """(anything changed, consents changed) since the last look, or None if that cannot be told
        right now (not open, in use by another thread, SQLite busy): then nothing may be trusted."""
        if self._conn is None or not self._lock.acquire(blocking=False):
            return None
        try:
            data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if data_version == self._data_version:
                return False, False
            row = self._conn.execute("SELECT n FROM consent_changes WHERE id = 1").fetchone()
            consent_version = row[0] if row else None
        except sqlite3.Error:
            self._data_version = self._consent_version = None
            return None
        finally:
            self._lock.release()
        consents_changed = consent_version is None or consent_version != self._consent_version
        self._data_version, self._consent_version = data_version, consent_version
        return True, consents_changed

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._data_version = self._consent_version = None
