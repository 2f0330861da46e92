"""benchmarks/load.py runs end to end on a tiny input: real upstream, real `guard serve`, table and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_benchmark_quick_mode_prints_its_table_and_writes_json(tmp_path: Path) -> None:
    """--quick: one worker, a few clients, a short growth run; every request succeeds."""
    out = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--quick", "--delay", "0.05", "--modes", "json",
         "stream", "--requests", "12", "--growth", "24", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "added p50" in result.stdout
    report = json.loads(out.read_text())
    assert {row["mode"] for row in report["runs"]} == {"json", "stream"}
    for row in report["runs"]:
        assert row["requests"] == 12
        assert row["errors_proxy"] == row["errors_direct"] == 0
        assert row["proxy_p50_ms"] >= row["direct_p50_ms"] > 40
        assert row["peak_rss_mb"] > 50
    growth = report["memory_growth"]
    assert growth["exchanges"] == 24
    assert growth["errors"] == 0
    assert growth["samples"][-1]["exchanges"] >= 20
