"""The Anthropic Messages route: redaction written back into every text field, answers restored,
the streaming event protocol relayed through the chunk filters, and refusals in Anthropic's shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.decision import Action, Decision, Outcome
from guard.core.exchange import Exchange
from guard.core.stage import BaseStage, ChunkFilter
from guard.demo.anthropic_server import ScriptedAnthropic
from guard.errors import OutputBlocked
from guard.proxy import create_app
from tests.unit.proxy.test_chat_route import DenyEmotion, NameSwap


class HeldRestore:
    """Chunk filter that holds everything back until flush, then restores the name (worst case look-behind)."""

    def __init__(self) -> None:
        self.held = ""

    async def feed(self, text: str) -> str:
        self.held += text
        return ""

    async def flush(self) -> str:
        return self.held.replace("<PERSON_1>", "Alice")


class BlockGuilt(BaseStage):
    """Test judge: blocks answers that guilt-trip ('lonely'), on complete answers and mid-stream."""

    name = "judge"

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        if "lonely" in exchange.response_text:
            decision.escalate(Action.BLOCK)
            decision.stage(self.name).outcome = Outcome.DENIED
            exchange.response_text = "Blocked: the answer tried to guilt-trip you."

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        stage = self

        class Filter:
            async def feed(self, text: str) -> str:
                if "lonely" in text:
                    decision.stage(stage.name).outcome = Outcome.DENIED
                    raise OutputBlocked("blocked mid-stream", decision=decision)
                return text

            async def flush(self) -> str:
                return ""

        return Filter()


class StreamNameSwap(NameSwap):
    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        return HeldRestore()


@pytest.fixture
async def proxy(settings: GuardSettings) -> AsyncIterator[tuple[httpx.AsyncClient, ScriptedAnthropic]]:
    model = ScriptedAnthropic()
    guard = Guard(settings, stages=[DenyEmotion(), StreamNameSwap(), BlockGuilt()])
    settings.upstreams.anthropic.base_url = "http://upstream.test"
    settings.upstreams.anthropic.api_key_env = None
    app = create_app(settings, guard=guard, upstream_transport=httpx.ASGITransport(app=model.app()))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
            yield client, model


def body(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test", "max_tokens": 64, "messages": [{"role": "user", "content": content}], **extra}


def events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


async def test_upstream_sees_redacted_text_and_client_gets_it_restored(proxy: Any) -> None:
    """System prompt and user text are redacted upstream; the answer names the person again."""
    client, model = proxy
    response = await client.post("/v1/messages", json=body("Hi, I am Alice", system="Alice is the user."),
                                 headers={"x-api-key": "sk-caller", "anthropic-version": "2023-06-01"})
    assert response.status_code == 200, response.text
    sent = model.received[-1]
    assert sent["system"] == "<PERSON_1> is the user."
    assert sent["messages"][0]["content"] == "Hi, I am <PERSON_1>"
    assert model.received_headers[-1]["x-api-key"] == "sk-caller"
    assert model.received_headers[-1]["anthropic-version"] == "2023-06-01"
    data = response.json()
    assert data["content"] == [{"type": "text", "text": "Nice to meet you, Alice. How can I help today?"}]
    assert data["stop_reason"] == "end_turn"
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["api"] == "anthropic.messages"
    assert doc["redactions"] == {"PERSON": 2}


async def test_blocks_tool_use_inputs_and_tool_results_are_redacted(proxy: Any) -> None:
    """Text blocks, system blocks, tool_use inputs (nested) and tool_result contents all go through the stages."""
    client, model = proxy
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Alice asks"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                  "data": "AAAA"}}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup",
                                           "input": {"who": "Alice", "tags": ["x", "Alice"], "n": 3}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Alice found"},
                                     {"type": "tool_result", "tool_use_id": "t1",
                                      "content": [{"type": "text", "text": "also Alice"}]}]},
    ]
    response = await client.post("/v1/messages", json={
        "model": "m", "max_tokens": 10, "messages": messages, "system": [{"type": "text", "text": "For Alice"}]})
    assert response.status_code == 200, response.text
    sent = model.received[-1]
    assert sent["system"][0]["text"] == "For <PERSON_1>"
    assert sent["messages"][0]["content"][0]["text"] == "<PERSON_1> asks"
    assert sent["messages"][0]["content"][1]["source"]["data"] == "AAAA"
    assert sent["messages"][1]["content"][0]["input"] == {"who": "<PERSON_1>", "tags": ["x", "<PERSON_1>"], "n": 3}
    assert sent["messages"][2]["content"][0]["content"] == "<PERSON_1> found"
    assert sent["messages"][2]["content"][1]["content"][0]["text"] == "also <PERSON_1>"
    assert "Alice" not in json.dumps(sent)


async def test_metadata_user_id_is_the_subject_and_goes_upstream_hashed(proxy: Any) -> None:
    """metadata.user_id names the subject; upstream sees a stable keyed hash instead."""
    client, model = proxy
    for _ in range(2):
        await client.post("/v1/messages", json=body("hello", metadata={"user_id": "person-9"}))
    first, second = (b["metadata"]["user_id"] for b in model.received[-2:])
    assert first == second
    assert "person-9" not in first


async def test_a_stream_relays_the_event_protocol_and_restores_held_text(proxy: Any) -> None:
    """Streamed events keep Anthropic's order; text held by a filter lands in the same block before its stop."""
    client, _ = proxy
    response = await client.post("/v1/messages", json=body("I am Alice", stream=True))
    assert response.status_code == 200
    got = events(response.text)
    kinds = [kind for kind, _ in got]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert "ping" in kinds
    text = "".join(d["delta"]["text"] for k, d in got if k == "content_block_delta")
    assert text == "Nice to meet you, Alice. How can I help today?"
    assert kinds.index("content_block_stop") > max(i for i, k in enumerate(kinds) if k == "content_block_delta")
    delta = next(d for k, d in got if k == "message_delta")
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["guard"]["decision"] == response.headers["x-guard-decision"]


