"""OpenAI Embeddings: `POST /v1/embeddings` with every input redacted before it is embedded.

An embedding of a name or an e-mail address is still personal data, so inputs pass admit and
redact like chat messages do. Token-id inputs cannot be read, so they are refused rather than
passed on unchecked (fail closed). Vectors come back as the upstream sent them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.decision import Decision
from guard.core.exchange import Exchange, Message
from guard.errors import BadRequest, GuardError
from guard.proxy.door import Door, guard_headers, upstream_body
from guard.proxy.relay import upstream_json

__all__ = ["create_embeddings", "embeddings_exchange"]

API = "openai.embeddings"
_FORWARD_HEADERS = ("authorization", "openai-organization", "openai-project", "user-agent")
_MAX_INPUTS = 2048


def _field(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message, hint="See the OpenAI Embeddings reference for the request shape.")


def embeddings_exchange(body: dict[str, Any], door: Door) -> Exchange:
    """Validate an Embeddings body and collect its input texts."""
    _field(isinstance(body.get("model"), str) and bool(body["model"]), "'model' must be a non-empty string.")
    _field("input" in body, "The request needs an 'input'.")
    value = body["input"]
    user = body.get("user")
    _field(user is None or isinstance(user, str), "'user' must be a string.")
    if isinstance(value, str):
        texts = [Message("user", value, ("input",), kind="input")]
    else:
        _field(isinstance(value, list) and 0 < len(value) <= _MAX_INPUTS,
               f"'input' must be a string or an array of 1 to {_MAX_INPUTS} strings.")
        _field(all(isinstance(item, str) for item in value),
               "'input' must be text: token-id arrays cannot be checked for personal data, so they are refused.")
        texts = [Message("user", item, ("input", index), kind="input") for index, item in enumerate(value)]
    context = door.make_context(user=user)
    return Exchange(context=context, messages=texts, api=API, model=body["model"])


async def create_embeddings(request: Request) -> Response:
    door = Door(request, api=API)
    decision: Decision | None = None
    try:
        body = await door.json_body()
        exchange = embeddings_exchange(body, door)
        decision = await door.start(exchange)
        payload = upstream_body(body, exchange)
        upstream = request.app.state.upstreams["openai"]
        response = await upstream.request("POST", "/embeddings", json=payload,
                                          headers=door.upstream_headers("openai", keep=_FORWARD_HEADERS))
        passthrough = await door.upstream_failure(decision, response)
        if passthrough is not None:
            return passthrough
        data = upstream_json(response, "data", list)
        await door.guard.pipeline.finish(exchange, decision)
        return JSONResponse(data, headers=guard_headers(decision))
    except GuardError as error:
        return await door.failure(error, decision)
