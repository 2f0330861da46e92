"""What every proxy route shares: reading the body, the context, and turning failures into answers."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from guard.core.context import Context
from guard.core.decision import Decision
from guard.errors import BadRequest, GuardError, PayloadTooLarge, UnsupportedMediaType, UpstreamError
from guard.proxy.context import context_from_headers
from guard.proxy.disconnect import until_disconnected
from guard.proxy.errors import error_response, status_for

if TYPE_CHECKING:
    import httpx

    from guard._guard import Guard
    from guard.core.exchange import Exchange

__all__ = ["Door", "guard_headers", "set_path"]

log = structlog.get_logger("guard.proxy")

_CREDENTIAL_HEADERS = ("authorization", "x-api-key")

#: Deeper JSON than this is refused: real requests (even nested tool schemas) stay far below it,
#: and recursive code further on (copying, validation) must never hit Python's recursion limit.
MAX_JSON_DEPTH = 64


class Door:
    """One request through one route: the guard, the tenant, and the provider flavour of errors."""

    def __init__(self, request: Request, *, api: str, flavor: str = "openai") -> None:
        self.request = request
        self.api = api
        self.flavor = flavor
        self.guard: Guard = request.app.state.guard
        self.tenant: str = getattr(request.state, "tenant", "default")
        self.context: Context | None = None

    async def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or BadRequest / PayloadTooLarge saying what is wrong."""
        _check_json_media_type(self.request.headers.get("content-type"))
        limit = self.guard.settings.server.max_body_bytes
        declared = self.request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.",
                                  hint="Send less history, or raise server.max_body_bytes.")
        raw = bytearray()
        async for chunk in self.request.stream():
            raw.extend(chunk)
            if len(raw) > limit:
                raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.",
                                      hint="Send less history, or raise server.max_body_bytes.")
        if not raw:
            raise BadRequest("The request body is empty; a JSON object is required.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The request body is not valid UTF-8 (byte {exc.start}).") from None
        try:
            body = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise BadRequest(
                f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        except RecursionError:
            raise BadRequest("The request body is nested too deeply.") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        if _depth_exceeds(body, MAX_JSON_DEPTH):
            raise BadRequest(f"The request body is nested more than {MAX_JSON_DEPTH} levels deep.")
        return body

    def make_context(self, *, user: object = None, **extra: object) -> Context:
        self.context = context_from_headers(self.request.headers, tenant=self.tenant, user=user, **extra)
        return self.context

    async def start(self, exchange: Exchange) -> Decision:
        """Run the pipeline up to the model call; the keyed subject hash is kept for the upstream body."""
        if exchange.context.subject:
            exchange.scratch["subject_hash"] = self.guard.hasher(exchange.context.tenant, exchange.context.subject)
        return await self.guard.pipeline.start(exchange)

    def upstream_headers(self, name: str, *, keep: tuple[str, ...]) -> dict[str, str]:
        """Headers for upstream `name`: the tenant's own credential wins over the proxy-wide one,
        which wins over what the caller sent (with auth on, the caller's key never goes upstream)."""
        upstream = self.request.app.state.upstreams[name]
        headers: dict[str, str] = upstream.headers(dict(self.request.headers), keep=keep)
        key = self.guard.settings.auth.upstream_key(self.tenant, name) or upstream.settings.api_key()
        if key:  # the proxy's own credential replaces whatever the caller sent, in either header
            for header in _CREDENTIAL_HEADERS:
                headers.pop(header, None)
            headers[upstream.auth_header] = f"Bearer {key}" if upstream.auth_header == "authorization" else key
        return headers

    async def post_upstream(self, decision: Decision, name: str, path: str, *, payload: dict[str, Any],
                            headers: dict[str, str]) -> httpx.Response | Response:
        """A non-streaming call to upstream `name` (dropped if the caller leaves): its answer, or the
        ready reply for an upstream 4xx (a 5xx raises UpstreamError)."""
        upstream = self.request.app.state.upstreams[name]
        response = await until_disconnected(
            self.request, upstream.request("POST", path, json=payload, headers=headers))
        passthrough = await self.upstream_failure(decision, response)
        return response if passthrough is None else passthrough

    async def upstream_failure(self, decision: Decision, response: httpx.Response) -> Response | None:
        """A 4xx from upstream is the caller's to see (already provider-shaped); a 5xx becomes our 502."""
        if response.status_code < 400:
            return None
        if response.status_code >= 500:
            raise UpstreamError(f"The model upstream failed with status {response.status_code}.",
                                status=response.status_code, hint="Try again later.")
        decision.status = response.status_code
        decision.error = f"upstream status {response.status_code}"
        await self.guard.pipeline.record(decision)
        return Response(response.content, status_code=response.status_code,
                        media_type=response.headers.get("content-type", "application/json"),
                        headers=guard_headers(decision))

    async def failure(self, error: GuardError, decision: Decision | None = None) -> JSONResponse:
        """Answer a failed request in the provider's error shape, recording a decision for it."""
        # In-process doors (guard.wrap) read the original error back to raise it with its decision.
        self.request.state.guard_error = error
        decision = error.decision or decision
        if decision is None:
            decision = Decision(context=self.context or Context(tenant=self.tenant), api=self.api)
            decision.allow = False
        status = status_for(error)
        try:
            await self.guard.pipeline.fail(decision, error, status=status)
        except GuardError:
            log.error("record_failed", api=self.api, decision=decision.id)
        log.info("request_refused", api=self.api, status=status, code=error.code, decision=decision.id)
        return error_response(error, flavor=self.flavor, decision_id=decision.id, action=decision.action.value)


def guard_headers(decision: Decision) -> dict[str, str]:
    return {"X-Guard-Decision": decision.id, "X-Guard-Action": decision.action.value}


def _reject_constant(name: str) -> Any:
    # Python accepts NaN and Infinity, JSON does not: forwarding them would fail on the way upstream.
    raise BadRequest(f"The request body is not valid JSON: {name} is not a JSON number.")


def _check_json_media_type(content_type: str | None) -> None:
    """No Content-Type is tolerated (some clients omit it); a declared non-JSON type is a 415."""
    if content_type is None or not content_type.strip():
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    raise UnsupportedMediaType("The request body must be sent as Content-Type: application/json.",
                               hint="Set the Content-Type header to application/json.")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True if `value` nests containers deeper than `limit` (iterative: safe on any input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def upstream_body(body: dict[str, Any], exchange: Exchange, *,
                  subject_field: tuple[str, ...] = ("user",)) -> dict[str, Any]:
    """The body as it goes upstream: redacted texts written back in place, and the subject id found at
    `subject_field` (personal) replaced by its keyed hash, stable and useful for abuse tracking."""
    out = copy.deepcopy(body)
    for message in exchange.messages:
        set_path(out, message.path, message.text)
    holder: Any = out
    for key in subject_field[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(holder, dict) and holder.get(subject_field[-1]):
        holder[subject_field[-1]] = str(exchange.scratch.get("subject_hash", "anonymous"))
    return out


def set_path(body: Any, path: tuple[str | int, ...], value: str) -> None:
    """Write `value` at `path` inside a parsed JSON body (the path came from the same body)."""
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
