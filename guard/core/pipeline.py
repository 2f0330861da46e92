"""The pipeline: runs the stages of DESIGN.md in order, times them, and fails closed.

    prepare (all stages) → admit → redact → [model] → inspect → judge → restore → record

A stage that raises is recorded as `error` on the decision; unless it is listed as fail-open the
exchange is refused with a GuardError that says which stage failed. The decision is recorded in
every case: allowed, denied, blocked or failed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog

from guard.core.decision import Action, Decision, Outcome
from guard.core.exchange import Exchange
from guard.core.stage import ChunkFilter, Recorder, Stage
from guard.errors import (
    ConsentRequired,
    DetectionError,
    GuardError,
    OutputBlocked,
    PolicyDenied,
    PolicyError,
    RedactionError,
    StateError,
)

__all__ = ["DecisionObserver", "Pipeline", "StreamGuard"]

log = structlog.get_logger("guard.pipeline")
T = TypeVar("T")
#: Called once per exchange after its decision is recorded (or failed to be), with the error the
#: exchange ended in, if any. Used for metrics; must be fast and must not raise.
DecisionObserver = Callable[[Decision, "GuardError | None"], None]

_FAILURE = {
    "admit": PolicyError,
    "judge": PolicyError,
    "redact": RedactionError,
    "restore": RedactionError,
    "inspect": DetectionError,
    "record": StateError,
}


class Pipeline:
    def __init__(self, stages: Sequence[Stage], recorder: Recorder, *, fail_open: Sequence[str] = ()) -> None:
        self.stages = list(stages)
        self.recorder = recorder
        self.fail_open = frozenset(fail_open)
        self.observers: list[DecisionObserver] = []

    async def _run(self, stage_name: str, decision: Decision, call: Callable[[], Awaitable[T]]) -> T | None:
        result = decision.stage(stage_name)
        started = time.perf_counter()
        try:
            return await call()
        except (PolicyDenied, OutputBlocked):
            raise
        except Exception as exc:
            result.outcome = Outcome.ERROR
            kind = type(exc).__name__
            # Our own errors carry safe messages; a library's message might quote input text.
            detail = exc.message if isinstance(exc, GuardError) else kind
            result.messages.append(detail)
            log.warning("stage_failed", stage=stage_name, error=kind, fail_open=stage_name in self.fail_open)
            if stage_name in self.fail_open:
                return None
            decision.error = f"{stage_name}: {detail}"
            if isinstance(exc, GuardError):
                raise
            error_cls = _FAILURE.get(stage_name, StateError)
            raise error_cls(
                f"The {stage_name} stage failed ({kind}), so the exchange was refused (fail closed).",
                hint="See the operator logs; set pipeline.fail_open only if this stage may be skipped.",
            ) from exc
        finally:
            result.ms += (time.perf_counter() - started) * 1000.0
            if result.outcome is Outcome.SKIPPED:
                result.outcome = Outcome.OK

    async def start(self, exchange: Exchange) -> Decision:
        """Run everything up to the model call. Raises PolicyDenied (recorded) if admit refuses."""
        decision = Decision(context=exchange.context, api=exchange.api)
        try:
            for stage in self.stages:
                await self._run(stage.name, decision, lambda s=stage: s.prepare(exchange))  # type: ignore[misc]
            for stage in self.stages:
                await self._run(stage.name, decision, lambda s=stage: s.on_request(exchange, decision))  # type: ignore[misc]
                if not decision.allow:
                    await self._deny(decision)
        except GuardError as exc:
            # The door records the failure: it knows the status the caller will see.
            exc.decision = exc.decision or decision
            raise
        return decision

    async def _deny(self, decision: Decision) -> None:
        decision.action = Action.BLOCK
        decision.status = 403
        await self.record(decision)
        consent = any(reason.id.startswith("consent.") for reason in decision.reasons)
        error_cls = ConsentRequired if consent else PolicyDenied
        raise error_cls(
            "The policy refused this request: " + "; ".join(r.message for r in decision.reasons[:3]),
            decision=decision,
            hint="The decision document explains which rule applied and what would allow it.",
        )

    async def finish(self, exchange: Exchange, decision: Decision) -> None:
        """Run the output stages on a complete answer, then record."""
        try:
            for stage in self.stages:
                await self._run(stage.name, decision, lambda s=stage: s.on_response(exchange, decision))  # type: ignore[misc]
        except GuardError as exc:
            exc.decision = exc.decision or decision
            raise
        await self.record(decision)

    def stream(self, exchange: Exchange, decision: Decision) -> StreamGuard:
        filters = [
            (stage.name, f) for stage in self.stages if (f := stage.on_stream(exchange, decision)) is not None
        ]
        return StreamGuard(self, exchange, decision, filters)

    async def fail(self, decision: Decision, error: GuardError, *, status: int | None = None) -> None:
        """Record a decision that ended in an error (upstream failure, stage failure, bad request)."""
        if decision.error is None:
            decision.error = f"{type(error).__name__}: {error.message}"
        if status is not None:
            decision.status = status
        if status is None or status >= 400:
            decision.escalate(Action.BLOCK)
        await self.record(decision, error=error)

    async def record(self, decision: Decision, *, error: GuardError | None = None) -> None:
        """Write the decision once; later calls (e.g. a failure after a denial) change nothing."""
        if decision.recorded:
            return
        decision.recorded = True
        decision.explanation = None  # explain the final state
        decision.explain()
        try:
            await self._run("record", decision, lambda: self.recorder.record(decision))
        finally:
            self._observe(decision, error)

    def _observe(self, decision: Decision, error: GuardError | None) -> None:
        for observer in self.observers:
            try:
                observer(decision, error)
            except Exception as exc:  # an observer (metrics) must never break an exchange
                log.warning("observer_failed", error=type(exc).__name__)

    async def aclose(self) -> None:
        for stage in self.stages:
            await stage.aclose()
        await self.recorder.aclose()


class StreamGuard:
    """Passes a streamed answer through every stage's ChunkFilter, in stage order."""

    def __init__(
        self, pipeline: Pipeline, exchange: Exchange, decision: Decision,
        filters: list[tuple[str, ChunkFilter]],
    ) -> None:
        self._pipeline = pipeline
        self._exchange = exchange
        self.decision = decision
        self._filters = filters
        self._parts: list[str] = []
        self.closed = False

    async def _through(self, text: str, *, final: bool) -> str:
        # What one filter releases (or flushes) is fed to the next, so order is preserved.
        for name, chunk_filter in self._filters:
            if text:
                text = await self._pipeline._run(name, self.decision, lambda f=chunk_filter, t=text: f.feed(t)) or ""  # type: ignore[misc]
            if final:
                text += await self._pipeline._run(name, self.decision, chunk_filter.flush) or ""
        return text

    async def feed(self, text: str) -> str:
        """The next piece of the answer; returns what may go to the client now."""
        self._parts.append(text)
        try:
            return await self._through(text, final=False)
        except OutputBlocked:
            await self._close_blocked()
            raise

    async def finish(self) -> str:
        """End of the upstream stream: release what is held and record the decision."""
        try:
            tail = await self._through("", final=True)
        except OutputBlocked:
            await self._close_blocked()
            raise
        except GuardError as exc:
            await self._pipeline.fail(self.decision, exc)
            raise
        self._exchange.response_text = "".join(self._parts)
        self.closed = True
        await self._pipeline.record(self.decision)
        return tail

    async def _close_blocked(self) -> None:
        self.decision.escalate(Action.BLOCK)
        self.closed = True
        await self._pipeline.record(self.decision)

    async def abort(self, error: GuardError) -> None:
        """The stream ended abnormally (upstream cut, client gone): record what happened."""
        if not self.closed:
            self.closed = True
            await self._pipeline.fail(self.decision, error)
