"""Shared helpers for the dataset tests: loading dataset scripts by path, checks shared by the hand-written sets."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DATASET = Path(__file__).resolve().parents[3] / "datasets" / "manipulation"
KEYS = ["id", "split", "lang", "user", "response", "labels", "spans", "kind", "source", "group"]


def load_script(path: Path, name: str) -> ModuleType:
    """A dataset script (not a package module) loaded by path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def check_spans(records: list[dict[str, Any]]) -> None:
    """Spans are in order, do not overlap, lie inside the response, cover no blank edge, and name exactly the labels."""
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


def check_unique(records: list[dict[str, Any]]) -> None:
    assert len({record["id"] for record in records}) == len(records)
    duplicated = [text for text, count in Counter(record["response"] for record in records).items() if count > 1]
    assert duplicated == []


def check_language_mix(records: list[dict[str, Any]], share: tuple[float, float] = (0.15, 0.34)) -> None:
    """About a fifth to a third German, French or Spanish (`share`: the bounds), each of them present."""
    languages = Counter(record["lang"] for record in records)
    assert share[0] <= 1 - languages["en"] / len(records) <= share[1]  # sets H to N: 28-32%
    assert all(languages[lang] > 0 for lang in ("de", "fr", "es"))


def ids_sharing_a_response(records: list[dict[str, Any]], path: Path) -> list[str]:
    """Ids of `records` whose response text also occurs in the JSON-lines file `path` (skip if it is absent)."""
    if not path.exists():
        pytest.skip(f"{path.name} is not in this checkout")
    other = {json.loads(line)["response"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return sorted(record["id"] for record in records if record["response"] in other)
