"""Call an ASGI app in-process and get its response as a stream (httpx's ASGITransport buffers).

The in-process doors hand SDK requests to the same proxy routes the HTTP proxy serves, so a
wrapped client and the proxy make the same decisions; streaming answers must still arrive
chunk by chunk, hence this small streaming bridge.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message

__all__ = ["AsgiResponse", "call_asgi"]


@dataclass(slots=True)
class AsgiResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: AsyncIterator[bytes]
    #: The request's `scope["state"]` after the app answered (routes leave notes there).
    state: dict[str, Any] = field(default_factory=dict)


class _Call:
    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue()
        self.disconnected = asyncio.Event()
        self._body: bytes | None = body
        self.task = asyncio.ensure_future(app(scope, self.receive, self.send))

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        await self.queue.put(message)

    async def next_message(self) -> Message:
        """The app's next message; its exception if it failed; an error if it ended without answering."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        getter = asyncio.ensure_future(self.queue.get())
        await asyncio.wait({getter, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        self.task.result()  # raises the app's exception, if any
        raise RuntimeError("The in-process app ended without completing its response.")

    async def body(self) -> AsyncIterator[bytes]:
        try:
            while True:
                message = await self.next_message()
                if message["type"] != "http.response.body":
                    continue
                if message.get("body"):
                    yield bytes(message["body"])
                if not message.get("more_body", False):
                    break
        finally:
            self.disconnected.set()  # a reader that stops early is a client that went away
            await asyncio.gather(self.task, return_exceptions=True)


async def call_asgi(app: ASGIApp, *, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]],
                    body: bytes, state: dict[str, Any]) -> AsgiResponse:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method.upper(),
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(name.lower(), value) for name, value in headers],
        "client": ("127.0.0.1", 0), "server": ("guard.inprocess", 80), "state": state,
    }
    call = _Call(app, scope, body)
    start = await call.next_message()
    while start["type"] != "http.response.start":
        start = await call.next_message()
    return AsgiResponse(int(start["status"]), list(start.get("headers", [])), call.body(), scope["state"])
