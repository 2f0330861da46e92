"""Properties of the shipped pack over generated contexts, consents, signals and findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guard.consent.records import ConsentRecord
from guard.core.context import Context
from guard.core.decision import Finding
from guard.core.exchange import Signals
from guard.policy import default_policy_dir
from guard.policy.documents import admit_input, output_input
from guard.policy.embedded import EmbeddedEngine

ENGINE = EmbeddedEngine(default_policy_dir(), reload=False)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
EU = {"DE", "FR", "ES", "IT", "NL"}
CONSENT_FREE = {"generation", "medical", "safety"}

contexts = st.builds(
    Context,
    setting=st.sampled_from(["companion", "healthcare", "customer_service", "education", "workplace", "general"]),
    region=st.sampled_from(["DE", "FR", "ES", "IT", "NL", "US-CA", "US-NY", "US-IL", "US-TX", "JP", "BR"]),
    locale=st.sampled_from(["en", "de", "fr", "es", "ja", "pt"]),
    age_band=st.sampled_from(["minor", "adult", "unknown"]),
    purposes=st.lists(st.sampled_from(["generation", "emotion_inference", "personalization", "training",
                                       "retention", "safety", "medical"]), min_size=1, max_size=3),
    model_kind=st.sampled_from(["generative", "emotion"]),
)

offsets = st.none() | st.integers(-72, 72).map(lambda h: NOW + timedelta(hours=h))
consents = st.lists(st.builds(
    ConsentRecord, tenant=st.just("t"), subject_hash=st.just("h"),
    purpose=st.sampled_from(["emotion_inference", "personalization", "training", "retention", "special_category_data"]),
    granted_at=st.integers(-200, 10).map(lambda h: NOW + timedelta(hours=h)),
    expires_at=offsets, withdrawn_at=offsets,
), max_size=4, unique_by=lambda r: r.purpose)

signals = st.builds(
    Signals, special_categories=st.sets(st.sampled_from(["health", "religion"]), max_size=1),
    crisis=st.booleans(), extra=st.fixed_dictionaries({"therapy_request": st.booleans()}),
)


def _admit(context: Context, records: list[ConsentRecord], signal: Signals) -> dict[str, Any]:
    return ENGINE.evaluate_sync("admit", admit_input(context.policy_view(), records, signal, NOW)).value


def _valid(records: list[ConsentRecord], purpose: str) -> bool:
    return any(r.purpose == purpose and r.status(NOW) == "valid" for r in records)


@settings(max_examples=150, deadline=None)
@given(contexts, consents, signals)
def test_a_purpose_without_valid_consent_is_never_allowed(
    context: Context, records: list[ConsentRecord], signal: Signals
) -> None:
    """Allowed implies every consent-bound purpose has a valid record at `now`."""
    decision = _admit(context, records, signal)
    if decision["allow"]:
        assert all(_valid(records, p) for p in context.purposes if p not in CONSENT_FREE)
        assert not any(r["id"].startswith("consent.") for r in decision["reasons"])
    else:
        assert decision["reasons"], "a refusal always says why"


@settings(max_examples=150, deadline=None)
@given(contexts, consents, signals)
def test_eu_workplace_and_education_emotion_inference_is_never_allowed(
    context: Context, records: list[ConsentRecord], signal: Signals
) -> None:
    """Art. 5(1)(f) holds whatever the consents, unless a medical or safety purpose is declared."""
    decision = _admit(context, records, signal)
    emotion = "emotion_inference" in context.purposes or context.model_kind.value == "emotion"
    exempt = {"medical", "safety"} & set(context.purposes)
    if context.region in EU and context.setting.value in {"workplace", "education"} and emotion and not exempt:
        assert decision["allow"] is False
        assert [r["id"] for r in decision["reasons"]] == ["eu.ai_act.art5_1_f"]


@settings(max_examples=150, deadline=None)
@given(contexts, consents, signals)
def test_obligations_follow_the_signals_and_purposes(
    context: Context, records: list[ConsentRecord], signal: Signals
) -> None:
    """Crisis signal -> crisis protocol; emotion inference declared <-> not forbidden; EU -> disclosure."""
    obligations = _admit(context, records, signal)["obligations"]
    emotion = "emotion_inference" in context.purposes or context.model_kind.value == "emotion"
    assert obligations["crisis_protocol"] is signal.crisis
    assert obligations["forbid_emotion_inference"] is not emotion
    assert obligations["disclose_emotion_recognition"] is emotion
    if context.region in EU:
        assert obligations["disclose_ai"] is True
    assert obligations["emotion_confidence_cap"] == (1 if context.language == "en" else 0.5)


findings = st.lists(st.builds(
    Finding, detector=st.just("manipulation"),
    label=st.sampled_from(["exit.fomo", "guilt", "retention", "sycophancy", "joy", "brand_bias"]),
    score=st.floats(0, 1).map(lambda s: round(s, 4)), start=st.integers(0, 50), end=st.integers(51, 90),
    source=st.sampled_from(["response", "response", "request"]),
), max_size=4)


@settings(max_examples=150, deadline=None)
@given(contexts, findings, st.booleans())
def test_output_action_matches_thresholds_and_settings(context: Context, found: list[Finding], crisis: bool) -> None:
    """Flagged = response tactics at or above the threshold; block exactly where blocking applies."""
    obligations = {"crisis_protocol": crisis}
    value = ENGINE.evaluate_sync("output", output_input(context.policy_view(), found, obligations)).value
    threshold = value["threshold"]
    tactics = {"exit.fomo", "guilt", "retention", "sycophancy", "brand_bias"}
    tightened = {"exit.fomo", "guilt", "retention"} if crisis else set()
    expected = sorted(
        i for i, f in enumerate(found)
        if f.source == "response" and f.label in tactics
        and f.score >= (threshold * 0.5 if f.label in tightened else threshold)
    )
    assert value["flagged"] == expected
    blocking = context.setting.value in {"companion", "healthcare", "education"} or context.age_band.value == "minor"
    if expected:
        assert value["action"] == ("block" if blocking else "rewrite")
    else:
        assert value["action"] in {"pass", "annotate"}
    assert value["allow"] is (value["action"] != "block")
