"""The judge stage: `guard.output` decides pass | annotate | rewrite | block on the inspect findings.

- block: the answer is replaced by the locale's safe response plus the tactics found.
- rewrite: sentences overlapping a flagged finding are removed, if what remains still says
  something (`answers_something`); otherwise the answer is blocked.
- Streaming: a ChunkFilter after the inspect filter. It counts the offsets of what it receives,
  re-evaluates when new findings arrive, drops flagged sentences from the text it holds (rewrite) or
  raises OutputBlocked (block). The disclosure goes before the first text, the crisis resource after
  the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from guard.consent.records import utc_now
from guard.core.decision import Action, Outcome
from guard.core.stage import BaseStage
from guard.errors import OutputBlocked
from guard.policy.documents import output_input, read_action, read_reasons
from guard.policy.obligations import DisclosureClock, apply_emotion_obligations, crisis_suffix
from guard.policy.sentences import answers_something, remove_sentences

if TYPE_CHECKING:
    from guard.consent.store import ConsentStore
    from guard.core.decision import Decision, Finding, Reason
    from guard.core.exchange import Exchange
    from guard.core.stage import ChunkFilter
    from guard.core.subjects import SubjectHasher
    from guard.policy.engine import PolicyEngine

__all__ = ["JudgeStage", "Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    reasons: list[Reason]
    flagged: list[Finding]


class JudgeStage(BaseStage):
    name = "judge"

    def __init__(
        self, engine: PolicyEngine, *, consents: ConsentStore, hasher: SubjectHasher,
        clock: Callable[[], datetime] = utc_now, text_cache_size: int = 512,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.disclosures = DisclosureClock(consents, hasher, clock)
        self._texts: dict[tuple[str, ...], dict[str, str]] = {}
        self._text_cache_size = text_cache_size

    async def texts(self, decision: Decision) -> dict[str, str]:
        """The locale texts for the context (they depend on the context only, so they are cached)."""
        view = decision.context.policy_view()
        key = (self.engine.revision, str(view["language"]), str(view["region"]), str(view["country"]))
        cached = self._texts.get(key)
        if cached is None:
            evaluation = await self.engine.evaluate("texts", {"context": view})
            cached = {str(k): str(v) for k, v in evaluation.value.items() if isinstance(v, str)}
            if len(self._texts) >= self._text_cache_size:
                self._texts.clear()
            self._texts[key] = cached
        return cached

    async def verdict(self, decision: Decision) -> Verdict:
        """Evaluate `guard.output` on the decision's findings; record reasons and the action."""
        document = output_input(decision.context.policy_view(), decision.findings, decision.obligations)
        value = (await self.engine.evaluate("output", document)).value
        action = read_action(value)
        reasons = read_reasons("output", value)
        indices = value.get("flagged", [])
        flagged = [decision.findings[i] for i in indices if isinstance(i, int) and 0 <= i < len(decision.findings)]
        # Re-judging a stream as findings arrive: the newest verdict's reasons replace older ones.
        fresh = {reason.id for reason in reasons}
        decision.reasons = [r for r in decision.reasons if not (r.id.startswith("output.") and r.id in fresh)]
        for reason in reasons:
            decision.add_reason(reason)
        result = decision.stage(self.name)
        result.rule_ids.extend(r.id for r in reasons if r.id not in result.rule_ids)
        return Verdict(action=action, reasons=reasons, flagged=flagged)

    def safe_response(self, decision: Decision, verdict: Verdict, texts: dict[str, str]) -> str:
        tactics = sorted({finding.label for finding in verdict.flagged})
        detail = f" ({', '.join(tactics)})" if tactics else ""
        return texts.get("blocked", "The answer was withheld.") + detail

    async def on_response(self, exchange: Exchange, decision: Decision) -> None:
        if not decision.allow:
            return
        texts = await self.texts(decision)
        result = decision.stage(self.name)
        result.rule_ids.extend(apply_emotion_obligations(decision, texts))
        verdict = await self.verdict(decision)
        original = exchange.response_text
        text = original
        if verdict.action is Action.REWRITE:
            text, _ = remove_sentences(original, [(f.start, f.end) for f in verdict.flagged])
            if answers_something(text):
                decision.escalate(Action.REWRITE)
            else:
                verdict = Verdict(Action.BLOCK, verdict.reasons, verdict.flagged)
                result.rule_ids.append("output.rewrite_left_nothing")
        if verdict.action is Action.BLOCK:
            text = self.safe_response(decision, verdict, texts)
            decision.escalate(Action.BLOCK)
            result.outcome = Outcome.DENIED
        elif verdict.action is Action.ANNOTATE:
            decision.escalate(Action.ANNOTATE)
        text = await self.disclosures.prefix(exchange, decision, texts) + text + crisis_suffix(decision, texts)
        exchange.response_text = text
        if text != original and result.outcome is not Outcome.DENIED:
            result.outcome = Outcome.CHANGED

    def on_stream(self, exchange: Exchange, decision: Decision) -> ChunkFilter | None:
        if not decision.allow:
            return None
        return JudgeFilter(self, exchange, decision)


