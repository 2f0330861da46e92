"""A scripted stand-in for the Anthropic Messages API, for examples and tests.

Like `guard.demo.model_server` it is NOT a language model: replies come from the same keyword
rules (`scripted_reply`), in Anthropic's shapes: a `message` object, or the streaming event
protocol (message_start, content_block_start/delta/stop, ping, message_delta, message_stop).
When the request offers tools and the user asks about the weather it answers with a `tool_use`
block (streamed as `input_json_delta`), so tool round-trips can be tested. Every request body is
kept in `received`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from guard.demo.model_server import scripted_reply

__all__ = ["ScriptedAnthropic"]

_WEATHER = re.compile(r"\bweather\b", re.I)


def _wants_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """A tool_use block when tools are offered, the user asks about weather, and no result came back yet."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    if not tools or not messages:
        return None
    last = messages[-1]
    content = last.get("content")
    if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
        return None
    if not _WEATHER.search(json.dumps(content)):
        return None
    return {"type": "tool_use", "id": "toolu_demo_1", "name": tools[0].get("name", "tool"),
            "input": {"city": "Paris"}}


@dataclass
class ScriptedAnthropic:
    """The ASGI app plus what it received. `chunk_delay_s` paces streamed words."""

    chunk_delay_s: float = 0.0
    reply: Any = None  # optional callable(body) -> str replacing the scripted rules
    received: list[dict[str, Any]] = field(default_factory=list)
    received_headers: list[dict[str, str]] = field(default_factory=list)
    stream_finished_at: list[float] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])

    def _text(self, body: dict[str, Any]) -> str:
        if self.reply:
            return str(self.reply(body))
        return scripted_reply(body)

    async def _messages(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.received.append(body)
        self.received_headers.append(dict(request.headers))
        tool = _wants_tool(body)
        text = "Let me check that for you." if tool else self._text(body)
        model = body.get("model", "scripted-claude")
        if body.get("stream"):
            return StreamingResponse(self._events(model, text, tool), media_type="text/event-stream")
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if tool:
            content.append(tool)
        return JSONResponse({
            "id": "msg_demo", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": "tool_use" if tool else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": len(text.split())},
        })

    async def _events(self, model: str, text: str, tool: dict[str, Any] | None) -> AsyncIterator[bytes]:
        def event(kind: str, data: dict[str, Any]) -> bytes:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()

        yield event("message_start", {"message": {
            "id": "msg_demo", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 0}}})
        yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        yield event("ping", {})
        for piece in re.findall(r"\S+\s*", text):
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            yield event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        yield event("content_block_stop", {"index": 0})
        if tool:
            yield event("content_block_start", {"index": 1, "content_block": {**tool, "input": {}}})
            arguments = json.dumps(tool["input"])
            for part in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield event("content_block_delta", {"index": 1, "delta": {"type": "input_json_delta",
                                                                           "partial_json": part}})
            yield event("content_block_stop", {"index": 1})
        yield event("message_delta", {"delta": {"stop_reason": "tool_use" if tool else "end_turn",
                                                "stop_sequence": None},
                                      "usage": {"output_tokens": len(text.split())}})
        yield event("message_stop", {})
        self.stream_finished_at.append(time.monotonic())
