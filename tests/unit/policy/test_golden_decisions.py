"""The shipped pack decides exactly as recorded in the golden file, on 3000 seeded varied cases.

Guards restructuring of the Rego for speed: admit, output and texts values must stay identical
(reasons in the order the engine reads them: by rule id, ties in the policy's order).
See golden_cases.py to regenerate on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from guard.policy import default_policy_dir
from guard.policy.embedded import EmbeddedEngine

from .golden_cases import CASES, GOLDEN, SEED, cases, decisions, expand

ENTRIES = ("admit", "output", "texts")


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads(GOLDEN.read_text())
    return recorded


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    engine = EmbeddedEngine(default_policy_dir(), reload=False, memo_entries=frozenset())
    return decisions(engine, cases())


def test_the_golden_file_matches_its_generator(golden: dict[str, Any]) -> None:
    """The file was written from these seeded cases (same seed and count)."""
    assert (golden["seed"], golden["cases"], len(golden["rows"])) == (SEED, CASES, CASES)


def test_every_case_decides_as_recorded(golden: dict[str, Any], current: dict[str, Any]) -> None:
    """Admit, output and texts values equal the recorded ones, case by case."""
    inputs = cases()
    for number, (recorded, now) in enumerate(zip(golden["rows"], current["rows"], strict=True)):
        for entry, old, new in zip(ENTRIES, recorded, now, strict=True):
            expected, actual = expand(golden, old), expand(current, new)
            document = inputs[number][0 if entry == "admit" else 1]
            assert actual == expected, f"case {number} ({entry}) changed for input {document}"


def test_the_cases_are_varied(golden: dict[str, Any]) -> None:
    """The golden cases reach every admit outcome and every output action, so they can catch a change."""
    admits = [expand(golden, row[0]) for row in golden["rows"]]
    outputs = [expand(golden, row[1]) for row in golden["rows"]]
    assert {a["allow"] for a in admits} == {True, False}
    rule_ids = {r["id"] for a in admits for r in a["reasons"]}
    assert {"eu.ai_act.art5_1_f", "us_il.hb1806.no_ai_therapy", "consent.missing", "consent.withdrawn",
            "consent.expired", "consent.special_category", "input.consent_without_state", "us_ca.sb243.minor_break",
            "safety.crisis_protocol", "eu.ai_act.art50_3"} <= rule_ids
    assert {o["action"] for o in outputs} == {"pass", "annotate", "rewrite", "block"}


def test_the_inputs_carry_every_consent_state() -> None:
    """The admit inputs hold consents in every state, some consent without a state and some input without now."""
    admits = [admit for admit, _ in cases()]
    states = {record.get("state") for admit in admits for record in admit["consents"]}
    assert states == {"valid", "withdrawn", "expired", "pending", None}
    assert any("now" not in admit for admit in admits)
