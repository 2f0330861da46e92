"""Anthropic Messages: request body ⇄ Exchange, and `POST /v1/messages` around the pipeline.

Every text that would reach the model is collected with its JSON path (system prompt, text
blocks, tool_use inputs, tool_result contents), so redaction is written back in place and the
stages never see Anthropic's format. Answers come back as a `message` object or as Anthropic's
streaming event protocol; a block mid-stream ends the message cleanly with `stop_reason:
"refusal"` and the explanation as the last text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.decision import Action, Decision
from guard.core.exchange import Exchange, Message
from guard.core.pipeline import StreamGuard
from guard.errors import BadRequest, GuardError, OutputBlocked, UpstreamError
from guard.proxy.door import Door, guard_headers, upstream_body
from guard.proxy.relay import EventRelay, stream_through, upstream_json

__all__ = [
    "AnthropicRelay",
    "anthropic_exchange",
    "content_texts",
    "create_message",
    "message_response_text",
    "write_message_response",
]

_ROLES = {"user", "assistant"}
FORWARD_HEADERS = ("x-api-key", "authorization", "anthropic-version", "anthropic-beta", "user-agent")
API = "anthropic.messages"


def _field(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message, hint="See the Anthropic Messages API reference for the request shape.")


def _json_strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string leaf of a JSON value (tool inputs), with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, (*path, index))


def _block_texts(role: str, block: Any, path: tuple[str | int, ...]) -> list[Message]:
    where = ".".join(str(p) for p in path)
    _field(isinstance(block, dict) and isinstance(block.get("type"), str), f"{where} must be a content block.")
    kind = block["type"]
    if kind == "text":
        _field(isinstance(block.get("text"), str), f"{where}.text must be a string.")
        return [Message(role, block["text"], (*path, "text"))]
    if kind == "tool_use":
        return [Message(role, text, leaf, kind="tool_arguments")
                for leaf, text in _json_strings(block.get("input"), (*path, "input"))]
    if kind == "tool_result":
        content = block.get("content")
        if isinstance(content, str):
            return [Message(role, content, (*path, "content"), kind="tool_result")]
        texts: list[Message] = []
        for index, inner in enumerate(content or []):
            texts.extend(_block_texts(role, inner, (*path, "content", index)))
        return texts
    source = block.get("source")
    if kind == "document" and isinstance(source, dict) and source.get("type") == "text" \
            and isinstance(source.get("data"), str):
        return [Message(role, source["data"], (*path, "source", "data"), kind="document")]
    return []  # images, PDFs, thinking: not text we can redact; passed on as sent


def content_texts(role: str, content: Any, path: tuple[str | int, ...], *, kind: str = "content") -> list[Message]:
    if isinstance(content, str):
        return [Message(role, content, path, kind=kind)]
    where = ".".join(str(p) for p in path)
    _field(isinstance(content, list), f"{where} must be a string or an array of content blocks.")
    texts: list[Message] = []
    for index, block in enumerate(content):
        for message in _block_texts(role, block, (*path, index)):
            texts.append(Message(message.role, message.text, message.path,
                                 kind=kind if message.kind == "content" else message.kind))
    return texts


def _subject(body: dict[str, Any]) -> object:
    metadata = body.get("metadata")
    _field(metadata is None or isinstance(metadata, dict), "'metadata' must be an object.")
    user = (metadata or {}).get("user_id")
    _field(user is None or isinstance(user, str), "'metadata.user_id' must be a string.")
    return user


def anthropic_exchange(body: dict[str, Any], door: Door) -> Exchange:
    """Validate a Messages body and collect every text that would go upstream."""
    messages = body.get("messages")
    _field("messages" in body, "The request needs a 'messages' array.")
    _field(isinstance(messages, list) and len(messages) > 0, "'messages' must be a non-empty array.")
    _field(isinstance(body.get("model"), str) and bool(body["model"]), "'model' must be a non-empty string.")
    max_tokens = body.get("max_tokens")
    _field(isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0,
           "'max_tokens' must be a positive integer.")
    _field(isinstance(body.get("stream", False), bool), "'stream' must be true or false.")
    texts: list[Message] = []
    if body.get("system") is not None:
        texts.extend(content_texts("system", body["system"], ("system",), kind="system"))
    for index, message in enumerate(messages or []):
        _field(isinstance(message, dict), f"messages[{index}] must be an object.")
        _field(message.get("role") in _ROLES, f"messages[{index}].role must be one of {sorted(_ROLES)}.")
        _field("content" in message, f"messages[{index}] needs 'content'.")
        texts.extend(content_texts(message["role"], message["content"], ("messages", index, "content")))
    context = door.make_context(user=_subject(body))
    return Exchange(context=context, messages=texts, api=API, model=body["model"],
                    stream=bool(body.get("stream", False)))


def message_response_text(data: dict[str, Any]) -> str:
    """The answer's text: its text blocks joined."""
    return "".join(block.get("text", "") for block in data.get("content") or []
                   if isinstance(block, dict) and block.get("type") == "text")


def write_message_response(data: dict[str, Any], exchange: Exchange, decision: Decision) -> dict[str, Any]:
    """Put the checked answer back into a `message` object (in place); returns it."""
    blocks = [b for b in data.get("content") or [] if isinstance(b, dict)]
    if decision.action is Action.BLOCK:
        data["content"] = [{"type": "text", "text": exchange.response_text}]
        data["stop_reason"] = "refusal"
    elif exchange.response_text != message_response_text(data):
        # The stages worked on the joined text; it goes back as one block where the first text was.
        first = next((i for i, b in enumerate(blocks) if b.get("type") == "text"), 0)
        rest = [b for b in blocks if b.get("type") != "text"]
        data["content"] = [*rest[:first], {"type": "text", "text": exchange.response_text}, *rest[first:]]
    data["guard"] = {"decision": decision.id, "action": decision.action.value}
    return data


