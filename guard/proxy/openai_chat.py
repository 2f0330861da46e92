"""OpenAI Chat Completions: request body ⇄ Exchange, and the route that runs the pipeline around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import httpx
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.decision import Action, Decision
from guard.core.exchange import Exchange, Message
from guard.core.pipeline import StreamGuard
from guard.errors import BadRequest, ClientDisconnected, GuardError, OutputBlocked, UpstreamError
from guard.proxy.door import Door, guard_headers, upstream_body
from guard.proxy.relay import stream_through, upstream_json
from guard.proxy.sse import SSEEvent, drain, format_event, relay_reads

__all__ = ["chat_completions", "chat_exchange", "list_models"]

log = structlog.get_logger("guard.proxy")

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
# OpenAI's own limit; more is refused before any stage spends time on it.
MAX_MESSAGES = 2048
_FORWARD_HEADERS = ("authorization", "openai-organization", "openai-project", "user-agent")


def _field(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message, hint="See the OpenAI Chat Completions reference for the request shape.")


def _message_texts(index: int, message: dict[str, Any]) -> list[Message]:
    role = message["role"]
    texts: list[Message] = []
    content = message.get("content")
    if isinstance(content, str):
        texts.append(Message(role, content, ("messages", index, "content")))
    elif isinstance(content, list):
        for part_index, part in enumerate(content):
            _field(isinstance(part, dict), f"messages[{index}].content[{part_index}] must be an object.")
            if part.get("type") == "text":
                where = f"messages[{index}].content[{part_index}].text"
                _field(isinstance(part.get("text"), str), f"{where} must be a string.")
                texts.append(Message(role, part["text"], ("messages", index, "content", part_index, "text")))
    else:
        _field(content is None, f"messages[{index}].content must be a string, an array of parts, or null.")
    for call_index, call in enumerate(message.get("tool_calls") or []):
        _field(isinstance(call, dict), f"messages[{index}].tool_calls[{call_index}] must be an object.")
        arguments = (call.get("function") or {}).get("arguments")
        if isinstance(arguments, str):
            path = ("messages", index, "tool_calls", call_index, "function", "arguments")
            texts.append(Message(role, arguments, path, kind="tool_arguments"))
    return texts


def chat_exchange(body: dict[str, Any], door: Door) -> Exchange:
    """Validate a Chat Completions body and collect every text that would go upstream."""
    messages = body.get("messages")
    _field("messages" in body, "The request needs a 'messages' array.")
    _field(isinstance(messages, list) and len(messages) > 0, "'messages' must be a non-empty array.")
    _field(len(messages or ()) <= MAX_MESSAGES, f"'messages' may hold at most {MAX_MESSAGES} messages.")
    _field(isinstance(body.get("model"), str) and bool(body["model"]), "'model' must be a non-empty string.")
    _field(isinstance(body.get("stream", False), bool), "'stream' must be true or false.")
    _field(body.get("n") in (None, 1), "Only n=1 is supported through Empathy Guard (each answer is checked).")
    user = body.get("user")
    _field(user is None or isinstance(user, str), "'user' must be a string.")
    texts: list[Message] = []
    for index, message in enumerate(messages or []):
        _field(isinstance(message, dict), f"messages[{index}] must be an object.")
        _field(message.get("role") in _ROLES, f"messages[{index}].role must be one of {sorted(_ROLES)}.")
        texts.extend(_message_texts(index, message))
    context = door.make_context(user=user)
    return Exchange(context=context, messages=texts, api="openai.chat", model=body["model"],
                    stream=bool(body.get("stream", False)))


async def chat_completions(request: Request) -> Response:
    door = Door(request, api="openai.chat")
    decision: Decision | None = None
    try:
        body = await door.json_body()
        exchange = chat_exchange(body, door)
        decision = await door.start(exchange)
        headers = door.upstream_headers("openai", keep=_FORWARD_HEADERS)
        payload = upstream_body(body, exchange)
        if exchange.stream:
            return await _stream(door, exchange, decision, payload, headers)
        response = await door.post_upstream(decision, "openai", "/chat/completions", payload=payload, headers=headers)
        if isinstance(response, Response):
            return response
        return await _complete(door, exchange, decision, response)
    except GuardError as error:
        return await door.failure(error, decision)


def _parse_completion(response: httpx.Response) -> dict[str, Any]:
    data = upstream_json(response, "choices", list)
    if not data["choices"]:
        raise UpstreamError("The model upstream's answer has no 'choices'.", kind="malformed")
    return data


async def _complete(door: Door, exchange: Exchange, decision: Decision, response: httpx.Response) -> Response:
    data = _parse_completion(response)
    choice = data["choices"][0]
    message = choice.get("message") or {}
    content = message.get("content")
    exchange.response_text = content if isinstance(content, str) else ""
    await door.guard.pipeline.finish(exchange, decision)
    if isinstance(content, str) or exchange.response_text:
        message["content"] = exchange.response_text
    if decision.action is Action.BLOCK:
        choice["finish_reason"] = "content_filter"
        message.pop("tool_calls", None)
    choice["message"] = message
    data["guard"] = {"decision": decision.id, "action": decision.action.value}
    return JSONResponse(data, headers=guard_headers(decision))


async def _stream(door: Door, exchange: Exchange, decision: Decision, payload: dict[str, Any],
                  headers: dict[str, str]) -> Response:
    relay = _ChatRelay(door.guard.pipeline.stream(exchange, decision))
    return await stream_through(door, decision, relay, upstream="openai", path="/chat/completions",
                                payload=payload, headers=headers)


class _ChatRelay:
    """Chat Completions chunks keep OpenAI's own framing (`data:` lines, `[DONE]`), so this relay
    brings its own loop to the shared stream opening."""

    def __init__(self, guard_stream: StreamGuard) -> None:
        self.guard_stream = guard_stream

    def run(self, response: httpx.Response, stack: AsyncExitStack) -> AsyncIterator[bytes]:
        return _relay(response, self.guard_stream, self.guard_stream.decision, stack)


def _content_chunk(template: dict[str, Any], text: str, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": template.get("id", ""),
        "object": "chat.completion.chunk",
        "created": template.get("created", 0),
        "model": template.get("model", ""),
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish_reason}],
    }


async def _relay(response: httpx.Response, guard_stream: StreamGuard, decision: Decision,
                 stack: AsyncExitStack) -> AsyncIterator[bytes]:
    """Upstream SSE → pipeline chunk filters → client SSE, one upstream body piece at a time (never held)."""
    chat = _ChatStream(guard_stream)
    reads = response.aiter_text()
    try:
        async for data in relay_reads(reads, chat.handle):
            yield data
        if not (chat.finished or chat.done_sent):
            # The body ended cleanly but the answer did not: never pass a truncated answer off as whole.
            raise UpstreamError("The model upstream's stream ended before the answer was complete.",
                                kind="stream_cut")
        if not chat.finished:
            tail = await guard_stream.finish()
            if tail:
                yield format_event(_content_chunk(chat.template, tail))
        yield format_event("[DONE]")
        if chat.done_sent:
            await drain(reads)
    except OutputBlocked as blocked:
        note = blocked.closing_text()
        final = _content_chunk(chat.template, note, "content_filter")
        final["guard"] = {"decision": decision.id, "action": "block"}
        yield format_event(final) + format_event("[DONE]")
    except GuardError as error:
        await guard_stream.abort(error)
        yield format_event({"error": {"message": str(error), "type": "api_error", "code": error.code},
                            "guard": {"decision": decision.id}})
    except httpx.HTTPError as exc:
        broken = UpstreamError(f"The model upstream's stream broke off ({type(exc).__name__}).", kind="stream_cut")
        await guard_stream.abort(broken)
        yield format_event({"error": {"message": str(broken), "type": "api_error", "code": broken.code},
                            "guard": {"decision": decision.id}})
    finally:
        # On a client disconnect this generator is cancelled; shield the bookkeeping so the decision
        # is still recorded in full and the upstream connection is closed, not abandoned.
        with anyio.CancelScope(shield=True):
            if not guard_stream.closed:  # the client went away mid-stream
                await guard_stream.abort(ClientDisconnected("The client disconnected before the answer was complete."))
            await stack.aclose()


class _ChatStream:
    """The events of one upstream body piece, relayed together.

    Consecutive plain text deltas go through the chunk filters as one text and leave as one chunk;
    if the filters let that text through unchanged, the upstream's own event data is sent as it
    came (no JSON round trip). Anything else (role, tool calls, the finish, usage) is handled one
    event at a time by `_relay_chunk`, in order.
    """

    def __init__(self, guard_stream: StreamGuard) -> None:
        self.guard_stream = guard_stream
        self.template: dict[str, Any] = {}
        self.finished = False   # the upstream's finish_reason has been relayed (and the decision recorded)
        self.done_sent = False  # the upstream's [DONE] arrived

    async def handle(self, events: list[SSEEvent], out: list[bytes]) -> bool:
        run: list[tuple[SSEEvent, dict[str, Any]]] = []
        for event in events:
            if event.data.strip() == "[DONE]":
                self.done_sent = True
                break
            chunk = _decode(event)
            if _plain_text(chunk):
                run.append((event, chunk))
                continue
            await self._feed(run, out)
            run = []
            items, self.template, done = await _relay_chunk(chunk, self.guard_stream, self.template)
            self.finished = self.finished or done
            out.extend(format_event(item) for item in items)
        await self._feed(run, out)
        return self.done_sent

    async def _feed(self, run: list[tuple[SSEEvent, dict[str, Any]]], out: list[bytes]) -> None:
        if not run:
            return
        first = run[0][1]
        self.template = self.template or first
        text = "".join(chunk["choices"][0]["delta"]["content"] for _, chunk in run)
        released = await self.guard_stream.feed(text)
        if released == text and all("\n" not in event.data for event, _ in run):
            out.extend(format_event(event.data) for event, _ in run)
        elif released:
            first["choices"][0]["delta"]["content"] = released
            out.append(format_event(first))


def _decode(event: SSEEvent) -> dict[str, Any]:
    try:
        chunk = event.json()
    except ValueError:
        raise UpstreamError("The model upstream sent a stream event that is not JSON.", kind="malformed") from None
    return _as_chunk(chunk)


def _as_chunk(value: Any) -> dict[str, Any]:
    """A decoded stream event (from the wire or an SDK) that must be a chunk object."""
    if not isinstance(value, dict):
        raise UpstreamError("The model upstream sent a stream event that is not a JSON object.", kind="malformed")
    return value


def _plain_text(chunk: dict[str, Any]) -> bool:
    """A chunk that only adds answer text: one choice, a non-empty `content` delta and nothing else
    that merging it with its neighbours could lose (finish, logprobs, usage, an error)."""
    choices = chunk.get("choices")
    if "error" in chunk or chunk.get("usage") is not None or not isinstance(choices, list) or len(choices) != 1:
        return False
    choice = choices[0]
    if not isinstance(choice, dict) or choice.get("finish_reason") is not None or choice.get("logprobs") is not None:
        return False
    delta = choice.get("delta")
    return isinstance(delta, dict) and len(delta) == 1 and isinstance(delta.get("content"), str) and bool(
        delta["content"])


async def _relay_chunk(chunk: dict[str, Any], guard_stream: StreamGuard,
                       template: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    if "error" in chunk:
        raise UpstreamError("The model upstream reported an error mid-stream.", kind="status")
    template = template or chunk
    out: list[dict[str, Any]] = []
    choices = chunk.get("choices") or []
    if not choices:
        return [chunk], template, False  # e.g. the usage chunk
    choice = choices[0]
    delta = choice.get("delta") or {}
    finish = choice.get("finish_reason")
    choice["finish_reason"] = None  # the end is re-sent after whatever the filters still hold
    content = delta.get("content")
    if isinstance(content, str) and content:
        delta["content"] = await guard_stream.feed(content)
        if delta["content"] or set(delta) - {"content"}:
            out.append(chunk)
    elif delta or finish is None:
        out.append(chunk)
    if finish is None:
        return out, template, False
    tail = await guard_stream.finish()
    if tail:
        out.append(_content_chunk(template, tail))
    end = _content_chunk(template, "", finish)
    end["choices"][0]["delta"] = {}
    end["guard"] = {"decision": guard_stream.decision.id, "action": guard_stream.decision.action.value}
    out.append(end)
    return out, template, True


async def list_models(request: Request) -> Response:
    door = Door(request, api="openai.models")
    try:
        upstream = request.app.state.upstreams["openai"]
        response = await upstream.request("GET", "/models",
                                          headers=door.upstream_headers("openai", keep=_FORWARD_HEADERS))
        return Response(response.content, status_code=response.status_code,
                        media_type=response.headers.get("content-type", "application/json"))
    except GuardError as error:
        return await door.failure(error)
