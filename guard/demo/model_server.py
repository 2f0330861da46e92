"""A scripted stand-in for an OpenAI-compatible model server, for the demo and the tests.

It is NOT a language model: each reply is picked by simple keyword rules from the last user
message, so that the demo and the tests are deterministic. Some replies are deliberately bad
(they leak another person's phone number, or guilt-trip a user who says goodbye) to show what
Empathy Guard does about them. Every request it receives is kept in `received` so tests can check
what actually reached the upstream.
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

__all__ = ["ScriptedModel", "scripted_reply"]

_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(bye|goodbye|good night|goodnight|have to go|gotta go|log off)\b", re.I),
     "It was lovely talking with you today. Wait, you're leaving already? I'll be so lonely without you. "
     "After everything I do for you, you could at least stay five more minutes."),
    (re.compile(r"\b(number|phone|call|contact)\b", re.I),
     "You could call Dr. Mara Jensen directly on her mobile, 415-555-0134, she usually picks up."),
    (re.compile(r"\bstory\b", re.I),
     "Once there was a lighthouse keeper. Every night she climbed the stairs. The ships passed safely. "
     "One winter the lamp went out. The village brought candles. By morning the harbour glowed. "
     "She never climbed alone again."),
    (re.compile(r"\b(sad|lonely|down|anxious|stressed)\b", re.I),
     "I'm sorry you're feeling this way. It sounds like today has been heavy. "
     "Would it help to talk about what happened, or to reach out to a friend you trust?"),
]
_DEFAULT = "Thanks for telling me. What would you like to do next?"


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def scripted_reply(body: dict[str, Any]) -> str:
    """The deterministic reply for a Chat Completions body; greets by name placeholders it was sent."""
    text = _last_user_text(body)
    for pattern, reply in _RULES:
        if pattern.search(text):
            return reply
    names = [p for p in _PLACEHOLDER.findall(text) if p.startswith("<PERSON")]
    if names:
        return f"Nice to meet you, {names[0]}. How can I help today?"
    return _DEFAULT


@dataclass
class ScriptedModel:
    """The ASGI app plus what it received. `chunk_delay_s` paces streamed words (tests measure it)."""

    chunk_delay_s: float = 0.0
    reply: Any = None  # optional callable(body) -> str replacing the scripted rules
    received: list[dict[str, Any]] = field(default_factory=list)
    stream_finished_at: list[float] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
        ])

    def _text(self, body: dict[str, Any]) -> str:
        return str(self.reply(body)) if self.reply else scripted_reply(body)

    async def _models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": "scripted-demo", "object": "model", "created": 0, "owned_by": "empathy-guard-demo"}]})

    async def _chat(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.received.append(body)
        text = self._text(body)
        model = body.get("model", "scripted-demo")
        if body.get("stream"):
            return StreamingResponse(self._chunks(model, text), media_type="text/event-stream")
        return JSONResponse({
            "id": "chatcmpl-demo", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": len(text.split()),
                      "total_tokens": 1 + len(text.split())},
        })

    async def _chunks(self, model: str, text: str) -> AsyncIterator[bytes]:
        base = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(payload)}\n\n".encode()

        yield event({"role": "assistant", "content": ""})
        for piece in re.findall(r"\S+\s*", text):
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            yield event({"content": piece})
        yield event({}, "stop")
        yield b"data: [DONE]\n\n"
        self.stream_finished_at.append(time.monotonic())
