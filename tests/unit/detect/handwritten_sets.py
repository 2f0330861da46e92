"""Shared helpers for the tests of the hand-written manipulation sets (holdout A, holdout B, written)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

DATASET = Path(__file__).resolve().parents[3] / "datasets" / "manipulation"
KEYS = ["id", "split", "lang", "user", "response", "labels", "spans", "kind", "source", "group"]


def load_script(path: Path, name: str) -> ModuleType:
    """A dataset script (not a package module) loaded by path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
