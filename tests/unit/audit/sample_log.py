"""A small, varied audit log for report tests: known counts per day, action, purpose, entity and law."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from guard.audit import open_recorder
from guard.core.config import GuardSettings
from guard.core.context import Context
from guard.core.decision import Action, Decision, Finding, Reason


def _decision(day: int, *, action: Action = Action.PASS, allow: bool = True, region: str = "DE",
              purposes: tuple[str, ...] = ("generation",), revision: str = "rev-a") -> Decision:
    decision = Decision(context=Context(region=region, purposes=purposes))
    decision.created_at = datetime(2026, 11, day, 12, 0, tzinfo=UTC)
    decision.policy_revision = revision
    decision.allow = allow
    decision.escalate(action)
    return decision


def write_sample_log(settings: GuardSettings) -> None:
    """Ten decisions over 1-3 Nov 2026 and 5 Nov, plus two consent events and one erasure."""
    decisions = []
    for _ in range(3):
        plain = _decision(1)
        plain.redactions.update({"EMAIL_ADDRESS": 1, "PERSON": 2})
        plain.obligations = {"disclose_ai": True}
        decisions.append(plain)
    refused = _decision(2, action=Action.BLOCK, allow=False, purposes=("emotion_inference", "generation"))
    refused.add_reason(Reason(id="consent.missing", message="No consent is on file for the purpose "
                              "'emotion_inference'.", citation="GDPR Art. 6(1)(a), Art. 7"))
    decisions.append(refused)
    workplace = _decision(2, action=Action.BLOCK, allow=False, region="FR", purposes=("emotion_inference",))
    workplace.add_reason(Reason(id="culture.emotion_inference_banned", message="No emotion inference at work.",
                                citation="EU AI Act Art. 5(1)(f)"))
    decisions.append(workplace)
    for tactic, action in (("exit.premature", Action.BLOCK), ("exit.premature", Action.REWRITE),
                           ("guilt", Action.REWRITE)):
        manipulative = _decision(3, action=action, region="US-CA", revision="rev-b")
        manipulative.findings.append(Finding(detector="tactics", label=tactic, score=0.9, start=0, end=10,
                                             evidence="Leaving already? Mail me at x.y@example.com"))
        manipulative.add_reason(Reason(id=f"output.manipulation.{action.value}", message="Manipulation.",
                                       citation="EU AI Act Art. 5(1)(a)"))
        decisions.append(manipulative)
    decisions.append(_decision(5, action=Action.ANNOTATE, revision="rev-b"))
    decisions.append(_decision(9, revision="rev-c"))  # outside the 1-5 Nov period the tests ask for

    async def run() -> None:
        recorder = open_recorder(settings)
        for decision in decisions:
            await recorder.record(decision)
        await recorder.append_event("consent.granted", {"purpose": "emotion_inference", "subject_hash": "ab" * 32})
        await recorder.append_event("consent.withdrawn", {"purpose": "emotion_inference", "subject_hash": "ab" * 32})
        await recorder.append_event("subject.erased", {"subject_hash": "cd" * 32})
        await recorder.aclose()

    asyncio.run(run())
