"""The contract every pipeline stage keeps.

A stage is a small object with a `name` and up to four hooks. The pipeline owns ordering, timing
and failure mode; a stage only reads and changes the Exchange and adds to the Decision.

- `prepare(exchange)`: before any policy runs, add input facts to `exchange.signals`
  (e.g. the PII types present, a self-harm signal). Must not change the messages.
- `on_request(exchange, decision)`: on the way to the model (admit, redact).
- `on_response(exchange, decision)`: on the complete answer (inspect, judge, restore).
- `on_stream(exchange, decision)`: a `ChunkFilter` for streamed answers, or None.

Stages that need none of a hook inherit the no-op from `BaseStage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from guard.core.decision import Decision
    from guard.core.exchange import Exchange

__all__ = ["STAGE_ORDER", "BaseStage", "ChunkFilter", "Recorder", "Stage"]

STAGE_ORDER = ("admit", "redact", "inspect", "judge", "restore", "record")


@runtime_checkable
class ChunkFilter(Protocol):
    """Sees a streamed answer piece by piece.

    `feed` takes the next text and returns what may be released to the client now (possibly
    less, holding back a small look-behind window; possibly changed). `flush` is called once at
    the end and returns whatever is still held. Either may raise `guard.errors.OutputBlocked`
    to end the stream.
    """

    async def feed(self, text: str) -> str: ...

    async def flush(self) -> str: ...


@runtime_checkable
class Stage(Protocol):
    name: str

    async def prepare(self, exchange: Exchange) -> None: ...

    async def on_request(self, exchange: Exchange, decision: Decision) -> None: ...

    async def on_response(self, exchange: Exchange, decision: Decision) -> None: ...

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None: ...

    async def aclose(self) -> None: ...


class BaseStage:
    """No-op hooks, so a stage implements only what it needs."""

    name = "stage"

    async def prepare(self, exchange: Exchange) -> None:
        return None

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        return None

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        return None

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        return None

    async def aclose(self) -> None:
        return None


@runtime_checkable
class Recorder(Protocol):
    """The record stage: persists the finished decision (signed audit record) and serves it back."""

    async def record(self, decision: Decision) -> None: ...

    async def get(self, decision_id: str, *, tenant: str | None = None) -> dict[str, object] | None: ...

    async def aclose(self) -> None: ...
