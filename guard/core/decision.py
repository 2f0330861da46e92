"""The Decision record: every stage adds to it; audit, explanations and reports are views of it.

The document form (`Decision.to_document()`) is public contract (docs/concepts.md) and never
holds a raw personal value: redactions are counts per entity type, findings carry offsets and
evidence taken from the redacted text, the subject appears nowhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from guard.core.context import Context
from guard.core.ids import new_id

__all__ = ["Action", "Decision", "Explanation", "Finding", "Outcome", "Reason", "StageResult"]


class Action(StrEnum):
    PASS = "pass"  # noqa: S105 - an action name, not a password
    ANNOTATE = "annotate"
    REWRITE = "rewrite"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.PASS: 0, Action.ANNOTATE: 1, Action.REWRITE: 2, Action.BLOCK: 3}


class Outcome(StrEnum):
    OK = "ok"              # ran, changed nothing
    CHANGED = "changed"    # ran and altered the exchange (redacted, rewrote, restored)
    DENIED = "denied"      # refused the exchange or blocked the answer
    ERROR = "error"        # failed; the pipeline failed closed unless the stage is fail-open
    SKIPPED = "skipped"    # did not run (disabled, or an earlier stage ended the exchange)


@dataclass(slots=True, frozen=True)
class Reason:
    """Why something happened: a stable rule id, a sentence for people, and the law if one applies."""

    id: str
    message: str
    citation: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {"id": self.id, "message": self.message, "citation": self.citation}


@dataclass(slots=True, frozen=True)
class Finding:
    """Something a detector saw, located by offsets into the (redacted) text it inspected."""

    detector: str
    label: str
    score: float
    start: int
    end: int
    evidence: str = ""
    source: str = "response"  # "response" or "request"

    def to_document(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "label": self.label,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
            "evidence": self.evidence,
            "source": self.source,
        }


@dataclass(slots=True)
class StageResult:
    outcome: Outcome = Outcome.SKIPPED
    ms: float = 0.0
    rule_ids: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"outcome": self.outcome.value, "ms": round(self.ms, 3)}
        if self.rule_ids:
            doc["rule_ids"] = list(self.rule_ids)
        if self.messages:
            doc["messages"] = list(self.messages)
        return doc


@dataclass(slots=True, frozen=True)
class Explanation:
    user: str
    operator: str

    def to_document(self) -> dict[str, str]:
        return {"user": self.user, "operator": self.operator}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Decision:
    """What the pipeline decided about one exchange, and why."""

    context: Context
    id: str = field(default_factory=new_id)
    created_at: datetime = field(default_factory=_now)
    api: str = "openai.chat"
    policy_revision: str = ""
    allow: bool = True
    action: Action = Action.PASS
    reasons: list[Reason] = field(default_factory=list)
    obligations: dict[str, Any] = field(default_factory=dict)
    redactions: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    stages: dict[str, StageResult] = field(default_factory=dict)
    error: str | None = None
    status: int = 200
    notices: list[str] = field(default_factory=list)
    explanation: Explanation | None = None
    recorded: bool = False  # set once the record stage has written it; a decision is recorded once

    def escalate(self, action: Action) -> None:
        """Raise the final action; a later, milder verdict never softens an earlier one."""
        if action.severity > self.action.severity:
            self.action = action

    def add_reason(self, reason: Reason) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def stage(self, name: str) -> StageResult:
        return self.stages.setdefault(name, StageResult())

    def explain(self) -> Explanation:
        """Plain-words explanations for the end user and the operator (computed once, then kept)."""
        if self.explanation is None:
            from guard.core.explain import explain

            self.explanation = explain(self)
        return self.explanation

    def to_document(self) -> dict[str, Any]:
        """The public decision document (DESIGN.md contract); safe to store and to show."""
        explanation = self.explain()
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "api": self.api,
            "action": self.action.value,
            "allow": self.allow,
            "status": self.status,
            "policy_revision": self.policy_revision,
            "context": {
                key: value
                for key, value in self.context.policy_view().items()
                if key in {"tenant", "setting", "region", "locale", "age_band", "purposes", "model_kind"}
            },
            "reasons": [reason.to_document() for reason in self.reasons],
            "obligations": dict(self.obligations),
            "redactions": dict(sorted(self.redactions.items())),
            "findings": [finding.to_document() for finding in self.findings],
            "stages": {name: result.to_document() for name, result in self.stages.items()},
            "notices": list(self.notices),
            "error": self.error,
            "explanation": explanation.to_document(),
        }
