"""What the streaming routes share: opening the upstream stream, and the relay loop around a
provider-specific event handler (Anthropic Messages, OpenAI Responses).

The loop owns the failure modes: a block ends the stream in the provider's shape, an upstream or
stage failure becomes the provider's in-stream error event, and a client that goes away is
recorded; the handler only translates events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any, Protocol

import anyio
import httpx
from starlette.responses import Response, StreamingResponse

from guard.core.decision import Decision
from guard.core.pipeline import StreamGuard
from guard.errors import ClientDisconnected, GuardError, OutputBlocked, UpstreamError
from guard.proxy.door import Door, guard_headers
from guard.proxy.sse import SSEEvent, drain, format_event, relay_reads

__all__ = ["EventRelay", "Relay", "stream_through", "upstream_json"]


def upstream_json(response: httpx.Response, key: str, kind: type) -> dict[str, Any]:
    """The upstream's JSON object, which must hold `key` of type `kind`; else an UpstreamError (502)."""
    try:
        data = response.json()
    except ValueError:
        raise UpstreamError("The model upstream answered with something that is not JSON.", kind="malformed") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), kind):
        raise UpstreamError(f"The model upstream's answer has no '{key}'.", kind="malformed")
    return data


class EventRelay:
    """Base for provider event relays: subclasses implement the three hooks below."""

    def __init__(self, guard_stream: StreamGuard) -> None:
        self.guard_stream = guard_stream
        self.decision = guard_stream.decision
        self.done = False  # set by the handler when the provider's last event has been relayed

    async def on_event(self, data: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def blocked_ending(self, blocked: OutputBlocked) -> list[dict[str, Any]]:
        raise NotImplementedError

    def error_event(self, error: GuardError) -> dict[str, Any]:
        raise NotImplementedError

    async def run(self, response: httpx.Response, stack: AsyncExitStack) -> AsyncIterator[bytes]:
        reads = response.aiter_text()
        try:
            async for data in relay_reads(reads, self._handle):
                yield data
            if not self.done:
                raise UpstreamError("The model upstream's stream ended before the answer was complete.",
                                    kind="stream_cut")
            await drain(reads)
        except OutputBlocked as blocked:
            for item in self.blocked_ending(blocked):
                yield _event(item)
        except GuardError as error:
            await self.guard_stream.abort(error)
            yield _event(self.error_event(error))
        except (httpx.HTTPError, ValueError) as exc:
            broken = UpstreamError(f"The model upstream's stream broke off ({type(exc).__name__}).",
                                   kind="malformed" if isinstance(exc, ValueError) else "stream_cut")
            await self.guard_stream.abort(broken)
            yield _event(self.error_event(broken))
        finally:
            # On a client disconnect this generator is cancelled; shield the bookkeeping so the decision
            # is still recorded in full and the upstream connection is closed, not abandoned.
            with anyio.CancelScope(shield=True):
                if not self.guard_stream.closed:  # the client went away mid-stream
                    await self.guard_stream.abort(
                        ClientDisconnected("The client disconnected before the answer was complete."))
                await stack.aclose()


    async def _handle(self, events: list[SSEEvent], out: list[bytes]) -> bool:
        for event in events:
            items = await self.on_event(event.json())
            out.extend(_event(item) for item in items)
            if self.done:
                return True
        return False


def _event(data: dict[str, Any]) -> bytes:
    return format_event(data, event=str(data["type"]))


class Relay(Protocol):
    """Anything that turns an open upstream event stream into the client's stream."""

    def run(self, response: httpx.Response, stack: AsyncExitStack) -> AsyncIterator[bytes]: ...


async def stream_through(door: Door, decision: Decision, relay: Relay, *, upstream: str, path: str,
                         payload: dict[str, Any], headers: dict[str, str]) -> Response:
    """Open the upstream stream and relay it; an upstream error status is answered without streaming."""
    stack = AsyncExitStack()
    try:
        client = door.request.app.state.upstreams[upstream]
        response = await stack.enter_async_context(client.stream(path, json=payload, headers=headers))
        if response.status_code >= 400:
            await response.aread()
            failure = await door.upstream_failure(decision, response)
            await stack.aclose()
            if failure is not None:
                return failure
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            raise UpstreamError("The model upstream answered a streaming request without an event stream.",
                                kind="malformed")
    except BaseException:
        await stack.aclose()
        raise
    return StreamingResponse(relay.run(response, stack), media_type="text/event-stream", headers={
        **guard_headers(decision), "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
