"""Streams are relayed per network read: filters see what one read brought in one piece, the client
gets it as one write, unchanged text is sent as it came, and a finished stream keeps its connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.decision import Decision
from guard.core.exchange import Exchange
from guard.core.stage import BaseStage, ChunkFilter
from guard.proxy import create_app
from guard.proxy.sse import SSEParser, relay_reads
from guard.proxy.upstream import POOL_SHARDS
from tests.support.servers import serve

PIECES = ["Hello ", "there, ", "how ", "are ", "you ", "today?"]


def wire(pieces: list[str]) -> list[bytes]:
    """Upstream SSE events as sent, one bytes object per event; note the spaces after ':' and ','."""
    events = [{"id": "c1", "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in pieces]
    events.append({"id": "c1", "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


class Reads(httpx.AsyncByteStream):
    """An upstream body that arrives in the given network reads."""

    def __init__(self, reads: list[bytes]) -> None:
        self.reads = reads

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for read in self.reads:
            yield read


class Recording:
    """A chunk filter that notes every piece it is fed, and optionally shouts."""

    def __init__(self, fed: list[str], *, upper: bool) -> None:
        self.fed = fed
        self.upper = upper

    async def feed(self, text: str) -> str:
        self.fed.append(text)
        return text.upper() if self.upper else text

    async def flush(self) -> str:
        return ""


class RecordingStage(BaseStage):
    name = "inspect"

    def __init__(self, *, upper: bool = False) -> None:
        self.fed: list[str] = []
        self.upper = upper

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        return Recording(self.fed, upper=self.upper)


async def stream_through_proxy(settings: GuardSettings, stage: RecordingStage, reads: list[bytes]) -> str:
    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Reads(reads))

    settings.upstreams.openai.base_url = "http://upstream.test/v1"
    app = create_app(settings, guard=Guard(settings, stages=[stage]), upstream_transport=httpx.MockTransport(upstream))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200
    return response.text


def content_of(text: str) -> str:
    parser = SSEParser()
    events = parser.feed(text) + parser.close()
    assert events[-1].data == "[DONE]"
    chunks = [json.loads(e.data) for e in events[:-1]]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))


async def test_one_read_goes_through_the_filters_in_one_piece(settings: GuardSettings) -> None:
    stage = RecordingStage(upper=True)
    text = await stream_through_proxy(settings, stage, [b"".join(wire(PIECES))])
    assert stage.fed == ["".join(PIECES)]
    assert content_of(text) == "".join(PIECES).upper()


async def test_no_read_is_held_back_for_the_next(settings: GuardSettings) -> None:
    stage = RecordingStage()
    await stream_through_proxy(settings, stage, wire(PIECES))
    assert stage.fed == PIECES


async def test_text_no_filter_changed_is_sent_as_it_came(settings: GuardSettings) -> None:
    events = wire(PIECES)
    text = await stream_through_proxy(settings, RecordingStage(), [b"".join(events[:3]), *events[3:]])
    for event in events[:len(PIECES)]:
        assert event.decode() in text  # byte for byte, spaces after ':' included
    assert content_of(text) == "".join(PIECES)


async def test_each_read_leaves_as_one_write_and_what_came_before_an_error_is_sent() -> None:
    async def reads() -> AsyncIterator[str]:
        yield "data: a\n\ndata: b\n\n"
        yield "data: c\n\ndata: boom\n\n"

    async def handle(events: list[Any], out: list[bytes]) -> bool:
        for event in events:
            if event.data == "boom":
                raise ValueError("bad event")
            out.append(event.data.encode())
        return False

    writes: list[bytes] = []

    async def relay() -> None:
        async for data in relay_reads(reads(), handle):
            writes.append(data)

    with pytest.raises(ValueError, match="bad event"):
        await relay()
    assert writes == [b"ab", b"c"]


async def test_a_finished_stream_gives_its_upstream_connection_back(settings: GuardSettings) -> None:
    """The body's end after [DONE] is read, so the connection is reused, not closed and reopened."""
    peers: set[tuple[str, int]] = set()

    async def upstream(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        peers.add(scope["client"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        for event in wire(PIECES):
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    requests = POOL_SHARDS * 3
    with serve(upstream) as url:
        settings.upstreams.openai.base_url = url + "/v1"
        settings.upstreams.openai.api_key_env = None
        app = create_app(settings, guard=Guard(settings, stages=[RecordingStage()]))
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
            for _ in range(requests):
                response = await client.post("/v1/chat/completions", json=body)
                assert content_of(response.text) == "".join(PIECES)
    assert len(peers) <= POOL_SHARDS < requests
