"""Property tests, bounded in time: the request adapters never answer 5xx to any JSON, pass bodies
through intact, and the SSE relay delivers any upstream stream, cut anywhere, unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.proxy import create_app
from guard.proxy.sse import SSEParser

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
roles = st.sampled_from(["system", "user", "assistant", "tool", "developer", "bogus", 7, None])
messages = st.lists(st.fixed_dictionaries({"role": roles}, optional={"content": json_values | st.text(max_size=50)}),
                    max_size=5)
chat_bodies = st.fixed_dictionaries({}, optional={
    "model": st.text(max_size=10) | json_values, "messages": messages | json_values,
    "stream": st.booleans() | json_values, "user": st.text(max_size=10) | json_values,
    "n": st.integers(0, 3), "temperature": json_values})
anthropic_bodies = st.fixed_dictionaries({}, optional={
    "model": st.text(max_size=10) | json_values, "messages": messages | json_values,
    "max_tokens": st.integers(-5, 5000) | json_values, "system": json_values, "stream": st.booleans()})


def completion(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/messages"):
        return httpx.Response(200, json={"id": "m", "type": "message", "role": "assistant", "model": "x",
                                         "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                                         "usage": {"input_tokens": 1, "output_tokens": 1}})
    body = json.loads(request.content)
    if body.get("stream"):
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}'
                                      b"\n\ndata: [DONE]\n\n")
    return httpx.Response(200, json={"id": "c", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]})


async def run_app(upstream: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[httpx.Response]:
    with_defaults = GuardSettings(data_dir="/tmp/guard-prop-state")  # noqa: S108 - never written: memory recorder
    with_defaults.upstreams.openai.base_url = "http://upstream.test/v1"
    with_defaults.upstreams.anthropic.base_url = "http://upstream.test"
    app = create_app(with_defaults, guard=Guard(with_defaults), upstream_transport=upstream)
    out = []
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
        for path, body in calls:
            out.append(await client.post(path, json=body))
    return out


@BOUNDED
@given(chat=chat_bodies, anthropic=anthropic_bodies)
async def test_no_json_body_makes_a_chat_route_answer_5xx(chat: dict[str, Any], anthropic: dict[str, Any]) -> None:
    """Whatever JSON arrives, the answer is a success or a 4xx in the provider's error shape, never a 5xx."""
    responses = await run_app(httpx.MockTransport(completion),
                              [("/v1/chat/completions", chat), ("/v1/messages", anthropic)])
    for response in responses:
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            body = response.json()
            assert body["error"]["message"]
            assert "Traceback" not in response.text


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@BOUNDED
@given(user_texts=st.lists(texts, min_size=1, max_size=4), extra=st.dictionaries(
    st.sampled_from(["temperature", "metadata", "tools", "seed"]), json_values, max_size=3))
async def test_a_valid_body_reaches_the_upstream_unchanged(user_texts: list[str], extra: dict[str, Any]) -> None:
    """With no stage changing anything, the upstream receives exactly the caller's body (texts, unknown fields)."""
    received: list[dict[str, Any]] = []

    def capture(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return completion(request)

    body = {"model": "m", "messages": [{"role": "user", "content": t} for t in user_texts], **extra}
    (response,) = await run_app(httpx.MockTransport(capture), [("/v1/chat/completions", body)])
    assert response.status_code == 200, response.text
    assert received == [body]


class ChunkedStream(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


@BOUNDED
@given(pieces=st.lists(texts.filter(bool), min_size=1, max_size=8),
       cuts=st.lists(st.integers(1, 40), min_size=1, max_size=10), crlf=st.booleans())
async def test_the_relay_delivers_any_stream_cut_anywhere(pieces: list[str], cuts: list[int], crlf: bool) -> None:
    """Upstream SSE split at arbitrary byte offsets (even inside a UTF-8 character) arrives whole and in order."""
    newline = "\r\n" if crlf else "\n"
    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]})
              for p in pieces]
    events.append(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    wire = "".join(f"data: {e}{newline}{newline}" for e in [*events, "[DONE]"]).encode()
    chunks, position, index = [], 0, 0
    while position < len(wire):
        size = cuts[index % len(cuts)]
        chunks.append(wire[position:position + size])
        position += size
        index += 1

    def stream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=ChunkedStream(chunks))

    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    (response,) = await run_app(httpx.MockTransport(stream), [("/v1/chat/completions", body)])
    assert response.status_code == 200
    parser = SSEParser()
    out = parser.feed(response.text) + parser.close()
    assert out[-1].data == "[DONE]"
    chunks_out = [json.loads(e.data) for e in out[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks_out if c.get("choices"))
    assert content == "".join(pieces)
    assert chunks_out[-1]["choices"][0]["finish_reason"] == "stop"
