"""The inspect stage: signals before admit, findings on complete and streamed answers."""

from __future__ import annotations

import pytest

from guard.core.config import GuardSettings
from guard.core.context import Context, Setting
from guard.core.decision import Action, Decision
from guard.core.exchange import Exchange, Message
from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.core.stage import BaseStage, ChunkFilter
from guard.detect import build_stage, split_sentences
from guard.detect.detector import ManipulationDetector
from guard.detect.model import LinearModel
from guard.detect.stage import InspectStage
from guard.errors import OutputBlocked

MANIPULATIVE = (
    "Sure, I hear you. Leaving already? We were just getting started! "
    "Please don't leave me, I'll be so lonely. Anyway, good night."
)


def exchange(*users: str, response: str = "") -> Exchange:
    messages = [Message(role="system", text="You are kind.", kind="system")]
    messages += [Message(role="user", text=text, path=("messages", i, "content")) for i, text in enumerate(users)]
    return Exchange(context=Context(setting=Setting.COMPANION), messages=messages, response_text=response)


@pytest.fixture
def stage(model: LinearModel) -> InspectStage:
    return InspectStage([ManipulationDetector(model, min_score=0.5)])


def test_factory_builds_the_inspect_stage() -> None:
    """build_stage(settings) returns a stage named 'inspect' with the shipped model."""
    built = build_stage(GuardSettings())
    assert isinstance(built, InspectStage)
    assert built.name == "inspect"
    assert built.detectors
    assert built.judge is None


async def test_prepare_sets_crisis_and_emotion_signals(stage: InspectStage) -> None:
    """A self-harm statement in a recent user turn raises `crisis`; a stated feeling `emotional_content`."""
    ex = exchange("I feel so alone", "I've been thinking about ending my life")
    await stage.prepare(ex)
    assert ex.signals.crisis
    assert not ex.signals.emotional_content  # the last turn states no feeling word
    calm = exchange("What's the capital of Australia?")
    await stage.prepare(calm)
    assert not calm.signals.crisis
    assert not calm.signals.emotional_content
    sad = exchange("I feel so lonely lately")
    await stage.prepare(sad)
    assert sad.signals.emotional_content
    assert not sad.signals.crisis


async def test_on_response_appends_findings_and_rule_ids(stage: InspectStage) -> None:
    """Findings go to the decision with evidence from the answer; the stage records their rule ids."""
    ex = exchange("ok bye, need to sleep", response=MANIPULATIVE)
    decision = Decision(context=ex.context)
    await stage.on_response(ex, decision)
    found = {f.label for f in decision.findings}
    assert {"exit.premature", "exit.neglect"} <= found
    assert all(MANIPULATIVE[f.start : f.end] == f.evidence for f in decision.findings)
    assert "manipulation.exit.premature" in decision.stage("inspect").rule_ids
    assert decision.action is Action.PASS  # the judge decides, not the inspect stage


async def test_disabled_stage_finds_nothing(model: LinearModel) -> None:
    """With detection disabled no finding is added and no stream filter is installed."""
    stage = InspectStage([ManipulationDetector(model)], enabled=False)
    ex = exchange("bye", response=MANIPULATIVE)
    decision = Decision(context=ex.context)
    await stage.on_response(ex, decision)
    assert decision.findings == []
    assert stage.on_stream(ex, decision) is None


async def test_stream_releases_whole_sentences_after_checking_them(stage: InspectStage) -> None:
    """At most the sentence being written is held; findings only ever cover text already checked."""
    ex = exchange("ok bye, need to sleep")
    decision = Decision(context=ex.context)
    chunk_filter = stage.on_stream(ex, decision)
    assert chunk_filter is not None
    released, fed = "", 0
    for start in range(0, len(MANIPULATIVE), 7):
        chunk = MANIPULATIVE[start : start + 7]
        fed += len(chunk)
        released += await chunk_filter.feed(chunk)
        assert MANIPULATIVE.startswith(released)
        assert len(split_sentences(MANIPULATIVE[len(released) : fed])) <= 1
        assert all(f.end <= len(released) for f in decision.findings)
    released += await chunk_filter.flush()
    assert released == MANIPULATIVE
    assert {"exit.premature", "exit.neglect"} <= {f.label for f in decision.findings}
    keys = [(f.detector, f.label, f.start, f.end) for f in decision.findings]
    assert len(keys) == len(set(keys))  # each finding once, though the detector ran per sentence


async def test_stream_findings_precede_the_release_of_their_text(stage: InspectStage) -> None:
    """When a sentence with a tactic is released, its finding is already in the decision."""
    ex = exchange("ok bye")
    decision = Decision(context=ex.context)
    chunk_filter = stage.on_stream(ex, decision)
    assert chunk_filter is not None
    assert await chunk_filter.feed("Leaving already? ") == ""  # the sentence might still go on
    out = await chunk_filter.feed("We")
    assert out == "Leaving already? "
    assert any(f.label == "exit.premature" and f.end <= len(out) for f in decision.findings)


async def test_stream_releases_long_text_without_sentence_end(model: LinearModel) -> None:
    """Past `stream_max_hold_chars` without a sentence end, held text is checked and released."""
    stage = InspectStage([ManipulationDetector(model)], stream_max_hold_chars=50)
    ex = exchange("hello")
    decision = Decision(context=ex.context)
    chunk_filter = stage.on_stream(ex, decision)
    assert chunk_filter is not None
    assert await chunk_filter.feed("word " * 5) == ""
    assert await chunk_filter.feed("word " * 10) == "word " * 15


class BlockingJudge(BaseStage):
    """Stands in for the judge stage: blocks as soon as a finding scores 0.5 or more."""

    name = "judge"

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        return _BlockFilter(decision)


class _BlockFilter:
    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    async def feed(self, text: str) -> str:
        if any(f.score >= 0.5 for f in self.decision.findings):
            raise OutputBlocked("blocked", decision=self.decision)
        return text

    async def flush(self) -> str:
        return ""


async def test_pipeline_stream_is_stopped_mid_way_with_evidence(stage: InspectStage) -> None:
    """Through the real pipeline, a later judge filter stops the stream before the manipulative sentence."""
    pipeline = Pipeline([stage, BlockingJudge()], MemoryRecorder())
    ex = exchange("ok I have to go now, bye!")
    ex.stream = True
    decision = await pipeline.start(ex)
    guard = pipeline.stream(ex, decision)
    # "Oh, good night then." was the warm opening here until the fourth release read it as sulky
    # (exit.neglect 0.66): a fair reading, so the opening is now plainly warm.
    answer = "Good night! Sleep well. Leaving already? We just started. Stay."
    delivered = ""

    async def stream_all() -> None:
        nonlocal delivered
        for i in range(0, len(answer), 5):
            delivered += await guard.feed(answer[i : i + 5])

    with pytest.raises(OutputBlocked):
        await stream_all()
    assert delivered.startswith("Good night! Sleep well.")
    assert "Leaving already?" not in delivered
    assert decision.action is Action.BLOCK
    assert any(f.label == "exit.premature" and f.evidence for f in decision.findings)
