"""Tenant API keys: a pure ASGI middleware that names the tenant of every request.

Keys are configured only as SHA-256 digests (`auth.keys[].key_sha256`); the presented key is
hashed and compared with every configured digest in constant time. A missing or wrong key is a
401 that says nothing about which tenants exist. Admin routes (consent, decisions, erasure,
reports) need the `admin` scope, model routes the `proxy` scope. Once a request is let in, its
credential headers are removed, so a tenant's proxy key can never travel on to a model upstream.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from guard.core.config import AuthSettings
from guard.errors import AccessDenied, AuthError, GuardError
from guard.proxy.errors import error_body, status_for

__all__ = ["PUBLIC_PATHS", "AuthMiddleware", "Principal", "hash_key", "required_scope"]

log = structlog.get_logger("guard.auth")

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_ADMIN_PREFIXES = ("/guard/consent", "/guard/decisions", "/guard/subjects", "/guard/report")
_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def hash_key(key: str) -> str:
    """The digest to put in `auth.keys[].key_sha256` for an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def required_scope(path: str) -> str | None:
    """The scope a path needs: None for health and metrics, `admin` for governance routes, else `proxy`."""
    if path in PUBLIC_PATHS:
        return None
    if path.startswith(_ADMIN_PREFIXES):
        return "admin"
    return "proxy"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: str
    scopes: frozenset[str]


class KeyTable:
    """Configured digests → principals; lookup compares against every entry in constant time."""

    def __init__(self, settings: AuthSettings) -> None:
        self._entries = [(bytes.fromhex(key.key_sha256), Principal(key.tenant, frozenset(key.scopes)))
                         for key in settings.keys]

    def find(self, presented: str) -> Principal | None:
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: Principal | None = None
        for expected, principal in self._entries:  # no early exit: timing does not tell which entry matched
            if hmac.compare_digest(digest, expected) and found is None:
                found = principal
        return found


def _presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class AuthMiddleware:
    """Pure ASGI (streaming and contextvars stay intact); only HTTP requests are checked."""

    def __init__(self, app: ASGIApp, *, settings: AuthSettings) -> None:
        self.app = app
        self.enabled = settings.enabled
        self.keys = KeyTable(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        scope_needed = required_scope(scope["path"])
        if scope_needed is None:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        presented = _presented_key(headers)
        principal = self.keys.find(presented) if presented else None
        if principal is None:
            log.info("auth_refused", path=scope["path"], reason="missing key" if presented is None else "unknown key")
            await self._refuse(scope, send, AuthError(
                "Missing or invalid API key.", hint="Send the key as 'Authorization: Bearer <key>' or 'x-api-key'."))
            return
        if scope_needed not in principal.scopes:
            log.info("auth_refused", path=scope["path"], reason="scope", scope=scope_needed)
            await self._refuse(scope, send, AccessDenied(
                f"This API key lacks the '{scope_needed}' scope this route needs.",
                hint="Ask the operator for a key with that scope."))
            return
        scope = dict(scope)
        scope["headers"] = [(name, value) for name, value in headers if name not in _CREDENTIAL_HEADERS]
        state = dict(scope.get("state") or {})
        state["tenant"] = principal.tenant
        state["scopes"] = principal.scopes
        scope["state"] = state
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, error: GuardError) -> None:
        # Refused before any tenant is known: nothing is recorded (an unauthenticated caller must
        # not be able to write to anyone's audit log); the log line above notes it.
        flavor = "anthropic" if scope["path"].startswith("/v1/messages") else "openai"
        body = error_body(error, flavor=flavor)
        body.pop("guard", None)
        from starlette.responses import JSONResponse

        headers = {"WWW-Authenticate": "Bearer"} if status_for(error) == 401 else None
        response = JSONResponse(body, status_code=status_for(error), headers=headers)
        await response(scope, _no_receive, send)


async def _no_receive() -> dict[str, object]:
    return {"type": "http.disconnect"}
