"""One streaming pass over the audit records: verify the chains and count what a report shows.

Nothing is held per record: counters by day, purpose, region, entity type, tactic, revision and
regulation, plus at most a few (already redacted, then scrubbed) examples per tactic. Memory is
bounded by the number of distinct labels, not by the number of records.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guard.audit.report.regulations import REGULATIONS, cited_regulations

if TYPE_CHECKING:
    from guard.audit.sink import AuditSource
    from guard.audit.verify import Collector

__all__ = ["REPORT_SCHEMA", "Period", "ReportCollector", "build_report"]

REPORT_SCHEMA = "empathy-guard/report/v1"
ACTIONS = ("pass", "annotate", "rewrite", "block")
_EXAMPLES = 3
_PURPOSE_IN_MESSAGE = re.compile(r"purpose '([a-z][a-z0-9_]*)'")


@dataclass(frozen=True, slots=True)
class Period:
    """[since, until] on record times; a date-only `until` includes that whole day."""

    since: str  # comparable prefix, "YYYY-MM-DDTHH:MM:SS"
    until: str

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Period:
        low = _normalise(since, end=False) if since else "0000-00-00T00:00:00"
        high = _normalise(until, end=True) if until else "9999-12-31T23:59:59"
        if low > high:
            raise ValueError("--since is after --until")
        return cls(low, high)

    def contains(self, ts: str) -> bool:
        return self.since <= ts[:19] <= self.until


def _normalise(value: str, *, end: bool) -> str:
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return f"{day.isoformat()}T23:59:59" if end else f"{day.isoformat()}T00:00:00"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or ISO 8601 time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(slots=True)
class _Regulation:
    decisions: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    obligations: int = 0
    events: int = 0
    first: str | None = None
    last: str | None = None

    def merge(self, other: _Regulation) -> None:
        self.decisions += other.decisions
        self.by_action.update(other.by_action)
        self.refused += other.refused
        self.rules.update(other.rules)
        self.obligations += other.obligations
        self.events += other.events
        for ts in (other.first, other.last):
            if ts is not None:
                self.seen(ts)

    def seen(self, ts: str) -> None:
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts


class ReportCollector:
    """Visits each record once (as `verify(..., visit=collector.visit)`) and keeps only counters."""

    def __init__(self, period: Period, *, tenant: str | None = None) -> None:
        self.period = period
        self.tenant = tenant
        self.records = 0
        self.decisions = 0
        self.refused = 0
        self.errors = 0
        self.by_day: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_hour: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.consent_by_purpose: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.consent_by_region: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.consent_rules: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.consent_events: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.redactions: Counter[str] = Counter()
        self.tactics: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.examples: defaultdict[str, list[str]] = defaultdict(list)
        self.revisions: dict[str, list[Any]] = {}
        self.regulations = {r.key: _Regulation() for r in REGULATIONS}
        self._by_obligation: dict[str, list[str]] = {}
        for regulation in REGULATIONS:
            for name in regulation.obligations:
                self._by_obligation.setdefault(name, []).append(regulation.key)
        self._event_rules = [(r.key, r.events) for r in REGULATIONS if r.events]

    def spawn(self) -> ReportCollector:
        return ReportCollector(self.period, tenant=self.tenant)

    def merge(self, other: Collector) -> None:
        """Add another collector's counts (from a worker process) to these."""
        if not isinstance(other, ReportCollector):
            raise TypeError("can only merge another ReportCollector")
        self.records += other.records
        self.decisions += other.decisions
        self.refused += other.refused
        self.errors += other.errors
        for mine, theirs in ((self.by_day, other.by_day), (self.by_hour, other.by_hour),
                             (self.consent_by_purpose, other.consent_by_purpose),
                             (self.consent_by_region, other.consent_by_region), (self.tactics, other.tactics),
                             (self.consent_events, other.consent_events)):
            for key, counts in theirs.items():
                mine[key].update(counts)
        self.consent_rules.update(other.consent_rules)
        self.events.update(other.events)
        self.redactions.update(other.redactions)
        for tactic, examples in other.examples.items():
            kept = self.examples[tactic]
            kept.extend(e for e in examples if e not in kept)
            del kept[_EXAMPLES:]
        for revision, (first, last, count) in other.revisions.items():
            entry = self.revisions.setdefault(revision, [first, last, 0])
            entry[0], entry[1], entry[2] = min(entry[0], first), max(entry[1], last), entry[2] + count
        for key, theirs_entry in other.regulations.items():
            self.regulations[key].merge(theirs_entry)

    def visit(self, rec: dict[str, Any]) -> None:
        self.records += 1
        kind = rec.get("kind")
        tenant = self.tenant
        if kind == "decision":
            doc = rec.get("decision")
            if isinstance(doc, dict):
                ts = str(doc.get("created_at") or rec.get("ts") or "")
                if self.period.contains(ts) and (tenant is None or (doc.get("context") or {}).get("tenant") == tenant):
                    self._decision(doc, ts)
        elif kind == "event":
            ts = str(rec.get("ts") or "")
            event = rec.get("event")
            if isinstance(event, dict) and self.period.contains(ts):
                payload = event.get("payload")
                if not isinstance(payload, dict):
                    payload = {}
                if tenant is None or payload.get("tenant") == tenant:
                    self._event(str(event.get("type", "")), payload, ts)

    def _decision(self, doc: dict[str, Any], ts: str) -> None:
        self.decisions += 1
        action = str(doc.get("action", "pass"))
        allowed = bool(doc.get("allow", True))
        self.by_day[ts[:10]][action] += 1
        self.by_hour[ts[:13]][action] += 1
        if not allowed:
            self.refused += 1
        if doc.get("error"):
            self.errors += 1
        context = doc.get("context") or {}
        reasons = doc.get("reasons") or ()
        self._consent(reasons, context, allowed)
        for entity, count in (doc.get("redactions") or {}).items():
            self.redactions[entity] += count
        for finding in doc.get("findings") or ():
            self._finding(finding, action)
        self._revision(str(doc.get("policy_revision") or "-"), ts)
        self._regulations(doc, reasons, action, allowed, ts)

    def _consent(self, reasons: Any, context: dict[str, Any], allowed: bool) -> None:
        consent = [r for r in reasons if str(r.get("id", "")).startswith("consent.")]
        if not consent:
            return
        outcome = "allowed" if allowed else "refused"
        purposes = {m.group(1) for r in consent if (m := _PURPOSE_IN_MESSAGE.search(str(r.get("message"))))}
        for purpose in purposes or set(context.get("purposes") or ["-"]):
            self.consent_by_purpose[purpose][outcome] += 1
        self.consent_by_region[str(context.get("region") or "-")][outcome] += 1
        for reason in consent:
            self.consent_rules[str(reason.get("id"))] += 1

    def _finding(self, finding: dict[str, Any], action: str) -> None:
        label = str(finding.get("label", "?"))
        self.tactics[label]["findings"] += 1
        self.tactics[label][action] += 1
        evidence = finding.get("evidence")
        if evidence and len(self.examples[label]) < _EXAMPLES:
            from guard.logging import scrub_text  # evidence is redacted text; scrub again for the report

            example = scrub_text(str(evidence))[:160]
            if example not in self.examples[label]:
                self.examples[label].append(example)

    def _revision(self, revision: str, ts: str) -> None:
        entry = self.revisions.get(revision)
        if entry is None:
            self.revisions[revision] = [ts, ts, 1]
        else:
            entry[0] = min(entry[0], ts)
            entry[1] = max(entry[1], ts)
            entry[2] += 1

    def _regulations(self, doc: dict[str, Any], reasons: Any, action: str, allowed: bool, ts: str) -> None:
        cited: dict[str, set[str]] = {}
        for reason in reasons:
            citation = reason.get("citation")
            if citation:
                for key in cited_regulations(str(citation)):
                    cited.setdefault(key, set()).add(str(reason.get("id")))
        for key, rule_ids in cited.items():
            entry = self.regulations[key]
            entry.decisions += 1
            entry.by_action[action] += 1
            entry.refused += not allowed
            entry.rules.update(rule_ids)
            entry.seen(ts)
        obligations = doc.get("obligations")
        if obligations:
            keys = {key for name, value in obligations.items() if value for key in self._by_obligation.get(name, ())}
            for key in keys:
                self.regulations[key].obligations += 1
                self.regulations[key].seen(ts)

    def _event(self, kind: str, payload: dict[str, Any], ts: str) -> None:
        self.events[kind] += 1
        if kind.startswith("consent.") and payload.get("purpose"):
            self.consent_events[str(payload["purpose"])][kind.removeprefix("consent.")] += 1
        for key, prefixes in self._event_rules:
            if kind.startswith(prefixes):
                self.regulations[key].events += 1
                self.regulations[key].seen(ts)


