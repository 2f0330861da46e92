"""Vaults keep stand-ins per conversation, expire them, erase by subject and (SQLite) encrypt at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from guard.core.config import GuardSettings
from guard.errors import ConfigError, StateError
from guard.pii.keys import PIIKeys
from guard.pii.vault import MemoryVault, Vault, VaultEntry, open_vault
from guard.pii.vault_sqlite import SqliteVault
from tests.support.clock import Clock

KEYS = PIIKeys.from_master(b"v" * 32)


@pytest.fixture(params=["memory", "sqlite"])
async def vault(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Vault, Clock]]:
    clock = Clock()
    store: Vault
    if request.param == "memory":
        store = MemoryVault(ttl_s=60, clock=clock)
    else:
        store = SqliteVault(tmp_path / "vault.sqlite3", keys=KEYS, ttl_s=60, clock=clock)
    yield store, clock
    await store.aclose()


def entry(value: str, token: str, subject: str | None = "s1", tenant: str = "t") -> VaultEntry:
    return VaultEntry("PERSON", "placeholder", value, token, tenant, subject)


async def test_entries_are_kept_per_conversation(vault: tuple[Vault, Clock]) -> None:
    """What is added to one conversation is loaded back for it and for no other."""
    store, _ = vault
    assert await store.add("conv-a", [entry("Ann Lee", "<PERSON_1>")]) == []
    loaded = await store.load("conv-a")
    assert [(e.value, e.token) for e in loaded] == [("Ann Lee", "<PERSON_1>")]
    assert await store.load("conv-b") == []


async def test_a_taken_value_or_token_is_refused(vault: tuple[Vault, Clock]) -> None:
    """Two writers cannot give one token to two values, nor two tokens to one value."""
    store, _ = vault
    await store.add("c", [entry("Ann Lee", "<PERSON_1>")])
    refused = await store.add("c", [entry("Bob Ray", "<PERSON_1>"), entry("Ann Lee", "<PERSON_2>"),
                                    entry("Cy Tam", "<PERSON_3>")])
    assert [e.value for e in refused] == ["Bob Ray", "Ann Lee"]


async def test_entries_expire_after_the_ttl(vault: tuple[Vault, Clock]) -> None:
    """After vault_ttl_s an entry is gone, and its token can be given out again."""
    store, clock = vault
    await store.add("c", [entry("Ann Lee", "<PERSON_1>")])
    clock.now += 61
    assert await store.load("c") == []
    assert await store.add("c", [entry("Bob Ray", "<PERSON_1>")]) == []
    clock.now += 61
    assert await store.purge_expired() == 1


async def test_erasure_by_subject(vault: tuple[Vault, Clock]) -> None:
    """erase(tenant, subject_hash) deletes that subject's entries only, in that tenant only."""
    store, _ = vault
    await store.add("c1", [entry("Ann Lee", "<PERSON_1>", subject="s1")])
    await store.add("c2", [entry("Bob Ray", "<PERSON_1>", subject="s2")])
    await store.add("c3", [entry("Cy Tam", "<PERSON_1>", subject="s1", tenant="other")])
    assert await store.erase("t", "s1") == 1
    assert await store.load("c1") == []
    assert len(await store.load("c2")) == 1
    assert len(await store.load("c3")) == 1


async def test_sqlite_file_holds_no_readable_value(tmp_path: Path) -> None:
    """Values and tokens are sealed: the file never contains them, and a wrong key cannot read them."""
    path = tmp_path / "v.sqlite3"
    store = SqliteVault(path, keys=KEYS, ttl_s=60)
    await store.add("c", [entry("Zebediah Quartermaine", "<PERSON_1>")])
    await store.aclose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # noqa: ASYNC240 - tiny test files
    assert b"Zebediah" not in raw
    assert b"PERSON_1" not in raw
    other = SqliteVault(path, keys=PIIKeys.from_master(b"w" * 32), ttl_s=60)
    with pytest.raises(StateError, match="cannot be decrypted"):
        await other.load("c")
    await other.aclose()


def test_open_vault_by_url(tmp_path: Path) -> None:
    """memory:// and sqlite:/// open their vaults (postgresql:// too: tests/integration/test_postgres_vault.py);
    other schemes are a config error."""
    base = GuardSettings(data_dir=str(tmp_path))
    assert isinstance(open_vault(base, KEYS), SqliteVault)
    memory = base.model_copy(update={"pii": base.pii.model_copy(update={"vault_url": "memory://"})})
    assert isinstance(open_vault(memory, KEYS), MemoryVault)
    for url in ("redis://x", "mysql://x/y"):
        other = base.model_copy(update={"pii": base.pii.model_copy(update={"vault_url": url})})
        with pytest.raises(ConfigError):
            open_vault(other, KEYS)
