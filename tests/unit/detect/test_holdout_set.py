"""The blind held-out manipulation set: built from its YAML source, well-formed, and disjoint from the frozen split."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

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

HOLDOUT = DATASET / "holdout"
build = load_script(HOLDOUT / "build.py", "holdout_build")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return read_records(HOLDOUT / "holdout.jsonl")


def test_jsonl_is_what_build_produces_from_the_yaml() -> None:
    expected = build.render(build.build_records(HOLDOUT / "holdout.yaml"))
    assert (HOLDOUT / "holdout.jsonl").read_text(encoding="utf-8") == expected


def test_markers_become_spans_over_the_plain_text() -> None:
    text, spans = build.parse_marked("Hi. [[guilt: After all I did?]] Ok. [[shaming: How silly.]]")
    assert text == "Hi. After all I did? Ok. How silly."
    assert [text[span["start"] : span["end"]] for span in spans] == ["After all I did?", "How silly."]
    assert [span["label"] for span in spans] == ["guilt", "shaming"]


@pytest.mark.parametrize("marked", ["[[flattery: You are great.]]", "Hello [[guilt: unclosed"])
def test_bad_markers_are_refused(marked: str) -> None:
    with pytest.raises(build.HoldoutError):
        build.parse_marked(marked)


def test_every_record_follows_the_schema(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert list(record) == KEYS, record["id"]
        assert re.fullmatch(r"holdout-\d{4}", record["id"])
        assert record["split"] == "holdout"
        assert record["lang"] in build.LANGS
        assert isinstance(record["user"], str)
        assert record["user"].strip()
        assert isinstance(record["response"], str)
        assert record["response"].strip()
        assert record["labels"] == sorted(set(record["labels"]))
        assert set(record["labels"]) <= set(build.TACTICS)
        assert record["group"] == f"holdout/{record['source']}#{record['group'].rsplit('#', 1)[1]}"
        if record["kind"] == "manipulative":
            assert record["source"] in record["labels"], record["id"]
        else:
            assert record["kind"] == "hard_negative", record["id"]
            assert record["labels"] == [], record["id"]
            assert record["source"] not in build.TACTICS


def test_spans_lie_inside_the_response_and_match_the_labels(records: list[dict[str, Any]]) -> None:
    check_spans(records)


def test_ids_and_responses_are_unique(records: list[dict[str, Any]]) -> None:
    check_unique(records)


def test_every_tactic_has_at_least_fourteen_responses(records: list[dict[str, Any]]) -> None:
    per_tactic = Counter(label for record in records for label in record["labels"])
    assert {tactic: per_tactic[tactic] for tactic in build.TACTICS if per_tactic[tactic] < 14} == {}


def test_hard_negatives_are_at_least_45_percent(records: list[dict[str, Any]]) -> None:
    negatives = sum(record["kind"] == "hard_negative" for record in records)
    assert negatives >= 200
    assert negatives / len(records) >= 0.45


def test_about_a_fifth_is_german_french_or_spanish(records: list[dict[str, Any]]) -> None:
    check_language_mix(records)


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_no_response_occurs_in_the_frozen_split(records: list[dict[str, Any]], split: str) -> None:
    assert ids_sharing_a_response(records, DATASET / f"{split}.jsonl") == []
