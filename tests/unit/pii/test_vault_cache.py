"""The SQLite vault remembers unsealed rows: never another conversation's, bounded, short-lived, erasable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from guard.errors import StateError
from guard.pii.keys import PIIKeys
from guard.pii.vault import OpenedRows, VaultEntry
from guard.pii.vault_sqlite import SqliteVault
from tests.support.clock import Clock

KEYS = PIIKeys.from_master(b"v" * 32)


def entry(value: str, token: str, subject: str | None = "s1", tenant: str = "t") -> VaultEntry:
    return VaultEntry("PERSON", "placeholder", value, token, tenant, subject)


async def test_repeated_loads_unseal_once_and_return_the_same_entries(tmp_path: Path) -> None:
    store = SqliteVault(tmp_path / "v.sqlite3", keys=KEYS, ttl_s=60)
    try:
        await store.add("c", [entry("Ann Lee", "<PERSON_1>"), entry("Bob Ray", "<PERSON_2>")])
        first = await store.load("c")
        assert len(store._sealer) == 2
        assert await store.load("c") == first
        assert len(store._sealer) == 2
    finally:
        await store.aclose()


async def test_a_row_copied_into_another_conversation_is_still_refused(tmp_path: Path) -> None:
    """The conversation is the AEAD's associated data: a row opened once for conversation A and then
    copied under conversation B must fail to open, not come back from memory."""
    path = tmp_path / "v.sqlite3"
    store = SqliteVault(path, keys=KEYS, ttl_s=60)
    try:
        await store.add("conv-a", [entry("Ann Lee", "<PERSON_1>")])
        assert [e.value for e in await store.load("conv-a")] == ["Ann Lee"]
        with sqlite3.connect(path) as db:
            db.execute("INSERT INTO pii_vault SELECT 'conv-b', value_digest, token_digest, tenant, subject_hash,"
                       " sealed, expires_at FROM pii_vault WHERE conversation = 'conv-a'")
        with pytest.raises(StateError, match="cannot be decrypted"):
            await store.load("conv-b")
    finally:
        await store.aclose()


async def test_expired_and_erased_rows_are_not_returned_although_remembered(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteVault(tmp_path / "v.sqlite3", keys=KEYS, ttl_s=60, clock=clock)
    try:
        await store.add("c1", [entry("Ann Lee", "<PERSON_1>", subject="s1")])
        await store.add("c2", [entry("Bob Ray", "<PERSON_1>", subject="s2")])
        assert len(await store.load("c1")) == len(await store.load("c2")) == 1
        assert await store.erase("t", "s1") == 1
        assert len(store._sealer) == 0  # erasure also forgets what this process had opened
        assert await store.load("c1") == []
        clock.now += 61
        assert await store.load("c2") == []
    finally:
        await store.aclose()


def test_opened_rows_are_bounded_first_in_first_out() -> None:
    rows = OpenedRows(size=2)
    for key in (b"a", b"b", b"c"):
        rows.put(key, ("PERSON", "placeholder", key.decode(), "<PERSON_1>"))
    assert len(rows) == 2
    assert rows.get(b"a") is None
    assert rows.get(b"c") is not None


def test_opened_rows_are_forgotten_after_their_maximum_age() -> None:
    clock = Clock()
    rows = OpenedRows(size=10, max_age_s=300, clock=clock)
    rows.put(b"old", ("PERSON", "placeholder", "Ann Lee", "<PERSON_1>"))
    clock.now += 200
    rows.put(b"new", ("PERSON", "placeholder", "Bob Ray", "<PERSON_2>"))
    clock.now += 101
    assert rows.get(b"old") is None
    assert rows.get(b"new") is not None
    assert len(rows) == 1
