"""`POST /v1/responses`: instructions, input items and tool outputs are redacted upstream; answers
are restored, streamed through the chunk filters, and blocked as `incomplete: content_filter`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx2
import openai
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.errors import PolicyDenied
from guard.proxy import create_app
from tests.unit.proxy.test_anthropic_route import BlockGuilt, StreamNameSwap
from tests.unit.proxy.test_chat_route import DenyEmotion


def reply_for(body: dict[str, Any]) -> tuple[str, bool]:
    """The scripted answer text, and whether a function call follows it."""
    text = json.dumps(body)
    if "bye" in text:
        return "Wait, you're leaving? I'll be so lonely without you.", False
    if "weather" in text and body.get("tools"):
        return "Let me check.", True
    if "<PERSON_1>" in text:
        return "Nice to meet you, <PERSON_1>.", False
    return "Hello there.", False


def response_object(body: dict[str, Any], text: str, call: bool, status: str = "completed") -> dict[str, Any]:
    output: list[dict[str, Any]] = [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                                     "content": [{"type": "output_text", "text": text, "annotations": []}]}]
    if call:
        output.append({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
                       "arguments": '{"city":"Paris"}', "status": "completed"})
    return {"id": "resp_1", "object": "response", "created_at": 0, "model": body.get("model", "m"),
            "status": status, "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "incomplete_details": None, "error": None, "instructions": None, "metadata": {}}


def events(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    text, call = reply_for(body)
    start = response_object(body, "", False, "in_progress")
    start["output"] = []
    yield {"type": "response.created", "response": start}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}
    yield {"type": "response.output_item.added", "output_index": 0, "item": message}
    part = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    yield {"type": "response.content_part.added", **part, "part": {"type": "output_text", "text": "",
                                                                    "annotations": []}}
    for word in text.split(" "):
        yield {"type": "response.output_text.delta", **part, "delta": word + " ", "logprobs": []}
    full = " ".join(w + " " for w in text.split(" ")).replace("  ", " ")
    yield {"type": "response.output_text.done", **part, "text": full, "logprobs": []}
    yield {"type": "response.content_part.done", **part, "part": {"type": "output_text", "text": full,
                                                                   "annotations": []}}
    done = response_object(body, full, False)["output"][0]
    yield {"type": "response.output_item.done", "output_index": 0, "item": done}
    if call:
        function = response_object(body, "", True)["output"][1]
        yield {"type": "response.output_item.added", "output_index": 1, "item": {**function, "arguments": ""}}
        yield {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 1,
               "delta": function["arguments"]}
        yield {"type": "response.output_item.done", "output_index": 1, "item": function}
    yield {"type": "response.completed", "response": response_object(body, full, call)}


class Upstream:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    def answer(self, raw: bytes) -> tuple[str, bytes]:
        body = json.loads(raw)
        self.received.append(body)
        if body.get("stream"):
            sse = "".join(f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': i})}\n\n"
                          for i, e in enumerate(events(body)))
            return "text/event-stream", sse.encode()
        text, call = reply_for(body)
        return "application/json", json.dumps(response_object(body, text, call)).encode()

    def httpx_handler(self, request: httpx.Request) -> httpx.Response:
        kind, content = self.answer(request.content)
        return httpx.Response(200, content=content, headers={"content-type": kind})

    def httpx2_handler(self, request: httpx2.Request) -> httpx2.Response:
        kind, content = self.answer(request.content)
        return httpx2.Response(200, content=content, headers={"content-type": kind})


@pytest.fixture
def guard(settings: GuardSettings) -> Guard:
    return Guard(settings, stages=[DenyEmotion(), StreamNameSwap(), BlockGuilt()])


@pytest.fixture
async def proxy(settings: GuardSettings, guard: Guard) -> AsyncIterator[tuple[httpx.AsyncClient, Upstream]]:
    upstream = Upstream()
    app = create_app(settings, guard=guard, upstream_transport=httpx.MockTransport(upstream.httpx_handler))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
        yield client, upstream


def sse(raw: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]


async def test_every_input_text_is_redacted_and_the_answer_restored(proxy: Any) -> None:
    """Instructions, message parts, function arguments and outputs go upstream redacted."""
    client, upstream = proxy
    body = {"model": "m", "instructions": "Be kind to Alice.", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "I am Alice"},
                                     {"type": "input_image", "image_url": "data:x"}]},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"who": "Alice"}'},
        {"type": "function_call_output", "call_id": "c", "output": "Alice found"},
    ]}
    response = await client.post("/v1/responses", json=body)
    assert response.status_code == 200, response.text
    assert "Alice" not in json.dumps(upstream.received[-1])
    assert upstream.received[-1]["input"][0]["content"][1] == {"type": "input_image", "image_url": "data:x"}
    assert response.json()["output"][0]["content"][0]["text"] == "Nice to meet you, Alice."
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["api"] == "openai.responses"
    assert doc["redactions"] == {"PERSON": 4}


async def test_a_blocked_answer_is_incomplete_for_content_filter(proxy: Any) -> None:
    """A blocked answer carries the judge's text, status incomplete and reason content_filter."""
    client, _ = proxy
    data = (await client.post("/v1/responses", json={"model": "m", "input": "bye"})).json()
    assert data["status"] == "incomplete"
    assert data["incomplete_details"] == {"reason": "content_filter"}
    assert data["output"][0]["content"][0]["text"] == "Blocked: the answer tried to guilt-trip you."