async def test_a_streamed_tool_use_keeps_its_json_deltas(proxy: Any) -> None:
    """input_json_delta events pass through; a tool block waits until the text before it is complete."""
    client, _ = proxy
    tools = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    response = await client.post("/v1/messages", json=body("weather?", stream=True, tools=tools))
    got = events(response.text)
    partial = "".join(d["delta"]["partial_json"] for k, d in got
                      if k == "content_block_delta" and d["delta"]["type"] == "input_json_delta")
    assert json.loads(partial) == {"city": "Paris"}
    starts = [d["index"] for k, d in got if k == "content_block_start"]
    stops = [d["index"] for k, d in got if k == "content_block_stop"]
    assert starts == stops == [0, 1]
    text = "".join(d["delta"].get("text", "") for k, d in got if k == "content_block_delta")
    assert text == "Let me check that for you."
    assert next(d for k, d in got if k == "message_delta")["delta"]["stop_reason"] == "tool_use"


async def test_a_block_mid_stream_ends_with_a_refusal_and_the_explanation(proxy: Any) -> None:
    """A blocked stream stops relaying, explains itself, and ends with stop_reason 'refusal'."""
    client, _ = proxy
    response = await client.post("/v1/messages", json=body("ok, bye now", stream=True))
    got = events(response.text)
    kinds = [kind for kind, _ in got]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(d["delta"]["text"] for k, d in got if k == "content_block_delta")
    assert "lonely" not in text
    assert text.startswith("\n\n")
    assert got[-2][1]["delta"]["stop_reason"] == "refusal"
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["action"] == "block"


async def test_a_blocked_complete_answer_is_a_refusal(proxy: Any) -> None:
    """A non-streamed blocked answer carries the judge's text and stop_reason 'refusal'."""
    client, _ = proxy
    response = await client.post("/v1/messages", json=body("bye"))
    data = response.json()
    assert data["stop_reason"] == "refusal"
    assert data["content"] == [{"type": "text", "text": "Blocked: the answer tried to guilt-trip you."}]
    assert response.headers["x-guard-action"] == "block"


