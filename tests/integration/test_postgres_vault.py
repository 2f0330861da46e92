"""The PostgreSQL vault keeps the vault contract, shares entries between workers, and stores nothing readable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from guard.core.config import GuardSettings
from guard.errors import StateError
from guard.pii.keys import PIIKeys
from guard.pii.vault import VaultEntry, open_vault
from guard.pii.vault_postgres import PostgresVault
from tests.support.clock import Clock
from tests.support.postgres import fresh_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

KEYS = PIIKeys.from_master(b"v" * 32)


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
async def vault(database: str) -> AsyncIterator[tuple[PostgresVault, Clock]]:
    clock = Clock()
    store = PostgresVault(database, keys=KEYS, ttl_s=60, clock=clock)
    yield store, clock
    await store.aclose()


def entry(value: str, token: str, subject: str | None = "s1", tenant: str = "t") -> VaultEntry:
    return VaultEntry("PERSON", "pseudonym", value, token, tenant, subject)


async def test_entries_are_kept_per_conversation(vault: tuple[PostgresVault, Clock]) -> None:
    """What is added to one conversation is loaded back, in order, for it and for no other."""
    store, _ = vault
    assert await store.add("conv-a", [entry("Ann Lee", "Kim Ode"), entry("Bo Park", "Ida Voss")]) == []
    assert [(e.value, e.token) for e in await store.load("conv-a")] == [("Ann Lee", "Kim Ode"), ("Bo Park", "Ida Voss")]
    assert await store.load("conv-b") == []


async def test_a_taken_value_or_token_is_refused(vault: tuple[PostgresVault, Clock]) -> None:
    """A token is never given to two values, nor a value two tokens."""
    store, _ = vault
    await store.add("c", [entry("Ann Lee", "Kim Ode")])
    refused = await store.add("c", [entry("Bob Ray", "Kim Ode"), entry("Ann Lee", "Eve Dunn"),
                                    entry("Cy Tam", "Al Roe")])
    assert [e.value for e in refused] == ["Bob Ray", "Ann Lee"]


async def test_entries_expire_and_can_be_replaced(vault: tuple[PostgresVault, Clock]) -> None:
    """After the TTL an entry is gone, and its value may be given a new token."""
    store, clock = vault
    await store.add("c", [entry("Ann Lee", "Kim Ode")])
    clock.now += 61
    assert await store.load("c") == []
    assert await store.add("c", [entry("Ann Lee", "Eve Dunn")]) == []
    assert await store.purge_expired() == 0


async def test_erasure_by_subject(vault: tuple[PostgresVault, Clock]) -> None:
    """Erasing a subject deletes its entries in that tenant only."""
    store, _ = vault
    await store.add("c", [entry("Ann Lee", "Kim Ode", subject="s1"), entry("Bo Park", "Ida Voss", subject="s2")])
    await store.add("d", [entry("Ann Lee", "Kim Ode", subject="s1", tenant="other")])
    assert await store.erase("t", "s1") == 1
    assert [e.value for e in await store.load("c")] == ["Bo Park"]
    assert len(await store.load("d")) == 1


async def test_the_table_holds_no_readable_value(vault: tuple[PostgresVault, Clock], database: str) -> None:
    """Values and tokens are sealed: neither appears anywhere in the stored rows."""
    store, _ = vault
    await store.add("c", [entry("Ann Lee", "Kim Ode")])
    with psycopg.connect(database) as conn:
        dump = str(conn.execute("SELECT * FROM guard_pii_vault").fetchall())
    assert "Ann Lee" not in dump
    assert "Kim Ode" not in dump
    assert b"Ann Lee".hex() not in dump


async def test_two_workers_share_entries_and_race_safely(database: str) -> None:
    """A pseudonym one worker made is read by another; concurrent adds of one value leave one winner."""
    a = PostgresVault(database, keys=KEYS, ttl_s=60)
    b = PostgresVault(database, keys=KEYS, ttl_s=60)
    try:
        await a.add("conv", [entry("Ann Lee", "Kim Ode")])
        assert [e.token for e in await b.load("conv")] == ["Kim Ode"]
        results = await asyncio.gather(*(v.add("race", [entry("Bo Park", f"Tok {i}")])
                                         for i, v in enumerate([a, b, a, b])))
        assert sum(1 for refused in results if not refused) == 1
        assert len(await a.load("race")) == 1
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_worker_with_another_key_fails_closed(database: str) -> None:
    """Entries sealed under one key are refused (StateError), not misread, under another."""
    a = PostgresVault(database, keys=KEYS, ttl_s=60)
    b = PostgresVault(database, keys=PIIKeys.from_master(b"w" * 32), ttl_s=60)
    try:
        await a.add("conv", [entry("Ann Lee", "Kim Ode")])
        with pytest.raises(StateError, match=r"same pii\.key_file"):
            await b.load("conv")
    finally:
        await a.aclose()
        await b.aclose()


async def test_an_unreachable_database_is_a_state_error() -> None:
    """No server on the port: a StateError that names the setting, never a hang or a crash."""
    store = PostgresVault("postgresql://nobody@127.0.0.1:1/none", keys=KEYS, ttl_s=60, timeout_s=1)
    with pytest.raises(StateError, match=r"pii\.vault_url"):
        await store.load("conv")
    await store.aclose()


def test_open_vault_picks_postgres_by_url(settings: GuardSettings) -> None:
    """pii.vault_url = postgresql://... selects the PostgreSQL vault."""
    settings.pii.vault_url = "postgresql://guard@db.example/guard"
    assert isinstance(open_vault(settings, KEYS), PostgresVault)
