"""JSON Schema (draft 2020-12) of the report document written by `guard report --format json`."""

from __future__ import annotations

from typing import Any

__all__ = ["REPORT_JSON_SCHEMA"]

_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_TS: dict[str, Any] = {"type": ["string", "null"], "description": "UTC time, ISO 8601"}
_BY_ACTION: dict[str, Any] = {"type": "object", "required": ["pass", "annotate", "rewrite", "block"],
              "properties": dict.fromkeys(("pass", "annotate", "rewrite", "block"), _COUNT),
              "additionalProperties": False}
_ALLOWED_REFUSED: dict[str, Any] = {"type": "object", "required": ["allowed", "refused"],
                    "properties": {"allowed": _COUNT, "refused": _COUNT}, "additionalProperties": False}
_PROBLEM: dict[str, Any] = {"type": "object", "required": ["chain", "kind", "message", "seq", "location"],
                            "properties": {
    "chain": {"type": "string"},
    "kind": {"enum": ["modified", "deleted", "inserted", "reordered", "truncated", "broken", "untrusted"]},
    "message": {"type": "string"}, "seq": {"type": ["integer", "null"]}, "location": {"type": ["string", "null"]}}}


def _obj(required: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": required,
            "additionalProperties": False, **extra}


REPORT_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://empathy-guard.dev/schemas/report/v1.json",
    "title": "Empathy Guard compliance report",
    **_obj({
        "schema": {"const": "empathy-guard/report/v1"},
        "generated_at": {"type": "string"},
        "period": _obj({"since": {"type": ["string", "null"]}, "until": {"type": ["string", "null"]}}),
        "tenant": {"type": ["string", "null"], "description": "the tenant the report is limited to, if any"},
        "source": {"type": "string", "description": "audit directory or database host (never a password)"},
        "totals": _obj({"records_read": _COUNT, "decisions": _COUNT, "refused": _COUNT, "errors": _COUNT,
                        "events": _COUNT, "by_action": _BY_ACTION}),
        "actions_over_time": _obj({
            "bucket": {"enum": ["hour", "day"]},
            "points": {"type": "array", "items": {**_BY_ACTION, "required": ["t", "pass", "annotate", "rewrite",
                                                                            "block"],
                                                  "properties": {**_BY_ACTION["properties"],
                                                                 "t": {"type": "string"}}}},
        }),
        "consent": _obj({
            "by_purpose": {"type": "object", "additionalProperties": _ALLOWED_REFUSED},
            "by_region": {"type": "object", "additionalProperties": _ALLOWED_REFUSED},
            "rules": {"type": "object", "additionalProperties": _COUNT},
            "events": {"type": "object", "additionalProperties": _COUNT},
            "events_by_purpose": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": _COUNT,
                "description": "consent event kind without 'consent.' (granted, withdrawn, ...) -> count"}},
        }),
        "redactions": {"type": "object", "additionalProperties": _COUNT,
                       "description": "entity type -> number of values redacted"},
        "manipulation": {"type": "array", "items": _obj({
            "tactic": {"type": "string"}, "findings": _COUNT, "by_action": _BY_ACTION,
            "examples": {"type": "array", "maxItems": 3, "items": {"type": "string"}}})},
        "policy_revisions": {"type": "array", "items": _obj({
            "revision": {"type": "string"}, "first_seen": _TS, "last_seen": _TS, "decisions": _COUNT})},
        "verification": {"type": "object", "required": ["source", "ok", "full", "records", "chains", "problems"],
                         "properties": {
                             "source": {"type": "string"}, "ok": {"type": "boolean"}, "full": {"type": "boolean"},
                             "records": _COUNT, "problems": {"type": "array", "items": _PROBLEM},
                             "chains": {"type": "array", "items": {
                                 "type": "object",
                                 "required": ["chain", "ok", "records", "last_seq", "kid", "closed", "problems",
                                              "warnings"],
                                 "properties": {"chain": {"type": "string"}, "ok": {"type": "boolean"},
                                                "records": _COUNT, "last_seq": {"type": "integer"},
                                                "kid": {"type": ["string", "null"]}, "closed": {"type": "boolean"},
                                                "problems": {"type": "array", "items": _PROBLEM},
                                                "warnings": {"type": "array", "items": {"type": "string"}}}}}}},
        "regulations": {"type": "array", "items": _obj({
            "citation": {"type": "string"}, "substance": {"type": "string"},
            "status": {"enum": ["evidence", "no evidence in period"]},
            "evidence": {"type": "array", "items": {"type": "string"}},
            "decisions": _COUNT, "refused": _COUNT, "by_action": _BY_ACTION,
            "rules": {"type": "object", "additionalProperties": _COUNT},
            "obligations": _COUNT, "events": _COUNT, "first_seen": _TS, "last_seen": _TS})},
    }),
}