async def create_message(request: Request) -> Response:
    door = Door(request, api=API, flavor="anthropic")
    decision: Decision | None = None
    try:
        body = await door.json_body()
        exchange = anthropic_exchange(body, door)
        decision = await door.start(exchange)
        headers = door.upstream_headers("anthropic", keep=FORWARD_HEADERS)
        payload = upstream_body(body, exchange, subject_field=("metadata", "user_id"))
        if exchange.stream:
            relay = AnthropicRelay(door.guard.pipeline.stream(exchange, decision))
            return await stream_through(door, decision, relay, upstream="anthropic", path="/v1/messages",
                                        payload=payload, headers=headers)
        response = await door.post_upstream(decision, "anthropic", "/v1/messages", payload=payload, headers=headers)
        if isinstance(response, Response):
            return response
        data = upstream_json(response, "content", list)
        exchange.response_text = message_response_text(data)
        await door.guard.pipeline.finish(exchange, decision)
        return JSONResponse(write_message_response(data, exchange, decision), headers=guard_headers(decision))
    except GuardError as error:
        return await door.failure(error, decision)


class AnthropicRelay(EventRelay):
    """Upstream Anthropic events → the pipeline's chunk filters → client events, one at a time.

    Text deltas go through the filters, which may hold back a few characters; so the stop of the
    last text block is held until the message ends, and blocks that start after it (tool_use)
    wait with it, so the held tail still lands in its own block and the order of blocks is kept.
    Only if another text block follows is the wait given up (the tail then flows on in order).
    """

    def __init__(self, guard_stream: StreamGuard) -> None:
        super().__init__(guard_stream)
        self.text_index: int | None = None   # the text block whose stop has not been sent yet
        self.held_stop: dict[str, Any] | None = None
        self.waiting: list[dict[str, Any]] = []  # events of blocks that started after a held text stop
        self.next_index = 0

    def error_event(self, error: GuardError) -> dict[str, Any]:
        return {"type": "error", "error": {"type": "api_error", "message": str(error)},
                "guard": {"decision": self.decision.id}}

    async def on_event(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise UpstreamError("The model upstream sent a stream event that is not an Anthropic event object.")
        kind = data["type"]
        if kind == "error":
            raise UpstreamError("The model upstream reported an error mid-stream.")
        if kind == "content_block_start":
            return self._block_start(data)
        if kind == "content_block_delta":
            return await self._block_delta(data)
        if kind == "content_block_stop":
            return self._block_stop(data)
        if kind == "message_delta":
            return [*await self._tail(), self._with_guard(data)]
        if kind == "message_stop":
            self.done = True
        return [data]

    def _release_held(self) -> list[dict[str, Any]]:
        out = [self.held_stop] if self.held_stop is not None else []
        out += self.waiting
        self.held_stop, self.text_index, self.waiting = None, None, []
        return out

    def _block_start(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        index = data.get("index")
        if isinstance(index, int):
            self.next_index = max(self.next_index, index + 1)
        block = data.get("content_block") or {}
        if block.get("type") != "text":
            if self.held_stop is not None:
                self.waiting.append(data)
                return []
            return [data]
        if block.get("text"):
            raise UpstreamError("The model upstream started a text block with text in it; expected deltas.")
        out = self._release_held()
        self.text_index = index
        return [*out, data]

    def _block_stop(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        if data.get("index") == self.text_index and self.held_stop is None:
            self.held_stop = data
            return []
        if self.held_stop is not None:
            self.waiting.append(data)
            return []
        return [data]

    async def _block_delta(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        delta = data.get("delta") or {}
        if delta.get("type") != "text_delta" or not isinstance(delta.get("text"), str):
            # input_json_delta, thinking, signatures: passed on as they come (or with their block)
            if self.held_stop is not None:
                self.waiting.append(data)
                return []
            return [data]
        released = await self.guard_stream.feed(delta["text"])
        if not released:
            return []
        return [{**data, "delta": {**delta, "text": released}}]

    def _text_events(self, text: str) -> list[dict[str, Any]]:
        """`text` as the last words of the open text block, or as a new block of its own."""
        if self.text_index is not None:
            delta = {"type": "content_block_delta", "index": self.text_index,
                     "delta": {"type": "text_delta", "text": text}}
            return [delta, *self._release_held()] if self.held_stop else [delta]
        index, self.next_index = self.next_index, self.next_index + 1
        return [
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}},
            {"type": "content_block_stop", "index": index},
        ]

    async def _tail(self) -> list[dict[str, Any]]:
        tail = await self.guard_stream.finish()
        if tail:
            return [*self._text_events(tail), *self._release_held()]
        return self._release_held()

    def _with_guard(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "guard": {"decision": self.decision.id, "action": self.decision.action.value}}

    def blocked_ending(self, blocked: OutputBlocked) -> list[dict[str, Any]]:
        """End the message the way Anthropic ends a refusal: explanation, `stop_reason: "refusal"`."""
        note = blocked.closing_text()
        self.waiting = []  # a withheld answer's later blocks (tool calls) are not sent
        events = self._text_events(note)
        if self.text_index is not None:  # the block was open (not held): close it now
            events.append({"type": "content_block_stop", "index": self.text_index})
            self.text_index = None
        events.append({"type": "message_delta", "delta": {"stop_reason": "refusal", "stop_sequence": None},
                       "usage": {"output_tokens": 0},
                       "guard": {"decision": self.decision.id, "action": Action.BLOCK.value}})
        events.append({"type": "message_stop"})
        self.done = True
        return events
