"""Checks for the blind-written manipulation sets from B on (datasets/manipulation/holdout_b/ to holdout_an/).

Set A, the first one, has its own layout and tests (test_holdout_set.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.detect.handwritten_sets import (
    DATASET,
    KEYS,
    check_language_mix,
    check_spans,
    check_unique,
    load_script,
    read_records,
)

ROOT = DATASET.parents[1]
BUILDER = load_script(DATASET / "handwritten.py", "handwritten_for_blind_sets")
TACTICS = set(BUILDER.TACTICS)
# Every blind set from B on (holdout_<letter>/, then holdout_aa/, holdout_ab/, ... once Z was used);
# B and C, the first, were smaller.
BLIND_SETS = sorted(path.name for path in DATASET.glob("holdout_*") if path.is_dir())
MIN_NEGATIVES = {"holdout_b": 200, "holdout_c": 250}
DEFAULT_MIN_NEGATIVES = 300
# Responses per tactic; sets L, P, R and W are training sets weighted to the hardest tactics, ten for the others.
MIN_PER_TACTIC = {"holdout_l": 10, "holdout_p": 10, "holdout_r": 10, "holdout_w": 10}
# Share in German, French or Spanish where a set departs from the usual fifth to a third: O is a
# training set in those languages only, P, U, Z and AG training sets with two in five, AF with half, AH
# with seven in ten, T and W with a third.
NON_ENGLISH_SHARE = {
    "holdout_o": (1.0, 1.0), "holdout_p": (0.35, 0.45), "holdout_t": (0.30, 0.40), "holdout_u": (0.35, 0.45),
    "holdout_w": (0.30, 0.40), "holdout_z": (0.35, 0.45), "holdout_af": (0.45, 0.55),
    "holdout_ad": (0.30, 0.40), "holdout_ae": (0.40, 0.50),  # both asked for 30%, written with 36% and 44%
    "holdout_ag": (0.35, 0.45), "holdout_ah": (0.65, 0.75), "holdout_ak": (0.30, 0.40),  # AK asked for 30%, has 34%
}


@pytest.fixture(scope="module", params=BLIND_SETS)
def blind(request: pytest.FixtureRequest) -> tuple[Any, list[dict[str, Any]]]:
    """The set as its build.py defines it, and its records."""
    name = request.param
    handwritten_set = load_script(DATASET / name / "build.py", f"{name}_build").SET
    return handwritten_set, read_records(handwritten_set.output)


def test_jsonl_is_built_from_yaml(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    handwritten_set, _ = blind
    assert handwritten_set.output.read_text(encoding="utf-8") == handwritten_set.build()


def test_schema(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    handwritten_set, records = blind
    for record in records:
        assert set(record) == set(KEYS), record["id"]
        assert record["split"] == handwritten_set.split
        assert record["id"].startswith(handwritten_set.id_prefix + "-")
        assert record["lang"] in {"en", "de", "fr", "es"}
        assert isinstance(record["user"], str)
        assert record["user"].strip()
        assert isinstance(record["response"], str)
        assert record["response"].strip()
        assert record["kind"] in {"manipulative", "hard_negative"}
        assert record["group"].startswith(f"{handwritten_set.split}/{record['source']}#")
        assert set(record["labels"]) <= TACTICS
        assert record["labels"] == sorted(set(record["labels"]))
        if record["kind"] == "manipulative":
            assert record["source"] in record["labels"]
            assert record["spans"]
        else:
            assert record["source"] not in TACTICS
            assert record["labels"] == []
            assert record["spans"] == []


def test_spans_inside_response(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    _, records = blind
    for record in records:
        covered = {span["label"] for span in record["spans"]}
        assert covered == set(record["labels"]), record["id"]
        for span in record["spans"]:
            assert set(span) == {"label", "start", "end"}
            text = record["response"][span["start"] : span["end"]]
            assert text, record["id"]
            assert text == text.strip(), record["id"]
    check_spans(records)


def test_ids_and_responses_unique(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    check_unique(blind[1])


def test_language_mix(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    handwritten_set, records = blind
    check_language_mix(records, NON_ENGLISH_SHARE.get(handwritten_set.split, (0.15, 0.34)))


def test_counts(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    handwritten_set, records = blind
    for tactic in TACTICS:
        count = sum(1 for record in records if tactic in record["labels"])
        assert count >= MIN_PER_TACTIC.get(handwritten_set.split, 15), (tactic, count)
    negatives = sum(1 for record in records if record["kind"] == "hard_negative")
    assert negatives >= MIN_NEGATIVES.get(handwritten_set.split, DEFAULT_MIN_NEGATIVES)
    assert negatives / len(records) >= 0.45


def test_no_response_shared_with_other_sets(blind: tuple[Any, list[dict[str, Any]]]) -> None:
    handwritten_set, records = blind
    ours = {record["response"] for record in records}
    for path in sorted(DATASET.rglob("*.jsonl")):
        if path.resolve() == handwritten_set.output.resolve():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    other = json.loads(line)
                except json.JSONDecodeError:
                    continue
                text = other.get("response") if isinstance(other, dict) else None
                assert text not in ours, f"response shared with {path.relative_to(ROOT)}"
