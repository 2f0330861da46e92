"""The labelled corpus is well-formed, and the default analyzer meets the issue's targets on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guard.pii.analyzer import Analyzer
from guard.pii.entities import SUPPORTED_ENTITIES

CORPUS = Path(__file__).parents[2] / "data" / "pii" / "corpus.jsonl"
LEAK_FREE = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def test_corpus_is_well_formed(rows: list[dict[str, Any]]) -> None:
    """Every gold span lies inside its text, has a supported type, and every style is present."""
    assert {row["style"] for row in rows} == {"companion", "health", "support", "plain", "tricky"}
    for row in rows:
        for span in row["spans"]:
            assert 0 <= span["start"] < span["end"] <= len(row["text"])
            assert span["entity"] in SUPPORTED_ENTITIES
            assert row["text"][span["start"]:span["end"]].strip() == row["text"][span["start"]:span["end"]]


@pytest.mark.slow
def test_targets_hold_on_the_corpus(rows: list[dict[str, Any]], ner_analyzer: Analyzer) -> None:
    """No gold e-mail, phone, card, IBAN, SSN or IP is missed; names and places have recall >= 0.9."""
    missed: dict[str, int] = {}
    totals: dict[str, int] = {}
    false_positives = predicted = 0
    for row in rows:
        spans = ner_analyzer.analyze_batch([row["text"]], cache=False)[0]
        predicted += len(spans)
        gold = row["spans"]
        false_positives += sum(
            1 for s in spans
            if not any(g["entity"] == s.entity and s.start < g["end"] and g["start"] < s.end for g in gold)
        )
        for g in gold:
            totals[g["entity"]] = totals.get(g["entity"], 0) + 1
            if not any(s.entity == g["entity"] and s.start < g["end"] and g["start"] < s.end for s in spans):
                missed[g["entity"]] = missed.get(g["entity"], 0) + 1
    for entity in LEAK_FREE:
        assert missed.get(entity, 0) == 0, entity
    for entity in ("PERSON", "LOCATION"):
        assert 1 - missed.get(entity, 0) / totals[entity] >= 0.9, entity
    assert 1 - false_positives / predicted >= 0.9
