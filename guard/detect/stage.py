"""The inspect stage: input signals before admit, findings on the answer (complete or streamed).

It never decides the action: it appends findings to `decision.findings` and the judge stage
evaluates the `guard.output` policy with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from guard.core.decision import Decision, Finding
from guard.core.exchange import Exchange
from guard.core.stage import BaseStage, ChunkFilter
from guard.detect.detector import Detector
from guard.detect.sentences import stable_prefix_end
from guard.detect.signals import has_crisis_signal, has_emotional_content

if TYPE_CHECKING:
    from guard.detect.llm_judge import LLMJudge

__all__ = ["InspectStage"]

STAGE_NAME = "inspect"
RECENT_USER_TURNS = 3


class InspectStage(BaseStage):
    """Runs the detectors; `stream_detectors` (the fast, local ones) also run sentence by sentence."""

    name = STAGE_NAME

    def __init__(
        self,
        detectors: Sequence[Detector],
        *,
        stream_detectors: Sequence[Detector] | None = None,
        judge: LLMJudge | None = None,
        enabled: bool = True,
        stream_max_hold_chars: int = 2000,
    ) -> None:
        self.detectors = list(detectors)
        self.stream_detectors = list(stream_detectors if stream_detectors is not None else detectors)
        self.judge = judge
        self.enabled = enabled
        self.stream_max_hold_chars = stream_max_hold_chars

    async def prepare(self, exchange: Exchange) -> None:
        # Runs before redaction: only booleans leave this method, never the text.
        users = [m.text for m in exchange.messages if m.role == "user" and m.kind == "content"]
        recent = users[-RECENT_USER_TURNS:]
        exchange.signals.crisis = exchange.signals.crisis or has_crisis_signal(recent)
        exchange.signals.emotional_content = exchange.signals.emotional_content or has_emotional_content(recent[-1:])

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        if not self.enabled:
            decision.stage(self.name).messages.append("detection disabled (detect.enabled = false)")
            return
        await self.inspect(exchange.response_text, exchange.last_user_text(), decision, final=True)

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        if not self.enabled:
            return None
        return self.on_stream_for(user=exchange.last_user_text(), decision=decision)

    def on_stream_for(self, *, user: str, decision: Decision) -> StreamInspector:
        """A stream filter for an answer to `user` (what `on_stream` returns, without an Exchange)."""
        return StreamInspector(self, user, decision)

    async def inspect(
        self, text: str, user: str, decision: Decision, *, final: bool, since: int = 0
    ) -> list[Finding]:
        """Run the detectors on `text` (sentences from `since` on); append new findings; return them."""
        detectors = self.detectors if final else self.stream_detectors
        found: list[Finding] = []
        for detector in detectors:
            found.extend(await detector.detect(text, user=user, final=final, since=since))
        if final and self.judge is not None and text.strip():
            verdict = await self.judge.judge(text, user=user)
            found.extend(verdict.findings)
            decision.stage(self.name).messages.append(verdict.summary())
        return record_findings(decision, found, stage=self.name)


def record_findings(decision: Decision, findings: Sequence[Finding], *, stage: str = STAGE_NAME) -> list[Finding]:
    """Append findings not yet in the decision (same detector, label and span); note their rule ids."""
    known = {(f.detector, f.label, f.start, f.end) for f in decision.findings}
    result = decision.stage(stage)
    new = []
    for finding in findings:
        key = (finding.detector, finding.label, finding.start, finding.end)
        if key in known:
            continue
        known.add(key)
        new.append(finding)
        decision.findings.append(finding)
        rule_id = f"{finding.detector}.{finding.label}"
        if rule_id not in result.rule_ids:
            result.rule_ids.append(rule_id)
    return new


class StreamInspector:
    """ChunkFilter: releases whole sentences only after the detectors have seen them.

    Holds back at most the sentence still being written (or `max_hold` characters of text with no
    sentence end, to bound memory and latency). Findings land in the decision before the text
    that holds them is released, so the judge's filter, which comes next, can stop the stream.
    """

    def __init__(self, stage: InspectStage, user: str, decision: Decision) -> None:
        self._stage = stage
        self._user = user
        self._decision = decision
        self._text = ""
        self._released = 0
        self._checked = 0

    async def feed(self, text: str) -> str:
        self._text += text
        # Only the unreleased tail can still change; splitting just that keeps feeding linear.
        tail_end = stable_prefix_end(self._text[self._released :])
        end = self._released + tail_end
        if end <= self._released and len(self._text) - self._released > self._stage.stream_max_hold_chars:
            end = len(self._text)
        if end <= self._released:
            return ""
        await self._check(end, final=False)
        return self._release(end)

    async def flush(self) -> str:
        await self._check(len(self._text), final=True)
        return self._release(len(self._text))

    async def _check(self, end: int, *, final: bool) -> None:
        # Partial checks score only the sentences not checked yet; the final check sees them all
        # once more, now that the whole answer is known (a goodbye said at the end, for one).
        if end > self._checked or final:
            since = 0 if final else self._checked
            await self._stage.inspect(self._text[:end], self._user, self._decision, final=final, since=since)
            self._checked = max(self._checked, end)

    def _release(self, end: int) -> str:
        out = self._text[self._released : end]
        self._released = end
        return out
