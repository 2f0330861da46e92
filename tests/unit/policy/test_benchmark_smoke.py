"""benchmarks/policy.py runs end to end on a tiny input and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "policy.py"


def test_policy_benchmark_runs_on_a_tiny_input(tmp_path: Path) -> None:
    """A few pairs and a short reload run produce every figure; no request fails during reloads."""
    spec = importlib.util.spec_from_file_location("policy_benchmark", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "policy.json"
    result = module.main(["--pairs", "30", "--reload-seconds", "1.2", "--json", str(out)])
    assert json.loads(out.read_text()) == result
    assert result["evaluation"]["pair"]["p50_ms"] > 0
    assert result["reload"]["requests_failed"] == 0
    assert result["reload"]["broken_edit_rejected"] is True
