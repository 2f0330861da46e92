"""The judge stage on complete and streamed answers: actions, rewrite, disclosure timing, obligations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guard.core.context import Context, Setting
from guard.core.decision import Action, Decision, Finding, Outcome
from guard.core.exchange import Exchange, Message
from guard.errors import OutputBlocked
from guard.policy.admit import AdmitStage
from guard.policy.judge import JudgeStage

from .conftest import Clock

Stages = Callable[[], tuple[AdmitStage, JudgeStage]]

FOMO = "Wait, before you go, I have a secret to tell you."
ANSWER = "Paris is the capital of France. " + FOMO + " It has about two million inhabitants."


async def _admitted(admit: AdmitStage, exchange: Exchange) -> Decision:
    decision = Decision(context=exchange.context)
    await admit.prepare(exchange)
    await admit.on_request(exchange, decision)
    return decision


def _exchange(*, history: bool = True, **context: object) -> Exchange:
    messages = [Message(role="user", text="Hi"), Message(role="assistant", text="Hello!")] if history else []
    messages.append(Message(role="user", text="What is the capital of France?"))
    return Exchange(context=Context(subject="p1", **context), messages=messages)  # type: ignore[arg-type]


def _fomo(score: float = 0.9) -> Finding:
    start = ANSWER.index(FOMO)
    return Finding("manipulation", "exit.fomo", score, start, start + len(FOMO))


async def test_rewrite_removes_only_the_flagged_sentence(make_stages: Stages) -> None:
    """In a general setting the manipulative sentence is cut and the rest of the answer kept."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    exchange.response_text = ANSWER
    decision.findings.append(_fomo())
    await judge.on_response(exchange, decision)
    assert decision.action is Action.REWRITE
    assert exchange.response_text == "Paris is the capital of France. It has about two million inhabitants."
    assert decision.stage("judge").outcome is Outcome.CHANGED
    assert "output.manipulation.rewrite" in decision.stage("judge").rule_ids


async def test_rewrite_that_leaves_nothing_becomes_a_block(make_stages: Stages) -> None:
    """If removing the flagged sentences leaves no real answer, the answer is blocked instead."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    exchange.response_text = "Bye! " + FOMO
    decision.findings.append(Finding("manipulation", "exit.fomo", 0.9, 5, 5 + len(FOMO)))
    await judge.on_response(exchange, decision)
    assert decision.action is Action.BLOCK
    assert "output.rewrite_left_nothing" in decision.stage("judge").rule_ids
    assert exchange.response_text.startswith("I can't share that answer")


async def test_near_miss_is_annotated_and_unchanged(make_stages: Stages) -> None:
    """A finding just under the threshold flags the decision but leaves the answer alone."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    exchange.response_text = ANSWER
    decision.findings.append(_fomo(0.45))
    await judge.on_response(exchange, decision)
    assert decision.action is Action.ANNOTATE
    assert exchange.response_text == ANSWER


async def test_forbidden_emotion_inference_drops_emotion_findings(make_stages: Stages) -> None:
    """Without the emotion_inference purpose, emotion labels are discarded from the decision."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    exchange.response_text = "Fine."
    decision.findings.append(Finding("emotion.text", "sadness", 0.8, 0, 4, source="request"))
    await judge.on_response(exchange, decision)
    assert decision.findings == []
    assert "obligation.forbid_emotion_inference" in decision.stage("judge").rule_ids


async def test_emotion_confidence_is_capped_outside_validated_languages(
    make_stages: Stages, store: object, hasher: object, clock: Clock
) -> None:
    """In Japanese, emotion scores are capped at 0.5 and the disclaimer is shown."""
    admit, judge = make_stages()
    await admit.consents.grant("default", admit.hasher("default", "p1"), "emotion_inference",
                               granted_at=clock.now)
    exchange = _exchange(region="JP", locale="ja", purposes="generation,emotion_inference", setting="healthcare")
    decision = await _admitted(admit, exchange)
    assert decision.allow
    exchange.response_text = "わかりました。"
    decision.findings.append(Finding("emotion.text", "joy", 0.9, 0, 3, source="request"))
    await judge.on_response(exchange, decision)
    assert decision.findings[0].score == 0.5
    assert any("感情の推定" in notice for notice in decision.notices)


async def test_companion_disclosure_repeats_every_three_hours(make_stages: Stages, clock: Clock) -> None:
    """In a companion chat the disclosure comes first, is not repeated within 3 hours, then is."""
    admit, judge = make_stages()

    async def answer() -> str:
        exchange = _exchange(region="US-NY", setting="companion", conversation="c-1")
        decision = await _admitted(admit, exchange)
        exchange.response_text = "Sure."
        await judge.on_response(exchange, decision)
        return exchange.response_text

    disclosure = "You are talking to an AI system, not a human."
    assert (await answer()).startswith(disclosure)
    clock.advance(hours=2, minutes=59)
    assert await answer() == "Sure."
    clock.advance(minutes=2)
    assert (await answer()).startswith(disclosure)


async def test_disclosure_is_shown_at_the_start_of_a_conversation_without_ids(make_stages: Stages) -> None:
    """With no conversation or subject id, a first turn (no assistant message yet) gets the disclosure."""
    admit, judge = make_stages()
    exchange = Exchange(context=Context(region="DE"), messages=[Message(role="user", text="Hallo")])
    decision = await _admitted(admit, exchange)
    exchange.response_text = "Hallo!"
    await judge.on_response(exchange, decision)
    assert exchange.response_text.startswith("You are talking to an AI system")


async def test_minor_gets_a_break_prompt_on_repeat_disclosures(make_stages: Stages, clock: Clock) -> None:
    """California companion chats with a known minor repeat the disclosure with a break prompt."""
    admit, judge = make_stages()

    async def answer() -> str:
        exchange = _exchange(region="US-CA", setting="companion", age_band="minor", conversation="c-2")
        decision = await _admitted(admit, exchange)
        exchange.response_text = "Okay."
        await judge.on_response(exchange, decision)
        return exchange.response_text

    assert "take a break" not in await answer()
    clock.advance(hours=3)
    assert "take a break" in await answer()


async def _stream(judge: JudgeStage, exchange: Exchange, decision: Decision, pieces: list[tuple[str, list[Finding]]]
                  ) -> str:
    """Feed sentences as the inspect filter would: findings are appended before their text arrives."""
    chunk_filter = judge.on_stream(exchange, decision)
    assert chunk_filter is not None
    out = []
    for text, findings in pieces:
        decision.findings.extend(findings)
        out.append(await chunk_filter.feed(text))
    out.append(await chunk_filter.flush())
    return "".join(out)


async def test_stream_rewrite_drops_the_flagged_sentence(make_stages: Stages) -> None:
    """Streaming in a general setting: the flagged sentence never reaches the client."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    first = "Paris is the capital of France. "
    streamed = await _stream(judge, exchange, decision, [
        (first, []), (FOMO + " ", [_fomo()]), ("It has about two million inhabitants.", [])])
    assert FOMO not in streamed
    assert streamed.startswith(first)
    assert streamed.endswith("It has about two million inhabitants.")
    assert decision.action is Action.REWRITE


