"""`benchmarks/detect.py` runs on a tiny input and writes its JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_benchmark_smoke(tmp_path: Path) -> None:
    """On five test responses the benchmark prints its tables and writes metrics and latency."""
    spec = importlib.util.spec_from_file_location("detect_benchmark", ROOT / "benchmarks" / "detect.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = tmp_path / "data"
    data.mkdir()
    rows = (ROOT / "datasets" / "manipulation" / "test.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (data / "test.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "detect.json"
    module.main(["--data", str(data), "--runs", "3", "--json", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["responses"] == 5
    assert set(result["overall"]) == {"precision", "recall", "f1", "support"}
    assert len(result["per_tactic"]) == 16
    assert result["latency"]["bytes"] >= 1024
    assert result["latency"]["p50_ms"] > 0
