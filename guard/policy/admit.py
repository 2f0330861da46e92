"""The admit stage: consult `guard.admit` with the person's consents before anything goes upstream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from guard.consent.records import utc_now
from guard.core.decision import Outcome
from guard.core.stage import BaseStage
from guard.policy.documents import admit_input, read_allow, read_reasons
from guard.policy.signals import is_therapy_request

if TYPE_CHECKING:
    from guard.consent.store import ConsentStore
    from guard.core.decision import Decision
    from guard.core.exchange import Exchange
    from guard.core.subjects import SubjectHasher
    from guard.policy.engine import PolicyEngine

__all__ = ["AdmitStage"]


class AdmitStage(BaseStage):
    """Sets `decision.allow`, reasons, obligations and the policy revision.

    Consents are asked of the store on every exchange. The SQLite store may answer from memory
    after checking the file for changes (`guard.consent.freshness`), so a withdrawal made by any
    worker still takes effect on the very next request. Without a subject there are no consents.
    """

    name = "admit"

    def __init__(
        self, engine: PolicyEngine, *, consents: ConsentStore, hasher: SubjectHasher,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.consents = consents
        self.hasher = hasher
        self.clock = clock

    async def prepare(self, exchange: Exchange) -> None:
        exchange.signals.extra["therapy_request"] = is_therapy_request(exchange.last_user_text())

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        context = exchange.context
        records = []
        if context.subject is not None:
            records = await self.consents.list(context.tenant, self.hasher(context.tenant, context.subject))
        document = admit_input(context.policy_view(), records, exchange.signals, self.clock())
        evaluation = await self.engine.evaluate("admit", document)
        value = evaluation.value
        allow = read_allow("admit", value)
        reasons = read_reasons("admit", value)
        obligations = value.get("obligations", {})
        decision.policy_revision = evaluation.revision
        decision.allow = decision.allow and allow
        for reason in reasons:
            decision.add_reason(reason)
        if isinstance(obligations, dict):
            decision.obligations.update(obligations)
        result = decision.stage(self.name)
        result.rule_ids.extend(reason.id for reason in reasons)
        if not allow:
            result.outcome = Outcome.DENIED

    async def aclose(self) -> None:
        await self.engine.aclose()  # the judge shares the engine; closing twice is harmless
