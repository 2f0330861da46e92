"""A private event loop in a daemon thread, so sync code can run the async pipeline.

`asyncio.run` per call would build and tear down a loop each time and cannot be used inside a
running loop; one long-lived loop keeps connection pools and state backends usable across
calls. Sync doors submit coroutines with `run()` and block on the result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """One event loop, started on first use, stopped by `close()`."""

    def __init__(self, name: str = "guard-inprocess") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the private loop and wait for it; exceptions propagate to the caller."""
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("LoopThread.run was called from its own loop; await the coroutine instead.")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def iterate(self, agen: AsyncIterator[T]) -> Iterator[T]:
        """Drive an async iterator on the private loop, one item per blocking step."""
        while True:
            try:
                yield self.run(_next(agen))
            except StopAsyncIteration:
                return

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if threading.current_thread() is not thread:  # closing from inside: the loop just stops
            thread.join(timeout=5)
            loop.close()

    async def aclose(self) -> None:
        """`Guard.aclose()` closes its services this way."""
        self.close()


async def _next(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()
