"""benchmarks/audit.py runs end to end on a tiny input and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "audit.py"


@pytest.mark.slow
def test_benchmark_runs_on_a_tiny_log(tmp_path: Path) -> None:
    """The benchmark prints its table and writes figures for both measures."""
    out = tmp_path / "audit.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--records", "300", "--appends", "200", "--dir", str(tmp_path),
         "--workers", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "append signed record p50 (ms)" in result.stdout
    figures = json.loads(out.read_text())
    assert figures["append"]["appends"] == 200
    assert figures["report"]["records"] == 300 + 2 * figures["report"]["chains"]
    assert figures["report"]["decisions_counted"] == 300
