"""The consent stores keep records by tenant and subject hash, and SQLite and PostgreSQL agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from guard.consent import open_store
from guard.consent.postgres import PostgresConsentStore
from guard.consent.records import ConsentRecord, policy_time, proof_digest
from guard.consent.sqlite import SQLiteConsentStore
from guard.consent.store import ConsentStore
from guard.core.config import GuardSettings

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def test_grant_then_get_round_trips_every_field(consent_store: ConsentStore, tenant: str) -> None:
    """A granted record comes back with its times, source and proof intact."""
    proof = proof_digest("I agree that my messages may be analysed for emotions.")
    granted = await consent_store.grant(tenant, "h1", "emotion_inference", source="app", proof=proof,
                                        granted_at=T0, expires_at=T0 + timedelta(days=365))
    fetched = await consent_store.get(tenant, "h1", "emotion_inference")
    assert fetched == granted
    assert fetched.proof == proof
    assert fetched.status(T0 + timedelta(days=1)) == "valid"


async def test_withdraw_keeps_the_record_as_proof(consent_store: ConsentStore, tenant: str) -> None:
    """Withdrawal marks the record; it stays listed with its withdrawal time."""
    await consent_store.grant(tenant, "h1", "training", granted_at=T0)
    withdrawn = await consent_store.withdraw(tenant, "h1", "training", at=T0 + timedelta(hours=1))
    assert withdrawn is not None
    assert withdrawn.withdrawn_at == T0 + timedelta(hours=1)
    assert withdrawn.status(T0 + timedelta(hours=2)) == "withdrawn"
    assert [r.purpose for r in await consent_store.list(tenant, "h1")] == ["training"]


async def test_withdrawing_nothing_returns_none(consent_store: ConsentStore, tenant: str) -> None:
    """There is nothing to withdraw for a purpose never granted."""
    assert await consent_store.withdraw(tenant, "h1", "training") is None


async def test_renewal_clears_an_earlier_withdrawal(consent_store: ConsentStore, tenant: str) -> None:
    """Granting again after a withdrawal makes the consent valid again."""
    await consent_store.grant(tenant, "h1", "personalization", granted_at=T0)
    await consent_store.withdraw(tenant, "h1", "personalization", at=T0 + timedelta(hours=1))
    await consent_store.grant(tenant, "h1", "personalization", granted_at=T0 + timedelta(hours=2))
    record = await consent_store.get(tenant, "h1", "personalization")
    assert record is not None
    assert record.withdrawn_at is None
    assert record.status(T0 + timedelta(hours=3)) == "valid"


async def test_list_is_per_subject_and_tenant_and_sorted(consent_store: ConsentStore, tenant: str) -> None:
    """A subject sees only their own records in their own tenant, sorted by purpose."""
    for purpose in ("training", "emotion_inference", "personalization"):
        await consent_store.grant(tenant, "h1", purpose, granted_at=T0)
    await consent_store.grant(tenant, "h2", "training", granted_at=T0)
    await consent_store.grant(tenant + "-other", "h1", "retention", granted_at=T0)
    assert [r.purpose for r in await consent_store.list(tenant, "h1")] == [
        "emotion_inference", "personalization", "training"]


async def test_erase_deletes_only_that_subject(consent_store: ConsentStore, tenant: str) -> None:
    """Erasure removes every record of the subject and reports how many."""
    await consent_store.grant(tenant, "h1", "training", granted_at=T0)
    await consent_store.grant(tenant, "h1", "retention", granted_at=T0)
    await consent_store.grant(tenant, "h2", "training", granted_at=T0)
    assert await consent_store.erase(tenant, "h1") == 2
    assert await consent_store.list(tenant, "h1") == []
    assert len(await consent_store.list(tenant, "h2")) == 1


async def test_disclosure_times_are_remembered_per_conversation(consent_store: ConsentStore, tenant: str) -> None:
    """The last disclosure time is kept per conversation hash and can be moved forward."""
    assert await consent_store.last_disclosed(tenant, "c1") is None
    await consent_store.mark_disclosed(tenant, "c1", T0)
    await consent_store.mark_disclosed(tenant, "c1", T0 + timedelta(hours=3))
    assert await consent_store.last_disclosed(tenant, "c1") == T0 + timedelta(hours=3)
    assert await consent_store.last_disclosed(tenant, "c2") is None


async def test_concurrent_grants_all_land(consent_store: ConsentStore, tenant: str) -> None:
    """Many grants at once (as from several requests) are all stored."""
    await asyncio.gather(*(consent_store.grant(tenant, f"h{i}", "training", granted_at=T0) for i in range(40)))
    counts = await asyncio.gather(*(consent_store.list(tenant, f"h{i}") for i in range(40)))
    assert all(len(records) == 1 for records in counts)


def test_policy_time_sorts_like_time() -> None:
    """The fixed-width policy timestamps compare as strings in time order."""
    early = datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)
    late = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert policy_time(early) < policy_time(late)  # type: ignore[operator]
    assert policy_time(late) == "2026-01-01T00:00:01.000000Z"


def test_record_status_order_withdrawn_beats_expired() -> None:
    """A record both withdrawn and expired reports the withdrawal."""
    record = ConsentRecord("t", "h", "p", granted_at=T0, expires_at=T0 + timedelta(hours=1),
                           withdrawn_at=T0 + timedelta(minutes=1))
    assert record.status(T0 + timedelta(hours=2)) == "withdrawn"
    assert record.status(T0 - timedelta(hours=1)) == "pending"


def test_open_store_picks_the_backend_from_the_url(tmp_path: Path) -> None:
    """No URL -> SQLite under data_dir; sqlite:/// -> that file; postgresql:// -> PostgreSQL."""
    default = open_store(GuardSettings(data_dir=str(tmp_path / "state")))
    assert isinstance(default, SQLiteConsentStore)
    assert default.path == str(tmp_path / "state" / "consent.db")
    absolute = open_store(GuardSettings(consent={"url": "sqlite:////var/lib/guard/c.db"}))  # type: ignore[arg-type]
    assert isinstance(absolute, SQLiteConsentStore)
    assert absolute.path == "/var/lib/guard/c.db"
    pg = open_store(GuardSettings(consent={"url": "postgresql://u@db/guard"}))  # type: ignore[arg-type]
    assert isinstance(pg, PostgresConsentStore)


def test_open_store_rejects_other_urls() -> None:
    """An unsupported URL is a configuration error that says which forms work."""
    import pytest

    from guard.errors import ConfigError

    with pytest.raises(ConfigError, match="sqlite:///"):
        open_store(GuardSettings(consent={"url": "mysql://x"}))  # type: ignore[arg-type]


async def test_an_unreachable_postgres_is_a_state_error() -> None:
    """A store that cannot connect fails closed with StateError, not a driver exception."""
    import pytest

    from guard.errors import StateError

    store = PostgresConsentStore("postgresql://postgres@127.0.0.1:1/test", timeout_s=0.5)
    with pytest.raises(StateError, match="consent store"):
        await store.list("t", "h")
    await store.aclose()


async def test_an_unusable_sqlite_path_is_a_state_error(tmp_path: object) -> None:
    """A SQLite path that cannot be opened fails closed with StateError."""
    import pytest

    from guard.errors import StateError

    store = SQLiteConsentStore("/proc/no-such-dir/consent.db")
    with pytest.raises(StateError):
        await store.list("t", "h")
