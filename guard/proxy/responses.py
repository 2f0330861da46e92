"""OpenAI Responses: `POST /v1/responses` around the pipeline, JSON or event stream.

Texts that would reach the model: `instructions`, a string `input`, and in an item list the text of
message items (string or `input_text`/`output_text` parts), `function_call.arguments` and
`function_call_output.output`. What the server keeps from earlier turns (`previous_response_id`)
was checked when it was sent through here.

The answer's `output_text` parts are checked as one text. A blocked answer comes back with
`status: "incomplete"`, `incomplete_details.reason: "content_filter"` and the explanation as its
text; mid-stream, the explanation is the last delta and the stream ends with
`response.incomplete`. As with Anthropic streams, the `done` events of the last text part (and
the items after it) wait for the end of the response, so they can carry the text as delivered.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.decision import Action, Decision
from guard.core.exchange import Exchange, Message
from guard.core.pipeline import StreamGuard
from guard.errors import BadRequest, GuardError, OutputBlocked, UpstreamError
from guard.proxy.door import Door, guard_headers, upstream_body
from guard.proxy.relay import EventRelay, stream_through, upstream_json

__all__ = ["ResponsesRelay", "create_response", "responses_exchange"]

API = "openai.responses"
_FORWARD_HEADERS = ("authorization", "openai-organization", "openai-project", "user-agent")
_TEXT_PARTS = {"input_text", "output_text", "text"}
_ROLES = {"user", "assistant", "system", "developer"}


def _field(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message, hint="See the OpenAI Responses API reference for the request shape.")


def _item_texts(index: int, item: Any) -> list[Message]:
    _field(isinstance(item, dict), f"input[{index}] must be an object.")
    kind = item.get("type", "message")
    if kind == "function_call" and isinstance(item.get("arguments"), str):
        return [Message("assistant", item["arguments"], ("input", index, "arguments"), kind="tool_arguments")]
    if kind == "function_call_output" and isinstance(item.get("output"), str):
        return [Message("tool", item["output"], ("input", index, "output"), kind="tool_result")]
    if kind != "message":
        return []  # reasoning, item references, images, files: passed on as sent
    role = item.get("role")
    _field(role in _ROLES, f"input[{index}].role must be one of {sorted(_ROLES)}.")
    content = item.get("content")
    if isinstance(content, str):
        return [Message(role, content, ("input", index, "content"))]
    if not isinstance(content, list):
        raise BadRequest(f"input[{index}].content must be a string or an array of parts.")
    return [Message(role, part["text"], ("input", index, "content", part_index, "text"))
            for part_index, part in enumerate(content)
            if isinstance(part, dict) and part.get("type") in _TEXT_PARTS and isinstance(part.get("text"), str)]


def responses_exchange(body: dict[str, Any], door: Door) -> Exchange:
    """Validate a Responses body and collect every text that would go upstream."""
    _field(isinstance(body.get("model"), str) and bool(body["model"]), "'model' must be a non-empty string.")
    _field(isinstance(body.get("stream", False), bool), "'stream' must be true or false.")
    user = body.get("user")
    _field(user is None or isinstance(user, str), "'user' must be a string.")
    texts: list[Message] = []
    instructions = body.get("instructions")
    _field(instructions is None or isinstance(instructions, str), "'instructions' must be a string.")
    if instructions:
        texts.append(Message("system", instructions, ("instructions",), kind="system"))
    value = body.get("input")
    if isinstance(value, str):
        texts.append(Message("user", value, ("input",)))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            texts.extend(_item_texts(index, item))
    else:
        raise BadRequest("'input' must be a string or a non-empty array of items.",
                         hint="See the OpenAI Responses API reference for the request shape.")
    context = door.make_context(user=user)
    return Exchange(context=context, messages=texts, api=API, model=body["model"],
                    stream=bool(body.get("stream", False)))


def _text_parts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [part for item in data.get("output") or [] if isinstance(item, dict) and item.get("type") == "message"
            for part in item.get("content") or [] if isinstance(part, dict) and part.get("type") == "output_text"]


def response_text(data: dict[str, Any]) -> str:
    return "".join(str(part.get("text", "")) for part in _text_parts(data))


def _blocked(data: dict[str, Any], text: str) -> None:
    message = next((item for item in data.get("output") or [] if item.get("type") == "message"), None)
    part = {"type": "output_text", "text": text, "annotations": []}
    if message is None:
        message = {"type": "message", "id": "msg_guard", "role": "assistant", "status": "completed", "content": []}
    message["content"] = [part]
    data["output"] = [message]  # a withheld answer's tool calls are not passed on either
    data["status"] = "incomplete"
    data["incomplete_details"] = {"reason": "content_filter"}


def write_response(data: dict[str, Any], exchange: Exchange, decision: Decision) -> dict[str, Any]:
    """Put the checked answer back into a `response` object (in place); returns it."""
    if decision.action is Action.BLOCK:
        _blocked(data, exchange.response_text)
    elif exchange.response_text != response_text(data):
        parts = _text_parts(data)
        if parts:  # the stages worked on the joined text; it goes back into the first part
            parts[0]["text"] = exchange.response_text
            for part in parts[1:]:
                part["text"] = ""
    data["guard"] = {"decision": decision.id, "action": decision.action.value}
    return data


async def create_response(request: Request) -> Response:
    door = Door(request, api=API)
    decision: Decision | None = None
    try:
        body = await door.json_body()
        exchange = responses_exchange(body, door)
        decision = await door.start(exchange)
        headers = door.upstream_headers("openai", keep=_FORWARD_HEADERS)
        payload = upstream_body(body, exchange)
        if exchange.stream:
            relay = ResponsesRelay(door.guard.pipeline.stream(exchange, decision))
            return await stream_through(door, decision, relay, upstream="openai", path="/responses",
                                        payload=payload, headers=headers)
        response = await door.post_upstream(decision, "openai", "/responses", payload=payload, headers=headers)
        if isinstance(response, Response):
            return response
        data = upstream_json(response, "output", list)
        exchange.response_text = response_text(data)
        await door.guard.pipeline.finish(exchange, decision)
        return JSONResponse(write_response(data, exchange, decision), headers=guard_headers(decision))
    except GuardError as error:
        return await door.failure(error, decision)


_DONE_EVENTS = {"response.output_text.done", "response.content_part.done", "response.output_item.done"}


class ResponsesRelay(EventRelay):
    """Upstream Responses events → the pipeline's chunk filters → client events."""

    def __init__(self, guard_stream: StreamGuard) -> None:
        super().__init__(guard_stream)
        self.part: dict[str, Any] | None = None       # where released text goes: item_id, output/content index
        self.delivered: dict[tuple[int, int], str] = {}
        self.held: list[dict[str, Any]] = []          # done events of the current part, and what follows it
        self.template: dict[str, Any] = {}            # the response object as last announced upstream

    def error_event(self, error: GuardError) -> dict[str, Any]:
        return {"type": "error", "code": error.code, "message": str(error), "param": None,
                "sequence_number": 0, "guard": {"decision": self.decision.id}}

    async def on_event(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise UpstreamError("The model upstream sent a stream event that is not a Responses event object.")
        kind = data["type"]
        if kind in {"error", "response.failed"}:
            raise UpstreamError("The model upstream reported an error mid-stream.")
        if kind in {"response.created", "response.in_progress"} and isinstance(data.get("response"), dict):
            self.template = data["response"]
        if kind == "response.output_text.delta":
            return await self._delta(data)
        if kind in {"response.completed", "response.incomplete"}:
            return await self._end(data)
        if self.held or (kind in _DONE_EVENTS and self.part is not None):
            self.held.append(data)
            return []
        return [data]

    async def _delta(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        if self.held:  # a new text part after a held one: give up waiting, keep the order
            out, self.held = self.held, []
            out = self._with_delivered(out)
        else:
            out = []
        self.part = {key: data.get(key) for key in ("item_id", "output_index", "content_index")}
        released = await self.guard_stream.feed(str(data.get("delta", "")))
        if released:
            out.append(self._text_delta(released, data))
        return out

    def _text_delta(self, text: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
        part = self.part or {"item_id": "", "output_index": 0, "content_index": 0}
        key = (int(part["output_index"] or 0), int(part["content_index"] or 0))
        self.delivered[key] = self.delivered.get(key, "") + text
        return {"type": "response.output_text.delta", **part, "delta": text, "logprobs": [],
                "sequence_number": (template or {}).get("sequence_number", 0)}

    def _with_delivered(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Done events and final responses carry the text as it was delivered, not as generated."""
        out = []
        for original in events:
            event = copy.deepcopy(original)
            key = (int(event.get("output_index") or 0), int(event.get("content_index") or 0))
            part = event.get("part") or {}
            if event["type"] == "response.output_text.done":
                event["text"] = self.delivered.get(key, "")  # all of a part's text came through us
            elif event["type"] == "response.content_part.done" and part.get("type") == "output_text":
                part["text"] = self.delivered.get(key, "")
            elif event["type"] == "response.output_item.done":
                self._fix_item(event.get("item") or {}, int(event.get("output_index") or 0))
            out.append(event)
        return out

    def _fix_item(self, item: dict[str, Any], output_index: int) -> None:
        if item.get("type") != "message":
            return
        for content_index, part in enumerate(item.get("content") or []):
            if isinstance(part, dict) and part.get("type") == "output_text":
                part["text"] = self.delivered.get((output_index, content_index), "")

    async def _end(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        tail = await self.guard_stream.finish()
        out = [self._text_delta(tail)] if tail else []
        out += self._with_delivered(self.held)
        self.held = []
        final = copy.deepcopy(data)
        for index, item in enumerate((final.get("response") or {}).get("output") or []):
            if isinstance(item, dict):
                self._fix_item(item, index)
        final["guard"] = {"decision": self.decision.id, "action": self.decision.action.value}
        self.done = True
        return [*out, final]

    def blocked_ending(self, blocked: OutputBlocked) -> list[dict[str, Any]]:
        """Explanation as the last delta; the open part and item are closed; `response.incomplete`."""
        out = [self._text_delta(blocked.closing_text())]
        part = self.part or {"item_id": "", "output_index": 0, "content_index": 0}
        key = (int(part["output_index"] or 0), int(part["content_index"] or 0))
        text = self.delivered.get(key, "")
        out.append({"type": "response.output_text.done", **part, "text": text, "logprobs": [], "sequence_number": 0})
        out.append({"type": "response.content_part.done", **part, "sequence_number": 0,
                    "part": {"type": "output_text", "text": text, "annotations": []}})
        message = {"type": "message", "id": part["item_id"], "role": "assistant", "status": "incomplete",
                   "content": [{"type": "output_text", "text": text, "annotations": []}]}
        out.append({"type": "response.output_item.done", "output_index": part["output_index"], "item": message,
                    "sequence_number": 0})
        response = {**copy.deepcopy(self.template), "status": "incomplete", "output": [message],
                    "incomplete_details": {"reason": "content_filter"}}
        out.append({"type": "response.incomplete", "response": response, "sequence_number": 0,
                    "guard": {"decision": self.decision.id, "action": Action.BLOCK.value}})
        self.done = True
        return out
