"""Obligations from the admit policy that the judge carries out on the answer.

- `disclose_ai`: the locale's AI disclosure goes before the answer at the start of a
  conversation and again after `disclose_interval_hours` (3 in companion settings); known minors
  under `break_reminder` also get the break prompt on each repeat.
- `disclose_emotion_recognition`: the locale's notice goes into `decision.notices`.
- `forbid_emotion_inference`: emotion findings (detector name starting with `emotion`) are dropped.
- `emotion_confidence_cap`: emotion findings' scores are capped (cultural validity), with a notice.
- `crisis_protocol`: the answer ends with the region's crisis resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from guard.core.decision import Reason

if TYPE_CHECKING:
    from guard.consent.store import ConsentStore
    from guard.core.decision import Decision
    from guard.core.exchange import Exchange
    from guard.core.subjects import SubjectHasher

__all__ = ["DisclosureClock", "apply_emotion_obligations", "crisis_suffix"]

_EMOTION_PREFIX = "emotion"


def _is_emotion(detector: str) -> bool:
    return detector.startswith(_EMOTION_PREFIX)


def apply_emotion_obligations(decision: Decision, texts: dict[str, str]) -> list[str]:
    """Drop or cap emotion findings as obliged; the rule ids that applied."""
    obligations = decision.obligations
    fired: list[str] = []
    if obligations.get("forbid_emotion_inference") and any(_is_emotion(f.detector) for f in decision.findings):
        decision.findings = [f for f in decision.findings if not _is_emotion(f.detector)]
        decision.add_reason(Reason("obligation.forbid_emotion_inference",
                                   "Emotion labels were discarded: emotion inference was not permitted here."))
        fired.append("obligation.forbid_emotion_inference")
    cap = obligations.get("emotion_confidence_cap")
    if isinstance(cap, int | float) and cap < 1:
        capped = [replace(f, score=float(cap)) if _is_emotion(f.detector) and f.score > cap else f
                  for f in decision.findings]
        if capped != decision.findings:
            decision.findings = capped
            _notice(decision, texts.get("emotion_locale_disclaimer"))
            fired.append("obligation.emotion_confidence_cap")
    if obligations.get("disclose_emotion_recognition"):
        _notice(decision, texts.get("emotion_notice"))
        fired.append("obligation.disclose_emotion_recognition")
    return fired


def _notice(decision: Decision, text: str | None) -> None:
    if text and text not in decision.notices:
        decision.notices.append(text)


def crisis_suffix(decision: Decision, texts: dict[str, str]) -> str:
    if decision.obligations.get("crisis_protocol") and texts.get("crisis"):
        return "\n\n" + texts["crisis"]
    return ""


class DisclosureClock:
    """Decides whether the AI disclosure is due, and remembers when it was shown.

    The conversation is identified by a keyed hash of the conversation id, else of the subject
    (one timer per person); then the disclosure is due when it was never shown or the interval has
    passed. Without either id, only a first turn (no earlier assistant message) counts as the start
    of a conversation.
    """

    def __init__(self, store: ConsentStore, hasher: SubjectHasher, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.hasher = hasher
        self.clock = clock

    def _key(self, exchange: Exchange) -> str | None:
        context = exchange.context
        if context.conversation is not None:
            return self.hasher(context.tenant, "conversation\x00" + context.conversation)
        if context.subject is not None:
            return self.hasher(context.tenant, "subject-conversations\x00" + context.subject)
        return None

    async def prefix(self, exchange: Exchange, decision: Decision, texts: dict[str, Any]) -> str:
        """The disclosure text to put before the answer now ("" if none is due); marks it shown."""
        obligations = decision.obligations
        if not obligations.get("disclose_ai"):
            return ""
        now = self.clock()
        fresh = not any(message.role == "assistant" for message in exchange.messages)
        key = self._key(exchange)
        last = await self.store.last_disclosed(exchange.context.tenant, key) if key else None
        hours = obligations.get("disclose_interval_hours") or 0
        repeat = last is not None and hours > 0 and now - last >= timedelta(hours=float(hours))
        # A known conversation is timed by its record, whether or not the client resends history;
        # only an anonymous exchange falls back to "no assistant turn yet" as the start.
        due = (last is None or repeat) if key is not None else fresh
        if not due:
            return ""
        if key is not None:
            await self.store.mark_disclosed(exchange.context.tenant, key, now)
        parts = [str(texts.get("ai_disclosure", ""))]
        if repeat and obligations.get("break_reminder"):
            parts.append(str(texts.get("break_reminder", "")))
        decision.stage("judge").rule_ids.append("obligation.disclose_ai")
        return " ".join(part for part in parts if part) + "\n\n"
