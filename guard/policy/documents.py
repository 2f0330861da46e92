"""Policy inputs built from the pipeline's objects, and policy outputs read back into them.

Inputs follow DESIGN.md: admit gets `{context, consents, signals, now}`, each consent with its
`state` at `now` (`valid`, `withdrawn`, `expired`, `pending`: the store states the facts at this
instant, the pack decides what they mean), output gets `{context, findings, obligations}` (no time:
the same answer is judged the same way). A pack that decides on `state` and never reads `now` lets
the embedded engine memoise admit too. No raw personal value goes in: the context has no
subject, findings carry offsets and scores but not their evidence text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from guard.consent.records import ConsentRecord, policy_time
from guard.core.decision import Action, Finding, Reason
from guard.core.exchange import Signals
from guard.errors import PolicyError

__all__ = ["admit_input", "output_input", "read_action", "read_allow", "read_reasons"]


def admit_input(
    context: dict[str, Any], consents: Iterable[ConsentRecord], signals: Signals, now: datetime
) -> dict[str, Any]:
    return {
        "context": context,
        "consents": [{**record.to_policy(), "state": record.status(now)} for record in consents],
        "signals": signals.to_policy(),
        "now": policy_time(now),
    }


def output_input(context: dict[str, Any], findings: Iterable[Finding], obligations: dict[str, Any]) -> dict[str, Any]:
    return {
        "context": context,
        "findings": [
            {"detector": f.detector, "label": f.label, "score": round(f.score, 4), "start": f.start, "end": f.end,
             "source": f.source}
            for f in findings
        ],
        "obligations": obligations,
    }


def _malformed(entry: str, what: str) -> PolicyError:
    return PolicyError(f"The {entry} policy returned a malformed decision: {what}.",
                       hint="Check the decision rule against docs/policies.md (output contract).")


def read_reasons(entry: str, value: dict[str, Any]) -> list[Reason]:
    """The decision's reasons, sorted by rule id (policies may return them as a set)."""
    raw = value.get("reasons", [])
    if not isinstance(raw, list):
        raise _malformed(entry, "reasons must be a list")
    reasons = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(
            item.get("message"), str
        ):
            raise _malformed(entry, "each reason needs a string id and message")
        citation = item.get("citation")
        reasons.append(Reason(id=item["id"], message=item["message"],
                              citation=citation if isinstance(citation, str) else None))
    return sorted(reasons, key=lambda reason: reason.id)


def read_allow(entry: str, value: dict[str, Any]) -> bool:
    allow = value.get("allow")
    if not isinstance(allow, bool):
        raise _malformed(entry, "allow must be true or false")
    return allow


def read_action(value: dict[str, Any]) -> Action:
    try:
        return Action(value.get("action", "pass"))
    except ValueError:
        raise _malformed("output", "action must be pass, annotate, rewrite or block") from None
