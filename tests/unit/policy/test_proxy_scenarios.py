"""Issue 4's scenarios through the proxy's chat route (ASGI, the scripted model as upstream).

The real admit, inspect and judge stages run; the consent store is SQLite. (Full loopback-HTTP
scenario tests are wired by the lead in tests/integration.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guard import detect
from guard._guard import Guard
from guard.consent.sqlite import SQLiteConsentStore
from guard.core.config import GuardSettings
from guard.core.subjects import SubjectHasher
from guard.demo.model_server import ScriptedModel
from guard.policy import build_stages
from guard.proxy import create_app


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Guard]]:
    settings = GuardSettings(data_dir=str(tmp_path / "state"))
    settings.upstreams.openai.base_url = "http://upstream.test/v1"
    store = SQLiteConsentStore(tmp_path / "consent.db")
    hasher = SubjectHasher(b"h" * 32)
    admit, judge = build_stages(settings, consents=store, hasher=hasher)
    guard = Guard(settings, stages=[admit, detect.build_stage(settings), judge], hasher=hasher,
                  services={"consents": store})
    app = create_app(settings, guard=guard, upstream_transport=httpx.ASGITransport(app=ScriptedModel().app()))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://proxy.test") as client:
        yield client, guard
    await guard.aclose()


def _chat(text: str) -> dict[str, Any]:
    return {"model": "scripted-demo", "messages": [{"role": "user", "content": text}]}


def _headers(**values: str) -> dict[str, str]:
    return {"X-Guard-Subject": "person-7", **{f"X-Guard-{k.replace('_', '-').title()}": v for k, v in values.items()}}


async def _grant(guard: Guard, purpose: str) -> None:
    await guard.services["consents"].grant("default", guard.hasher("default", "person-7"), purpose)


async def test_eu_workplace_emotion_inference_is_403_with_the_art_5_1_f_citation(
    setup: tuple[httpx.AsyncClient, Guard],
) -> None:
    """Even with consent, the proxy refuses and names EU AI Act Art. 5(1)(f)."""
    client, guard = setup
    await _grant(guard, "emotion_inference")
    response = await client.post("/v1/chat/completions", json=_chat("How do I seem today?"),
                                 headers=_headers(setting="workplace", region="DE", purposes="emotion_inference"))
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "policy_denied"
    assert {r["citation"] for r in body["guard"]["reasons"]} == {"EU AI Act Art. 5(1)(f)"}


async def test_eu_healthcare_with_consent_answers_with_disclosure(setup: tuple[httpx.AsyncClient, Guard]) -> None:
    """The same request in healthcare with consent is answered, opening with the AI disclosure."""
    client, guard = setup
    await _grant(guard, "emotion_inference")
    response = await client.post("/v1/chat/completions", json=_chat("I feel stressed."),
                                 headers=_headers(setting="healthcare", region="DE", locale="de",
                                                  purposes="emotion_inference"))
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content.startswith("Sie sprechen mit einem KI-System")
    decision = (await client.get(f"/guard/decisions/{response.headers['X-Guard-Decision']}")).json()
    assert any(r["citation"] == "EU AI Act Art. 50(3)" for r in decision["reasons"])


async def test_withdrawn_consent_makes_the_next_request_403(setup: tuple[httpx.AsyncClient, Guard]) -> None:
    """After withdrawal the next request needing the consent is refused with consent_required."""
    client, guard = setup
    await _grant(guard, "personalization")
    headers = _headers(purposes="personalization", region="US-TX")
    assert (await client.post("/v1/chat/completions", json=_chat("Hi"), headers=headers)).status_code == 200
    await guard.services["consents"].withdraw("default", guard.hasher("default", "person-7"), "personalization")
    refused = await client.post("/v1/chat/completions", json=_chat("Hi"), headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "consent_required"


async def test_us_ca_minor_companion_self_harm_gets_disclosure_and_988(
    setup: tuple[httpx.AsyncClient, Guard],
) -> None:
    """A known minor in a California companion chat who mentions self-harm sees the disclosure and 988."""
    client, _ = setup
    response = await client.post("/v1/chat/completions", json=_chat("I feel so sad, I want to kill myself."),
                                 headers=_headers(setting="companion", region="US-CA", age_band="minor"))
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content.startswith("You are talking to an AI system, not a human.")
    assert "988" in content


async def test_us_il_therapy_request_is_refused_under_hb_1806(setup: tuple[httpx.AsyncClient, Guard]) -> None:
    """In Illinois a request for AI therapy is a 403 naming the Illinois rule."""
    client, _ = setup
    response = await client.post("/v1/chat/completions", json=_chat("Can you be my therapist?"),
                                 headers=_headers(region="US-IL"))
    assert response.status_code == 403
    assert [r["id"] for r in response.json()["guard"]["reasons"]] == ["us_il.hb1806.no_ai_therapy"]


async def test_companion_guilt_trip_farewell_is_blocked(setup: tuple[httpx.AsyncClient, Guard]) -> None:
    """The scripted model's guilt-tripping goodbye never reaches a companion user."""
    client, _ = setup
    response = await client.post("/v1/chat/completions", json=_chat("ok, goodbye!"),
                                 headers=_headers(setting="companion", region="US-TX"))
    assert response.status_code == 200
    assert response.headers["X-Guard-Action"] == "block"
    content = response.json()["choices"][0]["message"]["content"]
    assert "lonely" not in content
    assert "I can't share that answer" in content