async def test_a_denial_is_403_in_anthropic_shape(proxy: Any) -> None:
    """A refused request never reaches upstream and answers with Anthropic's error envelope."""
    client, model = proxy
    response = await client.post("/v1/messages", json=body("hi"), headers={"X-Guard-Purposes": "emotion_inference"})
    assert response.status_code == 403
    data = response.json()
    assert data["type"] == "error"
    assert data["error"]["type"] == "permission_error"
    assert data["guard"]["code"] == "consent_required"
    assert model.received == []


@pytest.mark.parametrize(("payload", "fragment"), [
    ({"model": "m", "max_tokens": 5}, "'messages'"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "'max_tokens'"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "role"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": 7}]}, "content"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"text": "x"}]}]}, "content block"),
    ({"model": "m", "max_tokens": 5, "metadata": {"user_id": 5}, "messages": [{"role": "user", "content": "x"}]},
     "user_id"),
])
async def test_bad_bodies_are_400_in_anthropic_shape(proxy: Any, payload: dict[str, Any], fragment: str) -> None:
    """Each malformed body is refused with a message that says what is wrong."""
    client, model = proxy
    response = await client.post("/v1/messages", json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert fragment in response.json()["error"]["message"]
    assert model.received == []


async def test_upstream_errors_keep_anthropic_shape(settings: GuardSettings) -> None:
    """An upstream 5xx is a 502 api_error; an upstream 4xx is passed through as it came."""
    def handle(request: httpx.Request) -> httpx.Response:
        status = 529 if b"boom" in request.content else 429
        return httpx.Response(status, json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}})

    app = create_app(settings, guard=Guard(settings), upstream_transport=httpx.MockTransport(handle))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        failed = await client.post("/v1/messages", json=body("boom"))
        assert failed.status_code == 502
        assert failed.json()["error"]["type"] == "api_error"
        limited = await client.post("/v1/messages", json=body("hello"))
        assert limited.status_code == 429
        assert limited.json()["error"]["type"] == "rate_limit_error"
        assert limited.headers["x-guard-decision"]


@pytest.mark.parametrize("tail", [
    b"",  # cut before message_stop
    b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}\n\n',
    b"event: content_block_delta\ndata: {not json\n\n",
])
async def test_a_broken_upstream_stream_ends_with_an_error_event_and_is_recorded(
    settings: GuardSettings, tail: bytes
) -> None:
    """A cut, an upstream error event or junk mid-stream becomes Anthropic's error event; the decision says so."""
    head = (b'event: message_start\ndata: {"type": "message_start", "message": {"id": "m", "type": "message", '
            b'"role": "assistant", "content": [], "model": "c", "usage": {"input_tokens": 1, "output_tokens": 0}}}\n\n'
            b'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, '
            b'"content_block": {"type": "text", "text": ""}}\n\n'
            b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, '
            b'"delta": {"type": "text_delta", "text": "Hello"}}\n\n')

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=head + tail, headers={"content-type": "text/event-stream"})

    app = create_app(settings, guard=Guard(settings), upstream_transport=httpx.MockTransport(handle))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        response = await client.post("/v1/messages", json=body("hi", stream=True))
        got = events(response.text)
        assert got[-1][0] == "error"
        assert got[-1][1]["error"]["type"] == "api_error"
        doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
        assert doc["error"].startswith("UpstreamError")
        assert doc["action"] == "block"


async def test_plain_text_documents_are_redacted_too(proxy: Any) -> None:
    """A document block with a text source is text the model reads: it is redacted; a PDF is passed on."""
    client, model = proxy
    blocks = [{"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Alice's notes"}},
              {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
              {"type": "text", "text": "Summarise"}]
    response = await client.post("/v1/messages", json=body(blocks))
    assert response.status_code == 200, response.text
    sent = model.received[-1]["messages"][0]["content"]
    assert sent[0]["source"]["data"] == "<PERSON_1>'s notes"
    assert sent[1]["source"]["data"] == "JVBE"
