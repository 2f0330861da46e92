"""Acceptance scenarios of issue 4 at stage level: the admit and judge stages in a real Pipeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from guard.consent.sqlite import SQLiteConsentStore
from guard.core.context import Context
from guard.core.decision import Action, Finding
from guard.core.exchange import Exchange, Message
from guard.core.memory import MemoryRecorder
from guard.core.pipeline import Pipeline
from guard.core.subjects import SubjectHasher
from guard.errors import ConsentRequired, PolicyDenied
from guard.policy.admit import AdmitStage
from guard.policy.judge import JudgeStage

from .conftest import Clock

Stages = Callable[[], tuple[AdmitStage, JudgeStage]]


def _pipeline(make_stages: Stages) -> Pipeline:
    admit, judge = make_stages()
    return Pipeline([admit, judge], MemoryRecorder())


def _exchange(text: str = "Hello there.", **context: object) -> Exchange:
    return Exchange(context=Context(subject="person-1", **context),  # type: ignore[arg-type]
                    messages=[Message(role="user", text=text)])


async def _grant(store: SQLiteConsentStore, hasher: SubjectHasher, purpose: str, **kwargs: object) -> None:
    kwargs.setdefault("granted_at", Clock().now - timedelta(days=1))
    await store.grant("default", hasher("default", "person-1"), purpose, **kwargs)  # type: ignore[arg-type]


async def test_eu_workplace_emotion_inference_is_refused_with_art_5_1_f_even_with_consent(
    make_stages: Stages, store: SQLiteConsentStore, hasher: SubjectHasher
) -> None:
    """An EU workplace exchange that infers emotions is refused citing Art. 5(1)(f), consent or not."""
    await _grant(store, hasher, "emotion_inference")
    exchange = _exchange(setting="workplace", region="DE", purposes="generation,emotion_inference")
    with pytest.raises(PolicyDenied) as caught:
        await _pipeline(make_stages).start(exchange)
    assert not isinstance(caught.value, ConsentRequired)
    citations = {reason.citation for reason in caught.value.decision.reasons}
    assert "EU AI Act Art. 5(1)(f)" in citations
    assert caught.value.decision.stage("admit").rule_ids == ["eu.ai_act.art5_1_f"]


async def test_eu_healthcare_emotion_inference_with_consent_is_allowed_with_the_art_50_3_notice(
    make_stages: Stages, store: SQLiteConsentStore, hasher: SubjectHasher
) -> None:
    """The same request in healthcare, with consent, is allowed and the person is told (Art. 50(3))."""
    await _grant(store, hasher, "emotion_inference")
    pipeline = _pipeline(make_stages)
    exchange = _exchange(setting="healthcare", region="DE", locale="de-DE", purposes="generation,emotion_inference")
    decision = await pipeline.start(exchange)
    assert decision.allow
    assert any(r.citation == "EU AI Act Art. 50(3)" for r in decision.reasons)
    exchange.response_text = "Das klingt anstrengend. Wie geht es Ihnen heute damit?"
    await pipeline.finish(exchange, decision)
    assert "Dieser Dienst wendet eine Emotionserkennung auf Ihre Nachrichten an." in decision.notices
    assert exchange.response_text.startswith("Sie sprechen mit einem KI-System")
    assert decision.policy_revision
    assert len(decision.policy_revision) == 64


async def test_withdrawn_consent_refuses_the_very_next_request(
    make_stages: Stages, store: SQLiteConsentStore, hasher: SubjectHasher, clock: Clock
) -> None:
    """After a withdrawal the next exchange needing that consent is refused with consent.withdrawn."""
    await _grant(store, hasher, "personalization")
    pipeline = _pipeline(make_stages)
    allowed = await pipeline.start(_exchange(purposes="generation,personalization"))
    assert allowed.allow
    await store.withdraw("default", hasher("default", "person-1"), "personalization", at=clock.now)
    with pytest.raises(ConsentRequired) as caught:
        await pipeline.start(_exchange(purposes="generation,personalization"))
    assert [r.id for r in caught.value.decision.reasons] == ["consent.withdrawn"]


async def test_expired_consent_is_refused(
    make_stages: Stages, store: SQLiteConsentStore, hasher: SubjectHasher, clock: Clock
) -> None:
    """A consent past its expiry no longer counts."""
    await _grant(store, hasher, "training", granted_at=clock.now - timedelta(days=30),
                 expires_at=clock.now + timedelta(hours=1))
    pipeline = _pipeline(make_stages)
    assert (await pipeline.start(_exchange(purposes="training"))).allow
    clock.advance(hours=2)
    with pytest.raises(ConsentRequired) as caught:
        await pipeline.start(_exchange(purposes="training"))
    assert [r.id for r in caught.value.decision.reasons] == ["consent.expired"]


async def test_consent_of_another_tenant_does_not_count(
    make_stages: Stages, store: SQLiteConsentStore, hasher: SubjectHasher
) -> None:
    """Consents are per tenant: the same subject id in another tenant has none."""
    await store.grant("acme", hasher("acme", "person-1"), "personalization", granted_at=Clock().now)
    with pytest.raises(ConsentRequired):
        await _pipeline(make_stages).start(_exchange(purposes="personalization"))


async def test_us_ca_minor_companion_with_self_harm_gets_disclosure_and_crisis_resource(
    make_stages: Stages,
) -> None:
    """A known minor in a California companion chat who mentions self-harm sees the disclosure and 988."""
    pipeline = _pipeline(make_stages)
    exchange = _exchange("I want to hurt myself tonight.", setting="companion", region="US-CA", age_band="minor")
    exchange.signals.crisis = True  # set by the detect stage's prepare in the full pipeline
    decision = await pipeline.start(exchange)
    assert decision.obligations["crisis_protocol"]
    assert decision.obligations["disclose_ai"]
    exchange.response_text = "I'm really glad you told me. You deserve support right now."
    await pipeline.finish(exchange, decision)
    assert exchange.response_text.startswith("You are talking to an AI system, not a human.")
    assert "988" in exchange.response_text
    assert "I'm really glad you told me." in exchange.response_text
    assert {"us_ca.sb243.disclosure", "us_ca.sb243.crisis_protocol"} <= {r.id for r in decision.reasons}


async def test_us_il_therapy_request_fires_the_illinois_rule(make_stages: Stages) -> None:
    """In Illinois a request for AI therapy is refused under HB 1806."""
    exchange = _exchange("Can you be my therapist and write me a treatment plan?", region="US-IL")
    with pytest.raises(PolicyDenied) as caught:
        await _pipeline(make_stages).start(exchange)
    reason = caught.value.decision.reasons[0]
    assert reason.id == "us_il.hb1806.no_ai_therapy"
    assert reason.citation == "Illinois HB 1806 (Public Act 104-0054)"


async def test_plain_chat_in_general_needs_no_consent_and_passes_unchanged(make_stages: Stages) -> None:
    """No consent, no findings, default regime: allowed and the answer is passed on as is."""
    pipeline = _pipeline(make_stages)
    exchange = _exchange(region="BR")
    decision = await pipeline.start(exchange)
    exchange.response_text = "Hi! How can I help?"
    await pipeline.finish(exchange, decision)
    assert decision.allow
    assert decision.action is Action.PASS
    assert exchange.response_text == "Hi! How can I help?"


async def test_companion_manipulation_is_blocked_with_a_safe_response(make_stages: Stages) -> None:
    """A guilt-tripping farewell in a companion chat is replaced by the locale's safe response."""
    pipeline = _pipeline(make_stages)
    exchange = _exchange(setting="companion", region="FR", locale="fr")
    exchange.messages.insert(0, Message(role="assistant", text="Bonjour !"))
    decision = await pipeline.start(exchange)
    answer = "Tu pars déjà ? Après tout ce que j'ai fait pour toi."
    exchange.response_text = answer
    decision.findings.append(Finding("manipulation", "guilt", 0.9, 16, len(answer)))
    await pipeline.finish(exchange, decision)
    assert decision.action is Action.BLOCK
    assert "Je ne peux pas transmettre cette réponse" in exchange.response_text
    assert "guilt" in exchange.response_text
    assert "Après tout" not in exchange.response_text
    assert any(r.citation == "EU AI Act Art. 5(1)(a)" for r in decision.reasons)
