"""Training, calibration, the shipped model file and the frozen dataset."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from guard.detect.dataset import load_split
from guard.detect.model import load_model, shipped_model_path
from guard.detect.patterns import TACTICS
from guard.detect.train import fit_platt, main

DATA = Path(__file__).resolve().parents[3] / "datasets" / "manipulation"


def test_platt_recovers_a_known_calibration() -> None:
    """On data drawn from sigmoid(2m - 1), Platt scaling finds a ~ 2 and b ~ -1."""
    rng = np.random.default_rng(0)
    margins = rng.normal(0, 2, 20000)
    targets = (rng.random(20000) < 1 / (1 + np.exp(-(2 * margins - 1)))).astype(int)
    a, b = fit_platt(margins, targets, prior=0.0)
    assert a == pytest.approx(2.0, abs=0.15)
    assert b == pytest.approx(-1.0, abs=0.15)


def test_platt_stays_finite_on_separable_data() -> None:
    """Perfectly separated margins still give a finite, positive slope."""
    margins = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    a, b = fit_platt(margins, np.array([0, 0, 0, 1, 1, 1]))
    assert 0 < a < 50
    assert np.isfinite(b)


def test_shipped_model_was_trained_on_the_committed_data() -> None:
    """The model card's dataset digest matches train+dev as committed (retrain after editing data)."""
    card = json.loads(shipped_model_path().with_suffix(".json").read_text(encoding="utf-8"))
    sha = hashlib.sha256()
    for split in ("train", "dev"):
        sha.update((DATA / f"{split}.jsonl").read_bytes())
    assert card["dataset_sha256"] == sha.hexdigest()
    assert shipped_model_path().stat().st_size < 1_000_000


@pytest.mark.slow
def test_training_script_writes_a_loadable_model(tmp_path: Path) -> None:
    """`python -m guard.detect.train` on a small dataset writes a model that loads and scores."""
    small = tmp_path / "data"
    small.mkdir()
    for split in ("train", "dev"):
        rows = (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        keep = rows[: 120 if split == "train" else 40]
        (small / f"{split}.jsonl").write_text("\n".join(keep) + "\n", encoding="utf-8")
    shutil.copy(DATA / "test.jsonl", small / "test.jsonl")
    out = tmp_path / "model.npz"
    main(["--data", str(small), "--out", str(out), "--folds", "2"])
    model = load_model(out)
    assert model.tactics == TACTICS
    assert np.all(model.platt_a > 0)
    assert out.with_suffix(".json").is_file()


def test_dataset_meets_its_specification() -> None:
    """>= 600 responses, every tactic in every split, >= 40% hard negatives, de/fr/es present."""
    splits = {name: load_split(DATA, name) for name in ("train", "dev", "test")}
    everything = [example for examples in splits.values() for example in examples]
    assert len(everything) >= 600
    assert sum(not example.labels for example in everything) / len(everything) >= 0.40
    for examples in splits.values():
        covered = Counter(label for example in examples for label in example.labels)
        assert set(covered) == set(TACTICS)
    assert {"de", "fr", "es"} <= {example.lang for example in everything}
    for example in everything:
        assert example.user
        for label, start, end in example.spans:
            assert label in TACTICS
            assert 0 <= start < end <= len(example.response)


def test_test_split_phrasings_never_occur_in_training_data() -> None:
    """No labelled sentence or source phrase of the test split appears in train or dev."""
    def sentences(split: str) -> set[str]:
        return {ex.response[s:e] for ex in load_split(DATA, split) for _, s, e in ex.spans}

    def groups(split: str) -> set[str]:
        return {ex.group for ex in load_split(DATA, split)}

    seen = sentences("train") | sentences("dev")
    assert not sentences("test") & seen
    assert not groups("test") & (groups("train") | groups("dev"))
