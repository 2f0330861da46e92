"""`benchmarks/detect.py` runs on a tiny input and writes its JSON; it can score any split file.

The files scored here are built from dev rows in a temporary directory: the blind held-out set is
never read by these tests.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEV = ROOT / "datasets" / "manipulation" / "dev.jsonl"


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("detect_benchmark", ROOT / "benchmarks" / "detect.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(count: int, start: int = 0) -> str:
    return "\n".join(DEV.read_text(encoding="utf-8").splitlines()[start : start + count]) + "\n"


def test_benchmark_smoke(benchmark: ModuleType, tmp_path: Path) -> None:
    """On nine responses of the default splits the benchmark prints its tables and writes metrics and latency."""
    data = tmp_path / "data"
    data.mkdir()
    for name, rows in (("ad", _rows(5)), ("ae", _rows(4, start=30).replace('"id": "dev-', '"id": "holdoutae-'))):
        (data / f"holdout_{name}").mkdir()
        (data / f"holdout_{name}" / f"holdout_{name}.jsonl").write_text(rows, encoding="utf-8")
    out = tmp_path / "detect.json"
    benchmark.main(["--data", str(data), "--runs", "3", "--json", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["split"] == "holdout_ad,holdout_ae"
    assert result["responses"] == 9
    assert set(result["per_set"]) == {"base", "holdout_ae"}  # each author's set on its own too
    assert set(result["overall"]) == {"precision", "recall", "f1", "support"}
    assert len(result["per_tactic"]) == 16
    assert result["latency"]["bytes"] >= 1024
    assert result["latency"]["p50_ms"] > 0


def test_split_holdout_reads_holdout_jsonl_under_the_data_directory(benchmark: ModuleType, tmp_path: Path) -> None:
    """`--split holdout` scores `<data>/holdout/holdout.jsonl` (here a stand-in built from dev rows)."""
    (tmp_path / "holdout").mkdir()
    (tmp_path / "holdout" / "holdout.jsonl").write_text(_rows(7), encoding="utf-8")
    (tmp_path / "test.jsonl").write_text(_rows(3, start=20), encoding="utf-8")
    out = tmp_path / "detect.json"
    result = benchmark.main(["--data", str(tmp_path), "--split", "holdout", "--runs", "2", "--json", str(out)])
    assert result["split"] == "holdout"
    assert result["responses"] == 7
    assert json.loads(out.read_text(encoding="utf-8"))["responses"] == 7


def test_data_may_name_a_jsonl_file(benchmark: ModuleType, tmp_path: Path) -> None:
    """`--data FILE.jsonl` scores that file; its figures match scoring the same rows as a split."""
    rows = _rows(12, start=40)
    single = tmp_path / "mine.jsonl"
    single.write_text(rows, encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text(rows, encoding="utf-8")
    by_file = benchmark.main(["--data", str(single), "--runs", "2", "--json", str(tmp_path / "a.json")])
    by_split = benchmark.main(
        ["--data", str(tmp_path), "--split", "dev", "--runs", "2", "--json", str(tmp_path / "b.json")]
    )
    assert by_file["split"] == "mine.jsonl"
    assert by_file["responses"] == by_split["responses"] == 12
    assert by_file["overall"] == by_split["overall"]
    assert by_file["per_tactic"] == by_split["per_tactic"]


def test_unknown_split_is_refused(benchmark: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the named splits are accepted, alone or in a comma-separated list; the error names the stranger."""
    for value in ("holdouts", "holdout_x,holdout_nope"):
        with pytest.raises(SystemExit):
            benchmark.main(["--split", value])
        assert f"unknown split {value.split(',')[-1]}" in capsys.readouterr().err


def test_a_new_blind_set_is_found_by_its_name(benchmark: ModuleType, tmp_path: Path) -> None:
    """A blind set written after the benchmark (here `holdout_zz`) is scored by name, with no list to extend."""
    (tmp_path / "holdout_zz").mkdir()
    (tmp_path / "holdout_zz" / "holdout_zz.jsonl").write_text(_rows(6), encoding="utf-8")
    result = benchmark.main(["--data", str(tmp_path), "--split", "holdout_zz", "--runs", "2",
                             "--json", str(tmp_path / "zz.json")])
    assert result["split"] == "holdout_zz"
    assert result["responses"] == 6
