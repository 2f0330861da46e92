"""Seeded, varied policy inputs and the shipped pack's decisions on them (the golden file).

The inputs are plain dicts in the documented input contract (docs/policies.md), built here rather
than through the pipeline's objects, so the golden file pins the policy alone; each consent carries
its `state` at NOW, computed from its times as `ConsentRecord.status` does (`consent_state`). Decisions are stored
deduplicated: tables of distinct reasons, obligations and decisions and, per case, indexes. Reasons are sorted by rule
id as the engine's readers sort them (ties keep the policy's order, which reaches the decision).

Regenerate only when a decision is meant to change, and say so in the commit:

    .venv/bin/python -m tests.unit.policy.golden_cases --write
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from guard.policy import default_policy_dir
from guard.policy.embedded import EmbeddedEngine

GOLDEN = Path(__file__).with_name("golden_decisions.json")
CASES = 3000
SEED = 20261129

REGIONS = [("DE", "DE"), ("FR", "FR"), ("ES", "ES"), ("IT", "IT"), ("NL", "NL"), ("US-CA", "US"), ("US-NY", "US"),
           ("US-IL", "US"), ("US-TX", "US"), ("US", "US"), ("JP", "JP"), ("BR", "BR"), ("GB", "GB"), ("", "")]
LANGUAGES = ["en", "de", "fr", "es", "ja", "pt", ""]
SETTINGS = ["companion", "healthcare", "customer_service", "education", "workplace", "general"]
AGE_BANDS = ["minor", "adult", "unknown"]
PURPOSES = ["generation", "emotion_inference", "personalization", "training", "retention", "medical", "safety"]
CONSENT_PURPOSES = ["emotion_inference", "personalization", "training", "retention", "special_category_data"]
LABELS = ["exit.fomo", "exit.premature", "guilt", "retention", "sycophancy", "isolation", "brand_bias",
          "exploitative_upsell", "gaslighting", "joy", "anger"]
NOW = "2026-06-01T12:00:00.000000Z"
# Times around NOW, as fixed-width strings (they compare as strings, like the engine's).
TIMES = ["2025-01-01T00:00:00.000000Z", "2026-05-31T12:00:00.000000Z", "2026-06-01T11:59:59.999999Z", NOW,
         "2026-06-01T12:00:00.000001Z", "2026-07-01T00:00:00.000000Z"]


def _context(rng: random.Random) -> dict[str, Any]:
    region, country = rng.choice(REGIONS)
    language = rng.choice(LANGUAGES)
    return {
        "tenant": rng.choice(["default", "acme"]), "setting": rng.choice(SETTINGS), "region": region,
        "country": country, "locale": f"{language}-{country}" if language and country else language,
        "language": language, "age_band": rng.choice(AGE_BANDS),
        "purposes": rng.sample(PURPOSES, rng.choice([1, 1, 2, 2, 3])),
        "model_kind": "emotion" if rng.random() < 0.15 else "generative",
    }


def consent_state(record: dict[str, Any], now: str) -> str:
    """`ConsentRecord.status` on the fixed-width strings: the state the store states at `now`."""
    if record["withdrawn_at"] is not None and record["withdrawn_at"] <= now:
        return "withdrawn"
    if record["expires_at"] is not None and record["expires_at"] <= now:
        return "expired"
    if record["granted_at"] > now:
        return "pending"
    return "valid"


def _consent(rng: random.Random, purpose: str) -> dict[str, Any]:
    record = {
        "purpose": purpose, "granted_at": rng.choice(TIMES[:4] + TIMES[5:]),
        "expires_at": rng.choice(TIMES) if rng.random() < 0.35 else None,
        "withdrawn_at": rng.choice(TIMES) if rng.random() < 0.25 else None,
        "source": rng.choice(["signup", "settings"]),
    }
    return {**record, "state": consent_state(record, NOW)}


def admit_case(rng: random.Random) -> dict[str, Any]:
    context = _context(rng)
    wanted = [p for p in context["purposes"] if p in CONSENT_PURPOSES]
    wanted += rng.sample(CONSENT_PURPOSES, rng.choice([0, 0, 1]))
    consents = [_consent(rng, purpose) for purpose in wanted if rng.random() < 0.75]
    if consents and rng.random() < 0.1:
        consents.append(_consent(rng, consents[0]["purpose"]))  # two records for one purpose
    document: dict[str, Any] = {
        "context": context,
        "consents": consents,
        "signals": {
            "pii_types": sorted(rng.sample(["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"], rng.choice([0, 0, 1, 2]))),
            "special_categories": ["health"] if rng.random() < 0.2 else [],
            "crisis": rng.random() < 0.15, "emotional_content": rng.random() < 0.4,
            "therapy_request": rng.random() < 0.1,
        },
        "now": NOW,
    }
    if rng.random() < 0.01:
        if consents:
            del consents[0]["state"]  # refused: consents cannot be checked without their state
        else:
            del document["now"]  # decided as with it: the pack reads the states, never the time
    return document


def output_case(rng: random.Random, context: dict[str, Any]) -> dict[str, Any]:
    findings = []
    for i in range(rng.choice([0, 0, 0, 1, 1, 2, 3, 4])):
        findings.append({
            "detector": rng.choice(["manipulation", "manipulation", "emotion_text"]), "label": rng.choice(LABELS),
            "score": round(rng.random(), 4), "start": 10 * i, "end": 10 * i + 8,
            "source": "request" if rng.random() < 0.15 else "response",
        })
    obligations = {"crisis_protocol": rng.random() < 0.2, "disclose_ai": rng.random() < 0.5,
                   "forbid_emotion_inference": rng.random() < 0.5}
    return {"context": context, "findings": findings, "obligations": obligations}


def cases(count: int = CASES, seed: int = SEED) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        admit = admit_case(rng)
        pairs.append((admit, output_case(rng, admit["context"])))
    return pairs


def normalised(value: Any) -> Any:
    """A decision with its reasons in the order the engine's readers give them: sorted by rule id,
    ties in the policy's order (documents.read_reasons), since that order reaches the decision."""
    if isinstance(value, dict) and isinstance(value.get("reasons"), list):
        return {**value, "reasons": sorted(value["reasons"], key=lambda r: str(r.get("id")))}
    return value


