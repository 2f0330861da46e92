"""benchmarks/pii.py runs end to end on a tiny slice of the corpus and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


@pytest.mark.slow
def test_benchmark_smoke(tmp_path: Path) -> None:
    """A 10-message run against stock Presidio prints the tables and writes every section."""
    out = tmp_path / "pii.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pii.py"), "--limit", "10", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "leak rate" in run.stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert {"ours", "stock", "leaks", "speed", "conversation", "stage", "targets"} <= set(result)
    assert result["speed"]["speedup_cpu"] > 0
    assert result["stage"]["request: new message"]["ours_cpu_ms_mean"] > 0
