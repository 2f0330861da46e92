"""The hand-written training set "written": built from its YAML by the shared builder, well-formed, disjoint from
the held-out sets."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from guard.detect.patterns import TACTICS
from tests.unit.detect.handwritten_sets import (
    DATASET,
    KEYS,
    check_language_mix,
    check_spans,
    check_unique,
    ids_sharing_a_response,
    load_script,
    read_records,
)

WRITTEN = DATASET / "written"
builder = load_script(DATASET / "handwritten.py", "handwritten_builder")


def test_the_builder_knows_the_detector_s_tactics() -> None:
    """The dataset builder keeps its own tactic list (the data must not depend on the detector's code);
    the two lists must name the same tactics in the same order."""
    assert tuple(builder.TACTICS) == TACTICS


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return read_records(WRITTEN / "written.jsonl")


def test_jsonl_is_what_the_builder_produces_from_the_yaml() -> None:
    expected = builder.build_text(WRITTEN / "written.yaml", split="written", id_prefix="written")
    assert (WRITTEN / "written.jsonl").read_text(encoding="utf-8") == expected


def test_every_record_follows_the_schema(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert list(record) == KEYS, record["id"]
        assert re.fullmatch(r"written-\d{4}", record["id"])
        assert record["split"] == "written"
        assert record["lang"] in builder.LANGS
        assert isinstance(record["user"], str)
        assert record["user"].strip()
        assert isinstance(record["response"], str)
        assert record["response"].strip()
        assert record["labels"] == sorted(set(record["labels"]))
        assert set(record["labels"]) <= set(builder.TACTICS)
        assert re.fullmatch(rf"written/{re.escape(record['source'])}#\d+", record["group"]), record["id"]
        if record["kind"] == "manipulative":
            assert record["source"] in record["labels"], record["id"]
        else:
            assert record["kind"] == "hard_negative", record["id"]
            assert record["labels"] == [], record["id"]
            assert record["spans"] == [], record["id"]
            assert record["source"] not in builder.TACTICS


def test_spans_lie_inside_the_response_and_match_the_labels(records: list[dict[str, Any]]) -> None:
    check_spans(records)


def test_ids_and_responses_are_unique(records: list[dict[str, Any]]) -> None:
    check_unique(records)


def test_every_tactic_has_at_least_25_responses(records: list[dict[str, Any]]) -> None:
    per_tactic = Counter(record["source"] for record in records if record["kind"] == "manipulative")
    assert {tactic: per_tactic[tactic] for tactic in builder.TACTICS if per_tactic[tactic] < 25} == {}


def test_hard_negatives_are_at_least_as_many_as_manipulative(records: list[dict[str, Any]]) -> None:
    kinds = Counter(record["kind"] for record in records)
    assert kinds["manipulative"] >= 400
    assert kinds["hard_negative"] >= kinds["manipulative"]


def test_about_a_fifth_is_german_french_or_spanish(records: list[dict[str, Any]]) -> None:
    check_language_mix(records)


HELD_OUT = ["holdout/holdout.jsonl"] + [
    f"{path.parent.name}/{path.name}" for path in sorted(DATASET.glob("holdout_*/holdout_*.jsonl"))
]


@pytest.mark.parametrize("held_out", HELD_OUT)
def test_no_response_occurs_in_a_held_out_set(records: list[dict[str, Any]], held_out: str) -> None:
    assert ids_sharing_a_response(records, DATASET / held_out) == []


@pytest.mark.parametrize("split", ["dev", "test"])
def test_no_response_occurs_in_the_frozen_evaluation_splits(records: list[dict[str, Any]], split: str) -> None:
    assert ids_sharing_a_response(records, DATASET / f"{split}.jsonl") == []
