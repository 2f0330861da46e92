"""What every proxy route shares: reading the body, the context, and turning failures into answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse

from guard.core.context import Context
from guard.core.decision import Decision
from guard.errors import BadRequest, GuardError, PayloadTooLarge
from guard.proxy.context import context_from_headers
from guard.proxy.errors import error_response, status_for

if TYPE_CHECKING:
    from guard._guard import Guard

__all__ = ["Door", "set_path"]

log = structlog.get_logger("guard.proxy")


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
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(
                f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        except RecursionError:
            raise BadRequest("The request body is nested too deeply.") from None
        if not isinstance(body, dict):
            raise BadRequest("The request body must be a JSON object.")
        return body

    def make_context(self, *, user: object = None, **extra: object) -> Context:
        self.context = context_from_headers(self.request.headers, tenant=self.tenant, user=user, **extra)
        return self.context

    async def failure(self, error: GuardError, decision: Decision | None = None) -> JSONResponse:
        """Answer a failed request in the provider's error shape, recording a decision for it."""
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


def set_path(body: Any, path: tuple[str | int, ...], value: str) -> None:
    """Write `value` at `path` inside a parsed JSON body (the path came from the same body)."""
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
