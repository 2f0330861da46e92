"""The one exception hierarchy of Empathy Guard.

Every error says what went wrong and what to do about it, and never carries a raw personal value.
Domain errors know nothing of HTTP: `guard.proxy.errors` maps each class to one status code and a
provider-shaped body.

    GuardError
    ├── ConfigError            bad or missing configuration (exit status 2, start-up refused)
    ├── BadRequest             the caller's request cannot be understood (400)
    │   ├── PayloadTooLarge    the body exceeds the configured limit (413)
    │   └── UnsupportedMediaType  the body is declared as something other than JSON (415)
    ├── AuthError              missing or wrong proxy API key (401)
    │   └── AccessDenied       a valid key without the scope the route needs (403)
    ├── NotFound               no such decision, consent or route for this tenant (404)
    ├── PolicyError            the policy engine failed or the bundle is broken (fail closed, 503)
    ├── PolicyDenied           the admit policy refused the exchange (403); carries the Decision
    │   └── ConsentRequired    refused because a purpose lacks a valid consent record
    ├── OutputBlocked          the output policy blocked the answer (mid-stream); carries the Decision
    ├── RedactionError         PII analysis or anonymisation failed (fail closed, 503)
    ├── DetectionError         a detector failed (fail closed, 503)
    ├── StateError             consent store, vault or audit sink unavailable (fail closed, 503)
    ├── UpstreamError          the model upstream failed (502)
    │   └── UpstreamTimeout    the model upstream did not answer in time (504)
    └── ClientDisconnected     the caller went away before the answer was complete (recorded only)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guard.core.decision import Decision

__all__ = [
    "AccessDenied",
    "AuthError",
    "BadRequest",
    "ClientDisconnected",
    "ConfigError",
    "ConsentRequired",
    "DetectionError",
    "GuardError",
    "NotFound",
    "OutputBlocked",
    "PayloadTooLarge",
    "PolicyDenied",
    "PolicyError",
    "RedactionError",
    "StateError",
    "UnsupportedMediaType",
    "UpstreamError",
    "UpstreamTimeout",
]


class GuardError(Exception):
    """Root of every error Empathy Guard raises on purpose.

    `code` is a stable machine-readable identifier; the message is for people.
    """

    code = "guard_error"
    #: The decision of the exchange that failed, once the pipeline has made one.
    decision: Decision | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(GuardError):
    code = "config_error"


class BadRequest(GuardError):
    code = "invalid_request"


class PayloadTooLarge(BadRequest):
    code = "payload_too_large"


class UnsupportedMediaType(BadRequest):
    code = "unsupported_media_type"


class AuthError(GuardError):
    code = "invalid_api_key"


class AccessDenied(AuthError):
    code = "permission_denied"


class NotFound(GuardError):
    code = "not_found"


class PolicyError(GuardError):
    code = "policy_error"


class _WithDecision(GuardError):
    decision: Decision

    def __init__(self, message: str, *, decision: Decision, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.decision = decision


class PolicyDenied(_WithDecision):
    """The admit policy refused the exchange; `decision` explains why."""

    code = "policy_denied"


class ConsentRequired(PolicyDenied):
    code = "consent_required"


class OutputBlocked(_WithDecision):
    """The output policy blocked the model's answer; raised from a stream filter.

    `message` is the safe response the policy chose for the person (in their locale, with any crisis
    resource the policy requires), so it must reach them.
    """

    code = "content_filter"

    def closing_text(self) -> str:
        """What a blocked stream ends with: the safe response, then the plain-words explanation."""
        return f"\n\n{self.message}\n\n{self.decision.explain().user}"


class RedactionError(GuardError):
    code = "redaction_error"


class DetectionError(GuardError):
    code = "detection_error"


class StateError(GuardError):
    code = "state_unavailable"


class UpstreamError(GuardError):
    """`kind` says how the upstream failed, for metrics and logs: `status` (it answered 5xx),
    `timeout`, `malformed` (not the provider's shape), `stream_cut`, or `unreachable`."""

    code = "upstream_error"

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None,
                 kind: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.kind = kind or self._default_kind()

    def _default_kind(self) -> str:
        return "status" if self.status is not None else "unreachable"


class UpstreamTimeout(UpstreamError):
    code = "upstream_timeout"

    def _default_kind(self) -> str:
        return "timeout"


class ClientDisconnected(GuardError):
    """The caller closed the connection mid-answer; nothing is sent, the decision is still recorded."""

    code = "client_disconnected"
