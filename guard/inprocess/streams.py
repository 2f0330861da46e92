"""SDK stream objects returned by a protected function, run through the pipeline's chunk filters.

The same event handling the proxy uses for the wire format is applied to the SDK's parsed
events (dumped to dicts and validated back), so a protected function that returns
`client.chat.completions.create(..., stream=True)` or an Anthropic event stream gives its caller
the same kind of stream, checked, restored and, if need be, ended early with the explanation.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from guard.errors import UpstreamError
from guard.proxy.anthropic_messages import AnthropicRelay
from guard.proxy.openai_chat import _as_chunk, _content_chunk, _relay_chunk  # the proxy's own chunk handling

if TYPE_CHECKING:
    from guard.core.pipeline import StreamGuard
    from guard.errors import OutputBlocked

__all__ = ["SDKStream", "sdk_stream_kind"]


def sdk_stream_kind(result: Any) -> str | None:
    """"openai" or "anthropic" for an SDK stream object (sync or async), else None."""
    for name in ("openai", "anthropic"):
        sdk = sys.modules.get(name)  # a result from an SDK means the SDK is already imported
        if sdk is not None and isinstance(result, sdk.Stream | sdk.AsyncStream):
            return name
    return None


class SDKStream:
    """Turns one SDK stream item into the items the caller gets; `end()` and `blocked()` finish it."""

    def __init__(self, kind: str, guard_stream: StreamGuard) -> None:
        self.kind = kind
        self.guard_stream = guard_stream
        self.template: dict[str, Any] = {}
        self.done = False
        self.relay = AnthropicRelay(guard_stream) if kind == "anthropic" else None
        self._validate = _validator(kind)

    async def feed(self, item: Any) -> list[Any]:
        data = item.model_dump(exclude_none=True) if hasattr(item, "model_dump") else item
        if self.relay is not None:
            out = await self.relay.on_event(data)
            self.done = self.relay.done
        else:
            out, self.template, done = await _relay_chunk(_as_chunk(data), self.guard_stream, self.template)
            self.done = self.done or done
        return [self._validate(item) for item in out]

    async def end(self) -> list[Any]:
        """The SDK stream is exhausted: release what the filters hold (a stream cut short is an error)."""
        if self.done:
            return []
        if self.relay is not None:
            raise UpstreamError("The model's stream ended before message_stop.")
        tail = await self.guard_stream.finish()
        return [self._validate(_content_chunk(self.template, tail))] if tail else []

    def blocked(self, blocked: OutputBlocked) -> list[Any]:
        if self.relay is not None:
            return [self._validate(item) for item in self.relay.blocked_ending(blocked)]
        final = _content_chunk(self.template, "\n\n" + blocked.decision.explain().user, "content_filter")
        final["guard"] = {"decision": blocked.decision.id, "action": "block"}
        return [self._validate(final)]


def _validator(kind: str) -> Any:
    if kind == "anthropic":
        from anthropic.types import RawMessageStreamEvent
        from pydantic import TypeAdapter

        return TypeAdapter(RawMessageStreamEvent).validate_python
    from openai.types.chat import ChatCompletionChunk

    return ChatCompletionChunk.model_validate