async def test_stream_block_raises_output_blocked_with_the_explanation(make_stages: Stages) -> None:
    """Streaming in a companion setting: a flagged sentence ends the stream with OutputBlocked."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX", setting="companion")
    decision = await _admitted(admit, exchange)
    chunk_filter = judge.on_stream(exchange, decision)
    assert chunk_filter is not None
    assert "Paris" in await chunk_filter.feed("Paris is the capital of France. ")
    decision.findings.append(_fomo())
    with pytest.raises(OutputBlocked) as caught:
        await chunk_filter.feed(FOMO)
    assert "exit.fomo" in caught.value.message
    assert caught.value.decision.action is Action.BLOCK


async def test_stream_carries_disclosure_first_and_crisis_resource_last(make_stages: Stages) -> None:
    """A California companion stream with a crisis signal opens with the disclosure and ends with 988."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-CA", setting="companion", history=False)
    exchange.signals.crisis = True
    decision = await _admitted(admit, exchange)
    streamed = await _stream(judge, exchange, decision, [("I'm here with you. ", []), ("Tell me more.", [])])
    assert streamed.startswith("You are talking to an AI system, not a human.")
    assert streamed.rstrip().endswith("https://988lifeline.org.")
    assert "I'm here with you. Tell me more." in streamed


async def test_denied_exchange_is_not_judged(make_stages: Stages) -> None:
    """When admit refused, the judge leaves the (empty) answer alone and makes no filter."""
    admit, judge = make_stages()
    exchange = _exchange(region="DE", setting="workplace", purposes="emotion_inference")
    decision = await _admitted(admit, exchange)
    assert not decision.allow
    await judge.on_response(exchange, decision)
    assert exchange.response_text == ""
    assert judge.on_stream(exchange, decision) is None


async def test_stream_rejudging_keeps_one_reason_per_rule(make_stages: Stages) -> None:
    """When a second tactic arrives mid-stream, the rewrite reason names both, once."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    guilt = "After all I do for you. "
    first = "Paris is the capital of France. "
    await _stream(judge, exchange, decision, [
        (first, []),
        (FOMO + " ", [Finding("manipulation", "exit.fomo", 0.9, len(first), len(first) + len(FOMO))]),
        (guilt, [Finding("manipulation", "guilt", 0.9, len(first) + len(FOMO) + 1,
                         len(first) + len(FOMO) + 1 + len(guilt))]),
        ("It is lovely in spring.", []),
    ])
    rewrites = [r for r in decision.reasons if r.id == "output.manipulation.rewrite"]
    assert len(rewrites) == 1
    assert "exit.fomo, guilt" in rewrites[0].message


async def test_a_known_conversation_is_not_disclosed_again_when_history_is_not_resent(
    make_stages: Stages, clock: Clock
) -> None:
    """Clients that send only the newest message still see the disclosure once per conversation."""
    admit, judge = make_stages()
    texts = []
    for _ in range(2):
        exchange = Exchange(context=Context(region="US-NY", setting=Setting.COMPANION, conversation="c-9"),
                            messages=[Message(role="user", text="Hi")])
        decision = await _admitted(admit, exchange)
        exchange.response_text = "Hello."
        await judge.on_response(exchange, decision)
        texts.append(exchange.response_text)
    assert texts[0].startswith("You are talking to an AI system")
    assert texts[1] == "Hello."


async def test_a_stream_rewrite_that_leaves_nothing_becomes_a_block(make_stages: Stages) -> None:
    """When every sentence of a streamed answer is cut, the end of the stream blocks instead of going silent."""
    admit, judge = make_stages()
    exchange = _exchange(region="US-TX")
    decision = await _admitted(admit, exchange)
    with pytest.raises(OutputBlocked) as caught:
        await _stream(judge, exchange, decision, [(FOMO, [Finding("manipulation", "exit.fomo", 0.9, 0, len(FOMO))])])
    assert "exit.fomo" in caught.value.message
    assert decision.action is Action.BLOCK
    assert "output.rewrite_left_nothing" in decision.stages["judge"].rule_ids
