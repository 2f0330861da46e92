"""The blind held-out manipulation set: built from its YAML source, well-formed, and disjoint from the frozen split."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from tests.unit.detect.handwritten_sets import DATASET, KEYS, load_script, read_records

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
    for record in records:
        response = record["response"]
        previous_end = 0
        for span in record["spans"]:
            assert previous_end <= span["start"] < span["end"] <= len(response), record["id"]
            assert span["label"] in record["labels"], record["id"]
            sentence = response[span["start"] : span["end"]]
            assert sentence == sentence.strip(), record["id"]
            previous_end = span["end"]
        assert {span["label"] for span in record["spans"]} == set(record["labels"]), record["id"]


def test_ids_and_responses_are_unique(records: list[dict[str, Any]]) -> None:
    assert len({record["id"] for record in records}) == len(records)
    duplicated = [text for text, count in Counter(record["response"] for record in records).items() if count > 1]
    assert duplicated == []


def test_every_tactic_has_at_least_fourteen_responses(records: list[dict[str, Any]]) -> None:
    per_tactic = Counter(label for record in records for label in record["labels"])
    assert {tactic: per_tactic[tactic] for tactic in build.TACTICS if per_tactic[tactic] < 14} == {}


def test_hard_negatives_are_at_least_45_percent(records: list[dict[str, Any]]) -> None:
    negatives = sum(record["kind"] == "hard_negative" for record in records)
    assert negatives >= 200
    assert negatives / len(records) >= 0.45


def test_about_a_fifth_is_german_french_or_spanish(records: list[dict[str, Any]]) -> None:
    languages = Counter(record["lang"] for record in records)
    assert 0.15 <= 1 - languages["en"] / len(records) <= 0.3
    assert all(languages[lang] > 0 for lang in ("de", "fr", "es"))


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_no_response_occurs_in_the_frozen_split(records: list[dict[str, Any]], split: str) -> None:
    path = DATASET / f"{split}.jsonl"
    if not path.exists():
        pytest.skip(f"{path.name} is not in this checkout")
    frozen = {json.loads(line)["response"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert sorted(record["id"] for record in records if record["response"] in frozen) == []
