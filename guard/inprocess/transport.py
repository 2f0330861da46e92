"""HTTP transports that put the proxy's routes inside an SDK client.

    SDK client ──► GuardTransport ──► proxy routes (in-process ASGI) ──► UpstreamBridge ──► the
    (httpx2)       (sync or async)     same adapters and pipeline        original SDK http client

`GuardTransport` answers the SDK's requests by calling the proxy app in-process; the app's
upstream calls go through `UpstreamBridge` to the client's own `httpx2` client, so the user's
base URL, proxies, timeouts and custom transports still apply. Sync clients run the app on the
Guard's private loop; async clients run it on their own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import httpx2

from guard.inprocess.asgi import AsgiResponse, call_asgi
from guard.inprocess.context import context_headers, current_context

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from guard.inprocess.runner import LoopThread

__all__ = ["AsyncGuardTransport", "GuardTransport", "Route", "UpstreamBridge"]

# Decoded bodies are passed on, so the headers that describe the wire encoding must go.
_DROP_RESPONSE_HEADERS = {b"content-encoding", b"content-length", b"transfer-encoding"}


def _response_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in raw if name.lower() not in _DROP_RESPONSE_HEADERS]


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes], close: Any) -> None:
        self._chunks = chunks
        self._close = close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        await self._close()


class UpstreamBridge(httpx.AsyncBaseTransport):
    """The proxy app's upstream transport: sends through the wrapped client's own httpx2 client."""

    def __init__(self, client: httpx2.Client | httpx2.AsyncClient) -> None:
        self._client = client

    async def close_client(self) -> None:
        """Close the wrapped client's own connections (the wrapped copy owns them)."""
        if isinstance(self._client, httpx2.AsyncClient):
            await self._client.aclose()
        else:
            self._client.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outgoing = httpx2.Request(request.method, str(request.url), headers=request.headers.raw,
                                  content=await request.aread())
        if isinstance(self._client, httpx2.AsyncClient):
            response = await self._client.send(outgoing, stream=True)
            chunks: AsyncIterator[bytes] = response.aiter_bytes()
            close: Any = response.aclose
        else:
            sync_client = self._client
            response = await asyncio.to_thread(lambda: sync_client.send(outgoing, stream=True))
            chunks = _threaded(response.iter_bytes())

            async def close() -> None:
                await asyncio.to_thread(response.close)
        return httpx.Response(response.status_code, headers=_response_headers(response.headers.raw),
                              stream=_AsyncChunks(chunks, close))


async def _threaded(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, chunks, done)
        if chunk is done:
            return
        yield chunk  # type: ignore[misc]


class Route:
    """What both transports share: turn an SDK request into an in-process call of the proxy app."""

    def __init__(self, app: ASGIApp, bridge: UpstreamBridge, *, prefix: str, base_path: str) -> None:
        self.app = app
        self.bridge = bridge
        self.prefix = prefix          # where the app serves this API ("/v1" for OpenAI, "" for Anthropic)
        self.base_path = base_path.rstrip("/")  # the SDK client's base URL path, stripped from requests

    def path(self, request: httpx2.Request) -> str:
        path = request.url.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        return self.prefix + (path if path.startswith("/") else "/" + path)

    def headers(self, request: httpx2.Request) -> list[tuple[bytes, bytes]]:
        raw = list(request.headers.raw)
        context = current_context()
        if context is not None:
            present = {name.lower() for name, _ in raw}
            raw += [(name.encode(), value.encode()) for name, value in context_headers(context).items()
                    if name.encode() not in present]
        return raw

    @staticmethod
    def state() -> dict[str, Any]:
        context = current_context()
        return {"tenant": context.tenant} if context is not None else {}

    async def call(self, request: httpx2.Request, body: bytes, *, headers: list[tuple[bytes, bytes]],
                   state: dict[str, Any]) -> AsgiResponse:
        return await call_asgi(self.app, method=request.method, path=self.path(request), query=request.url.query,
                               headers=headers, body=body, state=state)

    @staticmethod
    def extensions(answer: AsgiResponse) -> dict[str, Any]:
        # The SDK raises its own status error from this response; the wrapper finds our error
        # (with its Decision) here and raises that instead.
        error = answer.state.get("guard_error")
        return {"guard_error": error} if error is not None else {}


class _SyncChunks(httpx2.SyncByteStream):
    def __init__(self, runner: LoopThread, chunks: AsyncIterator[bytes]) -> None:
        self._runner = runner
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._runner.iterate(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "aclose", None)
        if close is not None:
            self._runner.run(close())


class GuardTransport(httpx2.BaseTransport):
    """For sync SDK clients: the proxy app runs on the Guard's private loop."""

    def __init__(self, route: Route, runner: LoopThread) -> None:
        self._route = route
        self._runner = runner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        # Context and tenant are read here, in the caller's thread, where the contextvar is set.
        headers, state = self._route.headers(request), self._route.state()
        answer = self._runner.run(self._route.call(request, body, headers=headers, state=state))
        return httpx2.Response(answer.status, headers=answer.headers, stream=_SyncChunks(self._runner, answer.body),
                               request=request, extensions=self._route.extensions(answer))

    def close(self) -> None:
        self._runner.run(self._route.bridge.close_client())


class _AsyncSDKChunks(httpx2.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        close = getattr(self._chunks, "aclose", None)
        if close is not None:
            await close()


class AsyncGuardTransport(httpx2.AsyncBaseTransport):
    """For async SDK clients: the proxy app runs on the caller's own loop."""

    def __init__(self, route: Route) -> None:
        self._route = route

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        route = self._route
        answer = await route.call(request, await request.aread(), headers=route.headers(request), state=route.state())
        return httpx2.Response(answer.status, headers=answer.headers, stream=_AsyncSDKChunks(answer.body),
                               request=request, extensions=self._route.extensions(answer))

    async def aclose(self) -> None:
        await self._route.bridge.close_client()
