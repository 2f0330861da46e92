"""Stop waiting on the model when the caller has gone: race an awaitable against `http.disconnect`.

Uvicorn does not cancel a request handler when its client disconnects; a non-streaming call would
keep its upstream request (and a pooled connection) busy until the model answered or timed out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import suppress
from typing import TypeVar

from starlette.requests import Request

from guard.errors import ClientDisconnected

__all__ = ["until_disconnected"]

T = TypeVar("T")


async def _disconnected(request: Request) -> None:
    # Only call this once the body has been read: after that the server's next message can only
    # be `http.disconnect` (sent when the client goes away, or after the response is complete).
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def until_disconnected(request: Request, work: Awaitable[T]) -> T:
    """The result of `work`, or ClientDisconnected (with `work` cancelled) if the client leaves first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        watcher.cancel()
        with suppress(asyncio.CancelledError):
            await watcher
    if task.cancelled():
        raise ClientDisconnected("The client disconnected before the model answered.")
    return task.result()
