"""The consent HTTP API: grant, read, withdraw, list, erase; per tenant; every change audited."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from guard._guard import Guard
from guard.consent.sqlite import SQLiteConsentStore
from guard.core.context import Context
from guard.core.exchange import Exchange, Message
from guard.core.memory import MemoryRecorder
from guard.core.subjects import SubjectHasher
from guard.errors import ConsentRequired
from guard.pii.vault import MemoryVault, VaultEntry
from guard.policy import default_policy_dir
from guard.policy.admit import AdmitStage
from guard.policy.embedded import EmbeddedEngine
from guard.proxy.consent_routes import router


class EventRecorder(MemoryRecorder):
    """A MemoryRecorder that also keeps audit events, like the signed audit recorder does."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def append_event(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.events.append((kind, payload))
        return {"seq": len(self.events)}


@pytest.fixture
async def guard(tmp_path: Path) -> AsyncIterator[Guard]:
    store = SQLiteConsentStore(tmp_path / "consent.db")
    hasher = SubjectHasher(b"s" * 32)
    engine = EmbeddedEngine(default_policy_dir(), reload=False)
    instance = Guard(stages=[AdmitStage(engine, consents=store, hasher=hasher)], recorder=EventRecorder(),
                     hasher=hasher, services={"consents": store, "vault": MemoryVault()})
    yield instance
    await instance.aclose()


@pytest.fixture
async def client(guard: Guard) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.guard = guard
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://guard") as http:
        yield http


def _events(guard: Guard) -> list[tuple[str, dict[str, Any]]]:
    recorder = guard.pipeline.recorder
    assert isinstance(recorder, EventRecorder)
    return recorder.events


async def test_grant_read_list_withdraw(client: httpx.AsyncClient) -> None:
    """A consent can be granted, read back, listed and withdrawn; the record stays as proof."""
    granted = await client.put("/guard/consent/alice/emotion_inference",
                               json={"expires_in_days": 30, "consent_text": "I agree.", "source": "signup"})
    assert granted.status_code == 200
    body = granted.json()
    assert body["status"] == "valid"
    assert body["source"] == "signup"
    assert body["proof"].startswith("sha256:")
    assert body["expires_at"] is not None
    assert (await client.get("/guard/consent/alice/emotion_inference")).json()["status"] == "valid"
    withdrawn = await client.delete("/guard/consent/alice/emotion_inference")
    assert withdrawn.json()["status"] == "withdrawn"
    listed = (await client.get("/guard/consent/alice")).json()["consents"]
    assert [(c["purpose"], c["status"]) for c in listed] == [("emotion_inference", "withdrawn")]


async def test_every_change_is_an_audit_event_without_the_subject_id(client: httpx.AsyncClient, guard: Guard) -> None:
    """Grant, withdrawal and erasure each leave one audit event keyed by the subject hash only."""
    await client.put("/guard/consent/alice/training")
    await client.delete("/guard/consent/alice/training")
    await client.delete("/guard/subjects/alice")
    events = _events(guard)
    assert [kind for kind, _ in events] == ["consent.granted", "consent.withdrawn", "subject.erased"]
    expected_hash = guard.hasher("default", "alice")
    for _, payload in events:
        assert payload["subject_hash"] == expected_hash
        assert "alice" not in repr(payload)


async def test_reads_are_not_audited(client: httpx.AsyncClient, guard: Guard) -> None:
    """Only changes are written to the audit trail."""
    await client.get("/guard/consent/alice")
    await client.get("/guard/consent/alice/training")
    assert _events(guard) == []


async def test_tenants_are_isolated_by_header(client: httpx.AsyncClient) -> None:
    """Without auth, X-Guard-Tenant selects the tenant; another tenant sees nothing."""
    await client.put("/guard/consent/alice/training", headers={"X-Guard-Tenant": "acme"})
    assert (await client.get("/guard/consent/alice")).json()["consents"] == []
    listed = (await client.get("/guard/consent/alice", headers={"X-Guard-Tenant": "acme"})).json()["consents"]
    assert len(listed) == 1


async def test_missing_records_are_404(client: httpx.AsyncClient) -> None:
    """Reading or withdrawing a consent that does not exist is a 404 in the usual error shape."""
    read = await client.get("/guard/consent/bob/training")
    assert read.status_code == 404
    assert read.json()["error"]["code"] == "not_found"
    assert (await client.delete("/guard/consent/bob/training")).status_code == 404


@pytest.mark.parametrize("body", [{"expires_in_days": -1}, {"unknown": 1}, "not json"])
async def test_invalid_bodies_are_400(client: httpx.AsyncClient, body: object) -> None:
    """A malformed grant body is refused with a message naming the field."""
    content = body if isinstance(body, str) else None
    response = await client.put("/guard/consent/bob/training", content=content,
                                json=None if content else body)
    assert response.status_code == 400


async def test_invalid_purpose_is_400(client: httpx.AsyncClient) -> None:
    """Purpose names must be lower_snake_case."""
    assert (await client.put("/guard/consent/bob/Not-A-Purpose")).status_code == 400


async def test_erasure_removes_consents_and_vault_entries(client: httpx.AsyncClient, guard: Guard) -> None:
    """DELETE /guard/subjects/{subject} erases the consents and the subject's vault entries."""
    await client.put("/guard/consent/alice/training")
    await client.put("/guard/consent/alice/retention")
    vault = guard.services["vault"]
    subject_hash = guard.hasher("default", "alice")
    await vault.add("conv-1", [VaultEntry(entity="PERSON", operator="placeholder", value="Alice Example",
                                          token="<PERSON_1>", tenant="default", subject_hash=subject_hash,
                                          expires_at=time.time() + 60)])
    erased = (await client.delete("/guard/subjects/alice")).json()["erased"]
    assert erased["consents"] == 2
    assert erased["vault_entries"] == 1
    assert (await client.get("/guard/consent/alice")).json()["consents"] == []


async def test_withdrawal_through_the_api_refuses_the_next_exchange(client: httpx.AsyncClient, guard: Guard) -> None:
    """Grant via the API lets an exchange through; after DELETE the very next one is refused."""
    def exchange() -> Exchange:
        return Exchange(context=Context(subject="alice", purposes="generation,personalization"),
                        messages=[Message(role="user", text="Hi")])

    await client.put("/guard/consent/alice/personalization")
    assert (await guard.pipeline.start(exchange())).allow
    await client.delete("/guard/consent/alice/personalization")
    with pytest.raises(ConsentRequired):
        await guard.pipeline.start(exchange())
