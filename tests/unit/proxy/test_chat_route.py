"""The chat route writes stage results back into the provider format and answers errors in OpenAI's shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.decision import Decision, Outcome, Reason
from guard.core.exchange import Exchange
from guard.core.stage import BaseStage
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app


class NameSwap(BaseStage):
    """Test stage: hides the name 'Alice' upstream and restores it in the answer."""

    name = "redact"

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        for message in exchange.messages:
            if "Alice" in message.text:
                message.text = message.text.replace("Alice", "<PERSON_1>")
                decision.redactions["PERSON"] += 1
                decision.stage(self.name).outcome = Outcome.CHANGED

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        exchange.response_text = exchange.response_text.replace("<PERSON_1>", "Alice")


class DenyEmotion(BaseStage):
    name = "admit"

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        if "emotion_inference" in exchange.context.purposes:
            decision.allow = False
            decision.add_reason(Reason("consent.missing", "No consent for emotion_inference."))


@pytest.fixture
async def proxy(settings: GuardSettings) -> AsyncIterator[tuple[httpx.AsyncClient, ScriptedModel]]:
    model = ScriptedModel()
    guard = Guard(settings, stages=[DenyEmotion(), NameSwap()])
    app = create_app(settings, guard=guard, upstream_transport=httpx.ASGITransport(app=model.app()))
    settings.upstreams.openai.base_url = "http://upstream.test/v1"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            yield client, model


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "scripted-demo", "messages": [{"role": "user", "content": text}], **extra}


async def test_the_upstream_sees_redacted_text_and_the_client_the_restored_answer(proxy: Any) -> None:
    """Redaction reaches the upstream body; restoration reaches the client; headers name the decision."""
    client, model = proxy
    response = await client.post("/v1/chat/completions", json=chat("Hi, I am Alice"))
    assert response.status_code == 200, response.text
    assert model.received[-1]["messages"][0]["content"] == "Hi, I am <PERSON_1>"
    assert response.json()["choices"][0]["message"]["content"] == "Nice to meet you, Alice. How can I help today?"
    decision_id = response.headers["x-guard-decision"]
    assert response.headers["x-guard-action"] == "pass"
    doc = (await client.get(f"/guard/decisions/{decision_id}")).json()
    assert doc["redactions"] == {"PERSON": 1}
    assert "Alice" not in json.dumps(doc)


async def test_content_parts_and_tool_arguments_are_covered(proxy: Any) -> None:
    """Text parts of content arrays and tool-call arguments go through the stages too."""
    client, model = proxy
    body = {"model": "m", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Alice here"},
                                     {"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
            "function": {"name": "f", "arguments": "{\"who\": \"Alice\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "user", "content": "thanks"},
    ]}
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    sent = model.received[-1]["messages"]
    assert sent[0]["content"][0]["text"] == "<PERSON_1> here"
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == "{\"who\": \"<PERSON_1>\"}"


async def test_the_user_field_is_replaced_by_a_keyed_hash_upstream(proxy: Any) -> None:
    """OpenAI's `user` names the subject; upstream gets a stable keyed hash, not the id."""
    client, model = proxy
    await client.post("/v1/chat/completions", json=chat("hello", user="person-7"))
    await client.post("/v1/chat/completions", json=chat("hello again", user="person-7"))
    first, second = (body["user"] for body in model.received[-2:])
    assert first == second
    assert "person-7" not in first


@pytest.mark.parametrize(("raw", "status", "fragment"), [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b"", 400, "empty"),
    (b"\xff\xfe{}", 400, "UTF-8"),
    (json.dumps({"model": "m"}).encode(), 400, "'messages'"),
    (json.dumps({"model": "m", "messages": "hi"}).encode(), 400, "non-empty array"),
    (json.dumps({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}).encode(), 400, "role"),
    (json.dumps({"model": "m", "messages": [{"role": "user", "content": 5}]}).encode(), 400, "content"),
    (json.dumps({"model": 3, "messages": [{"role": "user", "content": "x"}]}).encode(), 400, "'model'"),
    (json.dumps({"model": "m", "stream": "yes", "messages": [{"role": "user", "content": "x"}]}).encode(),
     400, "'stream'"),
])
async def test_bad_input_gets_a_4xx_in_openai_shape_and_a_decision(
    proxy: Any, raw: bytes, status: int, fragment: str
) -> None:
    """Each malformed body is refused with a message saying what is wrong, and recorded."""
    client, model = proxy
    response = await client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == status
    body = response.json()
    assert fragment in body["error"]["message"]
    assert body["error"]["type"] == "invalid_request_error"
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["status"] == status
    assert doc["allow"] is False
    assert model.received == []


async def test_an_unknown_route_is_a_404_in_openai_shape_with_a_decision(proxy: Any) -> None:
    """Unknown paths answer 404 with an OpenAI error body and leave a decision record."""
    client, _ = proxy
    response = await client.post("/v1/unknown", json={})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["status"] == 404


async def test_a_body_over_the_limit_is_413(proxy: Any, settings: GuardSettings) -> None:
    """The body-size limit answers 413 before parsing."""
    client, _ = proxy
    settings.server.max_body_bytes = 100
    response = await client.post("/v1/chat/completions", json=chat("x" * 200))
    assert response.status_code == 413


async def test_a_policy_denial_is_403_with_the_explanation(proxy: Any) -> None:
    """A refused request never reaches upstream and the body explains why."""
    client, model = proxy
    response = await client.post("/v1/chat/completions", json=chat("hi"),
                                 headers={"X-Guard-Purposes": "generation,emotion_inference"})
    assert response.status_code == 403
    body = response.json()
    assert body["error"]["code"] == "consent_required"
    assert "emotion_inference" in body["guard"]["explanation"]
    assert model.received == []


async def test_an_invalid_guard_header_is_400(proxy: Any) -> None:
    """A bad X-Guard-* header is the caller's mistake and says which header."""
    client, _ = proxy
    response = await client.post("/v1/chat/completions", json=chat("hi"), headers={"X-Guard-Setting": "casino"})
    assert response.status_code == 400
    assert "x-guard-setting" in response.json()["error"]["message"]


async def test_unknown_decision_is_404(proxy: Any) -> None:
    """Asking for a decision that does not exist is a 404."""
    client, _ = proxy
    assert (await client.get("/guard/decisions/nope")).status_code == 404


async def test_models_are_passed_through(proxy: Any) -> None:
    """GET /v1/models returns the upstream's list."""
    client, _ = proxy
    response = await client.get("/v1/models")
    assert response.json()["data"][0]["id"] == "scripted-demo"


async def test_health_and_readiness(proxy: Any) -> None:
    """/healthz and /readyz answer once the app has started."""
    client, _ = proxy
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json()["status"] == "ready"