class _Table:
    """Distinct JSON values, each stored once and referred to by its index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def ref(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(value)
        return self._index[key]


def decisions(engine: EmbeddedEngine, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Every case's admit, output and texts values, deduplicated: a decision's reasons and
    obligations are indexes into their own tables, and each case row indexes the decisions."""
    decided, reasons, obligations = _Table(), _Table(), _Table()

    def compact(value: Any) -> int:
        value = normalised(value)
        if isinstance(value, dict):
            if isinstance(value.get("reasons"), list):
                value = {**value, "reasons": [reasons.ref(r) for r in value["reasons"]]}
            if "obligations" in value:
                value = {**value, "obligations": obligations.ref(value["obligations"])}
        return decided.ref(value)

    rows = []
    for admit, output in pairs:
        rows.append([
            compact(engine.evaluate_sync("admit", admit).value),
            compact(engine.evaluate_sync("output", output).value),
            compact(engine.evaluate_sync("texts", {"context": output["context"]}).value),
        ])
    return {"seed": SEED, "cases": len(pairs), "reasons": reasons.values, "obligations": obligations.values,
            "decisions": decided.values, "rows": rows}


def expand(golden: dict[str, Any], ref: int) -> Any:
    """The full decision behind an index of the golden file's decision table."""
    value = golden["decisions"][ref]
    if isinstance(value, dict):
        if isinstance(value.get("reasons"), list):
            value = {**value, "reasons": [golden["reasons"][i] for i in value["reasons"]]}
        if "obligations" in value:
            value = {**value, "obligations": golden["obligations"][value["obligations"]]}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the golden decisions of the shipped pack.")
    parser.add_argument("--write", action="store_true", help=f"write {GOLDEN.name}")
    args = parser.parse_args()
    engine = EmbeddedEngine(default_policy_dir(), reload=False, memo_entries=frozenset())
    result = decisions(engine, cases())
    print(f"{result['cases']} cases, {len(result['decisions'])} distinct decisions")
    if args.write:
        GOLDEN.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