class JudgeFilter:
    """The judge for a streamed answer; see the module docstring."""

    def __init__(self, stage: JudgeStage, exchange: Exchange, decision: Decision) -> None:
        self._stage = stage
        self._exchange = exchange
        self._decision = decision
        self._received = 0       # offset (in the whole answer) of the next text we receive
        self._seen = 0           # findings already judged
        self._started = False
        self._flagged: list[Finding] = []
        self._texts: dict[str, str] | None = None
        self._released: list[str] = []  # answer text let through so far (without prefix/suffix)

    async def _get_texts(self) -> dict[str, str]:
        if self._texts is None:
            self._texts = await self._stage.texts(self._decision)
            self._decision.stage(self._stage.name).rule_ids.extend(
                apply_emotion_obligations(self._decision, self._texts))
            self._seen = 0
        return self._texts

    async def _start(self) -> str:
        if self._started:
            return ""
        self._started = True
        texts = await self._get_texts()
        prefix = await self._stage.disclosures.prefix(self._exchange, self._decision, texts)
        if prefix:
            self._decision.stage(self._stage.name).outcome = Outcome.CHANGED
        return prefix

    async def _block(self, verdict: Verdict) -> None:
        decision = self._decision
        decision.escalate(Action.BLOCK)
        decision.stage(self._stage.name).outcome = Outcome.DENIED
        texts = await self._get_texts()
        message = self._stage.safe_response(decision, verdict, texts) + crisis_suffix(decision, texts)
        raise OutputBlocked(message, decision=decision,
                            hint="The decision document explains which rule blocked the answer.")

    async def _judge_new_findings(self) -> None:
        decision = self._decision
        if len(decision.findings) <= self._seen:
            return
        self._seen = len(decision.findings)
        verdict = await self._stage.verdict(decision)
        if verdict.action is Action.BLOCK:
            await self._block(verdict)
        if verdict.action is Action.REWRITE:
            decision.escalate(Action.REWRITE)
            self._flagged = verdict.flagged
        elif verdict.action is Action.ANNOTATE:
            decision.escalate(Action.ANNOTATE)

    async def feed(self, text: str) -> str:
        prefix = await self._start()
        offset = self._received
        self._received += len(text)
        await self._judge_new_findings()
        if self._flagged:
            spans = [(f.start, f.end) for f in self._flagged if f.end > offset]
            if spans:
                kept, removed = remove_sentences(text, spans, offset=offset)
                if removed:
                    text = kept + (" " if kept and not kept.endswith((" ", "\n")) else "")
                    self._decision.stage(self._stage.name).outcome = Outcome.CHANGED
        self._released.append(text)
        return prefix + text

    async def flush(self) -> str:
        prefix = await self._start()
        await self._judge_new_findings()
        if self._flagged and not answers_something("".join(self._released)):
            # As for a complete answer: a rewrite that leaves nothing to say becomes a block.
            self._decision.stage(self._stage.name).rule_ids.append("output.rewrite_left_nothing")
            await self._block(Verdict(Action.BLOCK, [], self._flagged))
        texts = await self._get_texts()
        suffix = crisis_suffix(self._decision, texts)
        if suffix:
            self._decision.stage(self._stage.name).outcome = Outcome.CHANGED
        return prefix + suffix