def _series(collector: ReportCollector) -> dict[str, Any]:
    days = sorted(collector.by_day)
    if not days:
        return {"bucket": "day", "points": []}
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    if (last - first).days < 2:
        buckets, bucket = collector.by_hour, "hour"
        keys = sorted(buckets)
    else:
        buckets, bucket = collector.by_day, "day"
        keys = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    label = (lambda key: f"{key}:00") if bucket == "hour" else (lambda key: key)
    points = [{"t": label(key), **{a: buckets.get(key, Counter())[a] for a in ACTIONS}} for key in keys]
    return {"bucket": bucket, "points": points}


def _regulation_rows(collector: ReportCollector, verification: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for regulation in REGULATIONS:
        entry = collector.regulations[regulation.key]
        evidence: list[str] = []
        if entry.decisions:
            evidence.append(f"{entry.decisions} decision(s) cite it ({entry.refused} refused)")
        if entry.obligations:
            evidence.append(f"{entry.obligations} decision(s) carried the obligation "
                            + "/".join(regulation.obligations))
        if entry.events:
            evidence.append(f"{entry.events} audit event(s) " + "/".join(p.rstrip(".") for p in regulation.events))
        if regulation.audit_log and collector.records:
            state = "verified" if verification["ok"] else "FAILED verification"
            evidence.append(f"signed audit log of {verification['records']} record(s) in "
                            f"{len(verification['chains'])} chain(s), {state}")
        rows.append({
            "citation": regulation.citation,
            "substance": regulation.substance,
            "status": "evidence" if evidence else "no evidence in period",
            "evidence": evidence,
            "decisions": entry.decisions,
            "refused": entry.refused,
            "by_action": {a: entry.by_action[a] for a in ACTIONS},
            "rules": dict(entry.rules.most_common()),
            "obligations": entry.obligations,
            "events": entry.events,
            "first_seen": entry.first,
            "last_seen": entry.last,
        })
    return rows


def _verification_summary(result: Any) -> dict[str, Any]:
    doc: dict[str, Any] = result.to_document()
    doc["problems"] = doc["problems"][:100]  # a wrecked log must not make the report unreadable
    for chain in doc["chains"]:
        chain["problems"] = chain["problems"][:20]
    return doc


def build_report(source: AuditSource, *, since: str | None = None, until: str | None = None,
                 tenant: str | None = None, full: bool = False, workers: int = 1) -> dict[str, Any]:
    """Verify every chain and aggregate the records of the period into the report document.

    With `workers` > 1 the log's parts (segment files, chains) are read in that many processes.
    """
    from guard.audit.verify import verify

    period = Period.parse(since, until)
    collector = ReportCollector(period, tenant=tenant)
    result = verify(source, full=full, collector=collector, workers=workers)
    verification = _verification_summary(result)
    totals = {a: sum(day[a] for day in collector.by_day.values()) for a in ACTIONS}
    return {
        "schema": REPORT_SCHEMA,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "period": {"since": since, "until": until},
        "tenant": tenant,
        "source": source.describe(),
        "totals": {"records_read": collector.records, "decisions": collector.decisions,
                   "refused": collector.refused, "errors": collector.errors,
                   "events": sum(collector.events.values()), "by_action": totals},
        "actions_over_time": _series(collector),
        "consent": {
            "by_purpose": {p: {"allowed": c["allowed"], "refused": c["refused"]}
                           for p, c in sorted(collector.consent_by_purpose.items())},
            "by_region": {r: {"allowed": c["allowed"], "refused": c["refused"]}
                          for r, c in sorted(collector.consent_by_region.items())},
            "rules": dict(collector.consent_rules.most_common()),
            "events": dict(sorted(collector.events.items())),
            "events_by_purpose": {p: dict(sorted(c.items())) for p, c in sorted(collector.consent_events.items())},
        },
        "redactions": dict(collector.redactions.most_common()),
        "manipulation": [
            {"tactic": tactic, "findings": counts["findings"],
             "by_action": {a: counts[a] for a in ACTIONS}, "examples": collector.examples.get(tactic, [])}
            for tactic, counts in sorted(collector.tactics.items(), key=lambda kv: -kv[1]["findings"])
        ],
        "policy_revisions": [
            {"revision": rev, "first_seen": first, "last_seen": last, "decisions": count}
            for rev, (first, last, count) in sorted(collector.revisions.items(), key=lambda kv: kv[1][0])
        ],
        "verification": verification,
        "regulations": _regulation_rows(collector, verification),
    }
