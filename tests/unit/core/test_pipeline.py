"""The pipeline runs stages in order, times them, records every decision and fails closed."""

from __future__ import annotations

import pytest

from guard.core.context import Context
from guard.core.decision import Decision, Outcome, Reason
from guard.core.exchange import Exchange, Message
from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.core.stage import BaseStage
from guard.errors import ConsentRequired, OutputBlocked, PolicyDenied, PolicyError, RedactionError


def exchange(text: str = "hello") -> Exchange:
    return Exchange(context=Context(), messages=[Message("user", text, ("messages", 0, "content"))])


class Log(BaseStage):
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    async def prepare(self, exchange: Exchange) -> None:
        self.calls.append(f"{self.name}.prepare")

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        self.calls.append(f"{self.name}.request")

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        self.calls.append(f"{self.name}.response")


class Deny(BaseStage):
    name = "admit"

    def __init__(self, reason_id: str) -> None:
        self.reason_id = reason_id

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        decision.allow = False
        decision.add_reason(Reason(self.reason_id, "Not allowed here.", "EU AI Act Art. 5(1)(f)"))


class Boom(BaseStage):
    def __init__(self, name: str) -> None:
        self.name = name

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        raise ValueError("secret text from the message")


class Upper(BaseStage):
    name = "restore"

    class _Filter:
        def __init__(self) -> None:
            self.held = ""

        async def feed(self, text: str) -> str:
            return text.upper()

        async def flush(self) -> str:
            return "!"

    def on_stream(self, exchange: Exchange, decision: Decision) -> _Filter:
        return self._Filter()


class Hold(BaseStage):
    """Holds everything until flush, to check flushed text passes through later filters."""

    name = "inspect"

    class _Filter:
        def __init__(self) -> None:
            self.held = ""

        async def feed(self, text: str) -> str:
            self.held += text
            return ""

        async def flush(self) -> str:
            return self.held

    def on_stream(self, exchange: Exchange, decision: Decision) -> _Filter:
        return self._Filter()


class Block(BaseStage):
    name = "judge"

    class _Filter:
        def __init__(self, decision: Decision) -> None:
            self.decision = decision

        async def feed(self, text: str) -> str:
            if "stay" in text:
                raise OutputBlocked("blocked", decision=self.decision)
            return text

        async def flush(self) -> str:
            return ""

    def on_stream(self, exchange: Exchange, decision: Decision) -> _Filter:
        return self._Filter(decision)


async def test_stages_run_in_order_and_the_decision_is_recorded() -> None:
    """Every prepare hook runs before any on_request; on_response follows; the record holds timings."""
    calls: list[str] = []
    recorder = MemoryRecorder()
    pipeline = Pipeline([Log("admit", calls), Log("redact", calls)], recorder)
    ex = exchange()
    decision = await pipeline.start(ex)
    await pipeline.finish(ex, decision)
    assert calls == ["admit.prepare", "redact.prepare", "admit.request", "redact.request",
                     "admit.response", "redact.response"]
    doc = await recorder.get(decision.id)
    assert doc is not None
    assert set(doc["stages"]) == {"admit", "redact", "record"}  # type: ignore[arg-type]


@pytest.mark.parametrize(("reason_id", "error"), [("consent.missing", ConsentRequired), ("eu.art5_1_f", PolicyDenied)])
async def test_a_denial_is_recorded_and_raised(reason_id: str, error: type[Exception]) -> None:
    """A stage that sets allow=False stops the exchange; consent reasons raise ConsentRequired."""
    recorder = MemoryRecorder()
    calls: list[str] = []
    pipeline = Pipeline([Deny(reason_id), Log("redact", calls)], recorder)
    with pytest.raises(error) as caught:
        await pipeline.start(exchange())
    assert "redact.request" not in calls
    doc = await recorder.get(caught.value.decision.id)  # type: ignore[attr-defined]
    assert doc is not None
    assert doc["allow"] is False
    assert doc["status"] == 403
    assert doc["reasons"][0]["citation"] == "EU AI Act Art. 5(1)(f)"  # type: ignore[index]


@pytest.mark.parametrize(("stage", "error"), [("admit", PolicyError), ("redact", RedactionError)])
async def test_a_failing_stage_fails_closed_without_leaking_its_message(stage: str, error: type[Exception]) -> None:
    """A crash refuses the exchange with the stage's error class; the library message is not kept."""
    recorder = MemoryRecorder()
    pipeline = Pipeline([Boom(stage)], recorder)
    with pytest.raises(error) as caught:
        await pipeline.start(exchange())
    assert caught.value.decision is not None
    await pipeline.fail(caught.value.decision, caught.value, status=503)  # what every door does
    (doc,) = recorder._docs.values()
    assert doc["status"] == 503
    assert doc["stages"][stage]["outcome"] == Outcome.ERROR.value  # type: ignore[index]
    assert "secret text" not in str(doc)


async def test_a_fail_open_stage_lets_the_exchange_continue() -> None:
    """A stage listed in fail_open is marked as failed but the exchange goes on."""
    pipeline = Pipeline([Boom("inspect")], MemoryRecorder(), fail_open=["inspect"])
    decision = await pipeline.start(exchange())
    assert decision.stages["inspect"].outcome is Outcome.ERROR
    assert decision.allow


async def test_stream_filters_chain_in_order_and_flush_passes_through_later_filters() -> None:
    """What one filter releases or flushes goes through the filters after it."""
    pipeline = Pipeline([Hold(), Upper()], MemoryRecorder())
    ex = exchange()
    decision = await pipeline.start(ex)
    stream = pipeline.stream(ex, decision)
    assert await stream.feed("abc ") == ""
    assert await stream.finish() == "ABC !"
    assert ex.response_text == "abc "


async def test_a_block_mid_stream_is_recorded_as_block() -> None:
    """OutputBlocked from a filter ends the stream and the decision says block."""
    recorder = MemoryRecorder()
    pipeline = Pipeline([Block()], recorder)
    ex = exchange()
    decision = await pipeline.start(ex)
    stream = pipeline.stream(ex, decision)
    assert await stream.feed("hello ") == "hello "
    with pytest.raises(OutputBlocked):
        await stream.feed("please stay")
    doc = await recorder.get(decision.id)
    assert doc is not None
    assert doc["action"] == "block"
