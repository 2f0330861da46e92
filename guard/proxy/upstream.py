"""The pooled HTTP client to model upstreams; base URLs come only from configuration."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from guard.core.config import UpstreamSettings
from guard.errors import UpstreamError, UpstreamTimeout

__all__ = ["POOL_SHARDS", "Upstream"]

# Hop-by-hop and body-describing headers are the proxy's business, not the client's.
_DROP_REQUEST_HEADERS = {
    "host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding",
    "upgrade", "te", "trailer", "proxy-authorization", "proxy-connection",
}

#: httpcore's pool walks all its connections whenever a request starts or ends (a poll() per idle
#: connection, and an idle count per idle connection: quadratic). With a hundred connections that
#: walk was a third of the proxy's CPU under load; several small pools, used in turn, keep it short.
POOL_SHARDS = 8


class Upstream:
    """One upstream API (OpenAI- or Anthropic-shaped) behind a few pooled `httpx.AsyncClient`s."""

    def __init__(self, settings: UpstreamSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                 auth_header: str = "authorization") -> None:
        self.settings = settings
        self.auth_header = auth_header
        timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        # A transport passed in (tests, the in-process bridge) is one object: no point in sharding it.
        shards = 1 if transport is not None else max(1, min(POOL_SHARDS, settings.max_connections))
        per_shard = -(-settings.max_connections // shards)  # ceiling: the total is at least the setting
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        self.clients = [
            httpx.AsyncClient(base_url=settings.base_url.rstrip("/"), timeout=timeout, limits=limits,
                              transport=transport)
            for _ in range(shards)
        ]
        self._turn = itertools.cycle(self.clients)

    def _next_client(self) -> httpx.AsyncClient:
        """The client for the next request: the pools are taken in turn."""
        return next(self._turn)

    def headers(self, incoming: dict[str, str], *, keep: tuple[str, ...]) -> dict[str, str]:
        """Headers to send upstream: the caller's credentials unless the proxy has its own key."""
        out = {k: v for k, v in incoming.items() if k.lower() in keep and k.lower() not in _DROP_REQUEST_HEADERS}
        key = self.settings.api_key()
        if key:
            out.pop(self.auth_header, None)
            out[self.auth_header] = f"Bearer {key}" if self.auth_header == "authorization" else key
        return out

    async def request(self, method: str, path: str, *, json: Any = None, headers: dict[str, str]) -> httpx.Response:
        try:
            return await self._next_client().request(method, path, json=json, headers=headers)
        except httpx.TimeoutException:
            raise UpstreamTimeout(
                "The model upstream did not answer in time.",
                hint="Try again; operators can raise upstreams.*.read_timeout_s.",
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"Could not reach the model upstream ({type(exc).__name__}).",
                hint="Check upstreams.*.base_url and that the model server is running.",
            ) from None

    @asynccontextmanager
    async def stream(self, path: str, *, json: Any, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        client = self._next_client()
        request = client.build_request("POST", path, json=json, headers=headers)
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            raise UpstreamTimeout("The model upstream did not start its answer in time.") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Could not reach the model upstream ({type(exc).__name__}).") from None
        try:
            yield response
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
