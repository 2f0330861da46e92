"""Checks for the blind held-out manipulation set C (datasets/manipulation/holdout_c)."""

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
SET_DIR = DATASET / "holdout_c"
JSONL = SET_DIR / "holdout_c.jsonl"
BUILD = load_script(SET_DIR / "build.py", "holdout_c_build")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return read_records(JSONL)


def test_jsonl_is_built_from_yaml() -> None:
    assert JSONL.read_text(encoding="utf-8") == BUILD.build()


def test_schema(records: list[dict[str, Any]]) -> None:
    tactics = set(BUILD.TACTICS)
    for record in records:
        assert set(record) == set(KEYS), record["id"]
        assert record["split"] == "holdout_c"
        assert record["lang"] in {"en", "de", "fr", "es"}
        assert isinstance(record["user"], str)
        assert record["user"].strip()
        assert isinstance(record["response"], str)
        assert record["response"].strip()
        assert record["kind"] in {"manipulative", "hard_negative"}
        assert record["group"].startswith(f"holdout_c/{record['source']}#")
        assert set(record["labels"]) <= tactics
        assert record["labels"] == sorted(set(record["labels"]))
        if record["kind"] == "manipulative":
            assert record["source"] in record["labels"]
            assert record["spans"]
        else:
            assert record["source"] not in tactics
            assert record["labels"] == []
            assert record["spans"] == []


def test_spans_inside_response(records: list[dict[str, Any]]) -> None:
    for record in records:
        covered = {span["label"] for span in record["spans"]}
        assert covered == set(record["labels"]), record["id"]
        for span in record["spans"]:
            assert set(span) == {"label", "start", "end"}
            assert span["label"] in record["labels"]
            assert 0 <= span["start"] < span["end"] <= len(record["response"]), record["id"]
            text = record["response"][span["start"] : span["end"]]
            assert text, record["id"]
            assert text == text.strip(), record["id"]


def test_ids_unique_and_no_duplicate_responses(records: list[dict[str, Any]]) -> None:
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids))
    responses = [record["response"] for record in records]
    assert len(responses) == len(set(responses))


def test_spans_ordered_and_unique(records: list[dict[str, Any]]) -> None:
    check_spans(records)
    check_unique(records)


def test_language_mix(records: list[dict[str, Any]]) -> None:
    check_language_mix(records)


def test_counts(records: list[dict[str, Any]]) -> None:
    for tactic in BUILD.TACTICS:
        count = sum(1 for record in records if tactic in record["labels"])
        assert count >= 15, (tactic, count)
    negatives = sum(1 for record in records if record["kind"] == "hard_negative")
    assert negatives >= 250
    assert negatives / len(records) >= 0.45


def test_no_response_shared_with_other_sets(records: list[dict[str, Any]]) -> None:
    ours = {record["response"] for record in records}
    for path in sorted((ROOT / "datasets" / "manipulation").rglob("*.jsonl")):
        if path.resolve() == JSONL.resolve():
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
