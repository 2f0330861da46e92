"""One table maps every GuardError to an HTTP status and a provider-shaped error body."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from guard.errors import (
    AccessDenied,
    AuthError,
    BadRequest,
    ClientDisconnected,
    GuardError,
    NotFound,
    OutputBlocked,
    PayloadTooLarge,
    PolicyDenied,
    UnsupportedMediaType,
    UpstreamError,
    UpstreamTimeout,
)

__all__ = ["error_body", "error_response", "status_for"]

_STATUS: tuple[tuple[type[GuardError], int], ...] = (
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (BadRequest, 400),
    (AccessDenied, 403),
    (AuthError, 401),
    (NotFound, 404),
    (PolicyDenied, 403),
    (OutputBlocked, 403),
    (UpstreamTimeout, 504),
    # Nobody reads this answer; recorded as nginx's "client closed request", not as our refusal.
    (ClientDisconnected, 499),
    (UpstreamError, 502),
)

_OPENAI_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    502: "api_error",
    503: "api_error",
    504: "api_error",
}

_ANTHROPIC_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    415: "invalid_request_error",
    502: "api_error",
    503: "overloaded_error",
    504: "api_error",
}


def status_for(error: GuardError) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 503  # policy/redaction/detection/state failures: the service is refusing, fail closed


def error_body(error: GuardError, *, flavor: str = "openai", decision_id: str | None = None) -> dict[str, Any]:
    status = status_for(error)
    message = str(error)
    guard_info: dict[str, Any] = {"code": error.code}
    if decision_id:
        guard_info["decision"] = decision_id
    if isinstance(error, PolicyDenied | OutputBlocked):
        explanation = error.decision.explain()
        guard_info["explanation"] = explanation.user
        guard_info["reasons"] = [reason.to_document() for reason in error.decision.reasons]
    if flavor == "anthropic":
        return {
            "type": "error",
            "error": {"type": _ANTHROPIC_TYPE.get(status, "api_error"), "message": message},
            "guard": guard_info,
        }
    return {
        "error": {
            "message": message,
            "type": _OPENAI_TYPE.get(status, "api_error"),
            "param": None,
            "code": error.code,
        },
        "guard": guard_info,
    }


def error_response(
    error: GuardError, *, flavor: str = "openai", decision_id: str | None = None, action: str = "block"
) -> JSONResponse:
    headers = {"X-Guard-Action": action}
    if decision_id:
        headers["X-Guard-Decision"] = decision_id
    return JSONResponse(
        error_body(error, flavor=flavor, decision_id=decision_id), status_code=status_for(error), headers=headers
    )
