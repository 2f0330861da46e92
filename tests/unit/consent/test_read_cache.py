"""The SQLite store answers repeated reads from memory, yet never misses a change by anyone."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from guard.consent.records import policy_time
from guard.consent.sqlite import SQLiteConsentStore
from guard.errors import StateError


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SQLiteConsentStore, SQLiteConsentStore]]:
    """Two stores on one file: two workers of one deployment."""
    first, second = SQLiteConsentStore(tmp_path / "consent.db"), SQLiteConsentStore(tmp_path / "consent.db")
    yield first, second
    await first.aclose()
    await second.aclose()


def _no_store_reads(store: SQLiteConsentStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every trip to the database fail loudly; returns the list of attempted trips."""
    trips: list[str] = []

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        trips.append("run")
        raise StateError("the test forbids reading the store now")

    monkeypatch.setattr(store, "_run", refuse)
    return trips


async def test_a_repeated_read_is_answered_from_memory(stores: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = stores
    await first.grant("t", "h", "emotion_inference")
    assert [r.purpose for r in await first.list("t", "h")] == ["emotion_inference"]
    assert await first.last_disclosed("t", "c") is None
    trips = _no_store_reads(first, monkeypatch)
    assert [r.purpose for r in await first.list("t", "h")] == ["emotion_inference"]
    assert await first.last_disclosed("t", "c") is None  # "never shown" is remembered too
    assert trips == []


async def test_a_withdrawal_by_another_worker_is_seen_on_the_next_read(stores: Any) -> None:
    first, second = stores
    await first.grant("t", "h", "emotion_inference")
    assert (await first.list("t", "h"))[0].withdrawn_at is None
    assert (await first.list("t", "h"))[0].withdrawn_at is None  # now cached
    await second.withdraw("t", "h", "emotion_inference")
    assert (await first.list("t", "h"))[0].withdrawn_at is not None
    await second.erase("t", "h")
    assert await first.list("t", "h") == []


async def test_a_change_by_another_process_without_this_code_is_seen(stores: Any, tmp_path: Path) -> None:
    """Triggers in the file bump the change counter, so even a plain SQL UPDATE from elsewhere counts."""
    first, _ = stores
    await first.grant("t", "h", "emotion_inference")
    assert (await first.list("t", "h"))[0].withdrawn_at is None
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
              "c.execute(\"UPDATE consents SET withdrawn_at = '2020-01-01T00:00:00.000000Z'\"); c.commit()")
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(tmp_path / "consent.db"))
    assert await child.wait() == 0
    assert (await first.list("t", "h"))[0].withdrawn_at == datetime(2020, 1, 1, tzinfo=UTC)


async def test_disclosure_times_from_another_worker_are_seen(stores: Any) -> None:
    first, second = stores
    assert await first.last_disclosed("t", "c") is None
    shown = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await second.mark_disclosed("t", "c", shown)
    assert await first.last_disclosed("t", "c") == shown


async def test_a_disclosure_mark_keeps_the_consent_answers(stores: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disclosure marks are frequent (every new conversation); they must not empty the consent cache."""
    first, second = stores
    await first.grant("t", "h", "emotion_inference")
    await first.list("t", "h")
    await second.mark_disclosed("t", "c", datetime(2026, 1, 2, tzinfo=UTC))
    trips = _no_store_reads(first, monkeypatch)
    assert [r.purpose for r in await first.list("t", "h")] == ["emotion_inference"]
    assert trips == []


async def test_own_changes_are_seen_at_once(tmp_path: Path) -> None:
    for path in (tmp_path / "own.db", ":memory:"):
        store = SQLiteConsentStore(path)
        await store.grant("t", "h", "training")
        assert len(await store.list("t", "h")) == 1
        await store.withdraw("t", "h", "training")
        assert (await store.list("t", "h"))[0].withdrawn_at is not None
        await store.erase("t", "h")
        assert await store.list("t", "h") == []
        await store.mark_disclosed("t", "c", datetime(2026, 1, 1, tzinfo=UTC))
        assert await store.last_disclosed("t", "c") == datetime(2026, 1, 1, tzinfo=UTC)
        await store.aclose()


async def test_when_freshness_cannot_be_told_the_store_is_read(stores: Any, tmp_path: Path) -> None:
    """A watch connection in use elsewhere (or SQLite busy) means: read the store, trust no cache."""
    first, _ = stores
    await first.grant("t", "h", "training")
    await first.list("t", "h")
    with sqlite3.connect(tmp_path / "consent.db") as raw:
        raw.execute("UPDATE consents SET withdrawn_at = ?", (policy_time(datetime(2020, 1, 1, tzinfo=UTC)),))
    watch = first._watch
    assert watch is not None
    with watch._lock:  # another thread is looking right now
        assert (await first.list("t", "h"))[0].withdrawn_at is not None


async def test_a_mark_drops_only_that_conversations_answer(stores: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = stores
    for _ in range(2):  # the first read opens the store; the second is the one kept
        assert await first.last_disclosed("t", "kept") is None
    await second.mark_disclosed("t", "marked", datetime(2026, 1, 2, tzinfo=UTC))
    assert await first.last_disclosed("t", "marked") == datetime(2026, 1, 2, tzinfo=UTC)
    await second.mark_disclosed("t", "marked", datetime(2026, 1, 3, tzinfo=UTC))
    trips = _no_store_reads(first, monkeypatch)
    assert await first.last_disclosed("t", "kept") is None
    assert trips == []
    with pytest.raises(StateError):  # the changed one is read again
        await first.last_disclosed("t", "marked")


async def test_a_reader_left_behind_by_the_pruned_log_drops_everything(stores: Any, tmp_path: Path) -> None:
    """The log keeps the last LOG_ROWS changes; a change pruned before a reader saw it must still count."""
    from guard.consent.freshness import LOG_ROWS

    first, _ = stores
    await first.grant("t", "h", "training")
    assert (await first.list("t", "h"))[0].withdrawn_at is None
    with sqlite3.connect(tmp_path / "consent.db") as raw:
        raw.execute("UPDATE consents SET withdrawn_at = '2020-01-01T00:00:00.000000Z'")
        raw.executemany("INSERT INTO disclosures VALUES ('t', ?, '2026-01-01T00:00:00.000000Z')",
                        [(f"c{i}",) for i in range(LOG_ROWS + 1)])
        assert raw.execute("SELECT COUNT(*) FROM guard_changes WHERE kind = 'consent'").fetchone()[0] == 0
    assert (await first.list("t", "h"))[0].withdrawn_at is not None


async def test_a_look_that_fails_says_so_and_the_next_one_starts_afresh(stores: Any, tmp_path: Path) -> None:
    from guard.consent.freshness import CHANGE_LOG_SCHEMA

    first, _ = stores
    await first.grant("t", "h", "training")
    watch = first._watch
    assert watch is not None
    assert watch.look() is not None
    with sqlite3.connect(tmp_path / "consent.db") as raw:
        raw.execute("DROP TABLE guard_changes")
    assert watch.look() is None  # cannot tell: no cached answer may be used
    assert watch._conn is not None
    assert not watch._conn.in_transaction  # the failed look's read transaction was ended
    with sqlite3.connect(tmp_path / "consent.db") as raw:
        raw.executescript(CHANGE_LOG_SCHEMA)
    changes = watch.look()
    assert changes is not None
    assert changes.everything
