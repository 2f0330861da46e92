"""Plain-words explanations of a Decision, for the person in the chat and for the operator.

The user text is short and says what changed and why; the operator text lists rule ids,
citations, findings and stage timings. Neither ever contains a raw personal value: they are built
only from the decision's reasons, counts and redacted evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.core.decision import Action, Explanation

if TYPE_CHECKING:
    from guard.core.decision import Decision

__all__ = ["explain"]

_ACTION_WORDS = {
    Action.PASS: "The answer was passed on unchanged.",
    Action.ANNOTATE: "The answer was passed on and flagged for review.",
    Action.REWRITE: "Parts of the answer were removed before you saw it.",
    Action.BLOCK: "The answer was withheld.",
}


def _label(entity: str) -> str:
    return entity.replace("_", " ").lower()


def _redaction_sentence(decision: Decision) -> str | None:
    if not decision.redactions:
        return None
    parts = [f"{count} {_label(kind)}{'s' if count != 1 else ''}" for kind, count in
             sorted(decision.redactions.items())]
    return "Personal details were hidden from the AI model: " + ", ".join(parts) + "."


def _user_text(decision: Decision) -> str:
    sentences: list[str] = []
    if not decision.allow:
        sentences.append("This request was not sent to the AI model.")
    elif decision.error:
        sentences.append("This request could not be completed safely, so nothing was sent on.")
    else:
        sentences.append(_ACTION_WORDS[decision.action])
    redacted = _redaction_sentence(decision)
    if redacted:
        sentences.append(redacted)
    for reason in decision.reasons:
        cite = f" ({reason.citation})" if reason.citation else ""
        sentences.append(f"{reason.message}{cite}")
    if decision.findings and decision.action is not Action.PASS:
        tactics = sorted({finding.label for finding in decision.findings})
        sentences.append("Detected: " + ", ".join(tactics) + ".")
    return " ".join(sentences)


def _operator_text(decision: Decision) -> str:
    lines = [
        f"decision {decision.id} action={decision.action.value} allow={decision.allow} "
        f"status={decision.status} policy_revision={decision.policy_revision or '-'}",
    ]
    ctx = decision.context
    lines.append(
        f"context setting={ctx.setting.value} region={ctx.region or '-'} locale={ctx.locale} "
        f"age_band={ctx.age_band.value} purposes={','.join(ctx.purposes)}"
    )
    for reason in decision.reasons:
        cite = f" [{reason.citation}]" if reason.citation else ""
        lines.append(f"reason {reason.id}{cite}: {reason.message}")
    if decision.obligations:
        active = sorted(key for key, value in decision.obligations.items() if value)
        lines.append("obligations " + (", ".join(active) or "none"))
    if decision.redactions:
        lines.append(
            "redactions " + ", ".join(f"{k}={v}" for k, v in sorted(decision.redactions.items()))
        )
    for finding in decision.findings:
        lines.append(
            f"finding {finding.detector}:{finding.label} score={finding.score:.2f} "
            f"span={finding.start}-{finding.end} evidence={finding.evidence!r}"
        )
    if decision.error:
        lines.append(f"error {decision.error}")
    timings = " ".join(
        f"{name}={result.outcome.value}/{result.ms:.2f}ms" for name, result in decision.stages.items()
    )
    if timings:
        lines.append("stages " + timings)
    return "\n".join(lines)


def explain(decision: Decision) -> Explanation:
    return Explanation(user=_user_text(decision), operator=_operator_text(decision))