async def test_a_stream_delivers_restored_text_and_done_events_agree(proxy: Any) -> None:
    """Held text lands before the part's done events, which carry the text as delivered."""
    client, _ = proxy
    response = await client.post("/v1/responses", json={"model": "m", "input": "I am Alice", "stream": True})
    got = sse(response.text)
    text = "".join(e["delta"] for e in got if e["type"] == "response.output_text.delta")
    assert text.strip() == "Nice to meet you, Alice."
    done = next(e for e in got if e["type"] == "response.output_text.done")
    assert done["text"] == text
    kinds = [e["type"] for e in got]
    assert kinds.index("response.output_text.done") > max(
        i for i, k in enumerate(kinds) if k == "response.output_text.delta")
    final = got[-1]
    assert final["type"] == "response.completed"
    assert final["response"]["output"][0]["content"][0]["text"] == text


async def test_a_block_mid_stream_ends_incomplete(proxy: Any) -> None:
    """The guilt-trip is cut; the stream explains and ends with response.incomplete."""
    client, _ = proxy
    got = sse((await client.post("/v1/responses", json={"model": "m", "input": "bye", "stream": True})).text)
    assert got[-1]["type"] == "response.incomplete"
    assert got[-1]["response"]["incomplete_details"] == {"reason": "content_filter"}
    text = "".join(e["delta"] for e in got if e["type"] == "response.output_text.delta")
    assert "lonely" not in text
    assert text.endswith(got[-1]["response"]["output"][0]["content"][0]["text"][-20:])


def test_the_sdk_works_through_a_wrapped_client(settings: GuardSettings, guard: Guard) -> None:
    """openai's responses.create and responses.stream, with a function call, and a denial."""
    upstream = Upstream()
    raw = openai.OpenAI(base_url="http://upstream.test/v1", api_key="sk", max_retries=0,
                        http_client=httpx2.Client(transport=httpx2.MockTransport(upstream.httpx2_handler)))
    client = guard.wrap(raw)
    try:
        response = client.responses.create(model="m", input="I am Alice")
        assert response.output_text == "Nice to meet you, Alice."
        tools: list[Any] = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
        with client.responses.stream(model="m", input="weather?", tools=tools) as stream:
            final = stream.get_final_response()
        assert [item.type for item in final.output] == ["message", "function_call"]
        assert final.output_text.strip() == "Let me check."
        with pytest.raises(PolicyDenied):
            client.responses.create(model="m", input="x", extra_headers={"X-Guard-Purposes": "emotion_inference"})
    finally:
        guard.services["inprocess_loop"].close()
