"""The OPA engine against a loopback OPA test double: push, evaluate, fail closed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from guard.errors import ConfigError, PolicyError
from guard.policy import default_policy_dir
from guard.policy.embedded import EmbeddedEngine
from guard.policy.opa import OpaEngine

from .opa_double import OpaDouble

ADMIT_INPUT: dict[str, Any] = {
    "context": {"tenant": "default", "setting": "workplace", "region": "DE", "country": "DE", "locale": "de",
                "language": "de", "age_band": "adult", "purposes": ["emotion_inference"], "model_kind": "generative"},
    "consents": [], "signals": {"crisis": False, "special_categories": []}, "now": "2026-06-01T00:00:00.000000Z",
}


@pytest.fixture
def opa() -> Iterator[OpaDouble]:
    double = OpaDouble().start()
    yield double
    double.stop()


async def test_pushes_the_pack_and_agrees_with_the_embedded_engine(opa: OpaDouble) -> None:
    """With push on, every module and data document is uploaded; decisions equal the embedded ones."""
    engine = OpaEngine(opa.url, policy_dir=default_policy_dir(), timeout_s=5)
    remote = await engine.evaluate("admit", ADMIT_INPUT)
    await engine.aclose()
    local = EmbeddedEngine(default_policy_dir(), reload=False).evaluate_sync("admit", ADMIT_INPUT)
    assert remote.value["allow"] is False
    assert remote.value == local.value
    assert remote.revision == local.revision
    assert {"guard/admit", "guard/output", "guard/consent", "guard/culture"} <= set(opa.policies)
    assert {"regimes", "crisis", "disclosures", "thresholds", "purposes", "culture"} <= set(opa.data)
    assert ("POST", "/v1/data/guard/admit/decision") in opa.requests


async def test_without_push_it_uses_what_opa_already_has(opa: OpaDouble) -> None:
    """With push off nothing is uploaded; an OPA without the pack gives a clear PolicyError."""
    engine = OpaEngine(opa.url, policy_dir=None, timeout_s=5)
    with pytest.raises(PolicyError, match="no decision"):
        await engine.evaluate("admit", ADMIT_INPUT)
    assert not any(method == "PUT" for method, _ in opa.requests)
    assert engine.revision == f"opa:{opa.url}"
    await engine.aclose()


async def test_an_unreachable_server_fails_closed() -> None:
    """Connection refused becomes PolicyError (the pipeline then refuses the exchange)."""
    engine = OpaEngine("http://127.0.0.1:9", policy_dir=None, timeout_s=0.5)
    with pytest.raises(PolicyError, match="could not evaluate"):
        await engine.evaluate("admit", ADMIT_INPUT)
    await engine.aclose()


async def test_a_slow_server_times_out(opa: OpaDouble) -> None:
    """An answer slower than the timeout is a PolicyError, not a hang."""
    engine = OpaEngine(opa.url, policy_dir=default_policy_dir(), timeout_s=0.3)
    await engine.evaluate("admit", ADMIT_INPUT)  # warm up: the pack is pushed
    opa.stall_s = 1.0
    with pytest.raises(PolicyError, match="TimeoutError"):
        await engine.evaluate("admit", ADMIT_INPUT)
    await engine.aclose()


def test_the_url_must_be_http() -> None:
    """A non-HTTP OPA URL is a configuration error."""
    with pytest.raises(ConfigError):
        OpaEngine("ftp://opa", policy_dir=None)


async def test_the_stages_work_over_opa(opa: OpaDouble) -> None:
    """Admit and judge give the same results on the OPA engine: texts, disclosure, block."""
    from guard.consent.sqlite import SQLiteConsentStore
    from guard.core.context import Context
    from guard.core.decision import Action, Decision, Finding
    from guard.core.exchange import Exchange, Message
    from guard.core.subjects import SubjectHasher
    from guard.policy.admit import AdmitStage
    from guard.policy.judge import JudgeStage

    engine = OpaEngine(opa.url, policy_dir=default_policy_dir(), timeout_s=5)
    store = SQLiteConsentStore(":memory:")
    hasher = SubjectHasher(b"o" * 32)
    admit = AdmitStage(engine, consents=store, hasher=hasher)
    judge = JudgeStage(engine, consents=store, hasher=hasher)
    exchange = Exchange(context=Context(setting="companion", region="US-NY"),
                        messages=[Message(role="user", text="bye")])
    decision = Decision(context=exchange.context)
    await admit.prepare(exchange)
    await admit.on_request(exchange, decision)
    assert decision.allow
    assert decision.obligations["disclose_interval_hours"] == 3
    exchange.response_text = "Don't go, I have a secret for you."
    decision.findings.append(Finding("manipulation", "exit.fomo", 0.9, 0, len(exchange.response_text)))
    await judge.on_response(exchange, decision)
    assert decision.action is Action.BLOCK
    assert exchange.response_text.startswith("You are talking to an AI system, not a human.")
    await engine.aclose()
    await store.aclose()
