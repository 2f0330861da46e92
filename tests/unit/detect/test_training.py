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
from guard.detect.train import TRAINING_FILES, dataset_digest, fit_platt, grouped_folds, load_training, main, prepare

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
    """The model card's dataset digest matches the training files as committed (retrain after editing data)."""
    card = json.loads(shipped_model_path().with_suffix(".json").read_text(encoding="utf-8"))
    sha = hashlib.sha256()
    for name in TRAINING_FILES:
        sha.update((DATA / name).read_bytes())
    # The test, the confirmation sets and the next test.
    unseen = ("holdout_ad", "holdout_ae", "holdout_ai", "holdout_aj", "holdout_ak", "holdout_al", "holdout_am",
              "holdout_an")
    assert not any(name in file for file in TRAINING_FILES for name in unseen)
    assert card["dataset_sha256"] == sha.hexdigest() == dataset_digest(DATA)
    assert shipped_model_path().stat().st_size < 4_500_000  # "small": 4.1 MB with 37,068 training responses


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


# SHA-256 of the first round's test split as it was measured on before it was retired.
RETIRED_TEST_SHA256 = "41e5d50bf1bce4576ea0701fc02c5ebc56bccbb7fba35440f04c22dbf271775b"


def test_retired_test_split_is_kept_as_it_was() -> None:
    """Folding the old test split into training did not rewrite it: its past figures stay reproducible."""
    assert hashlib.sha256((DATA / "test.jsonl").read_bytes()).hexdigest() == RETIRED_TEST_SHA256


def test_second_round_is_training_data_only() -> None:
    """Phrasings of the second writing round (groups `r2:`) are in train and dev, never in test."""
    test_groups = {ex.group for ex in load_split(DATA, "test")}
    later = {ex.group for split in ("train", "dev") for ex in load_split(DATA, split) if ex.group.startswith("r2:")}
    assert len(later) > 300
    assert not test_groups & later


def test_grouped_folds_never_split_a_source_phrase() -> None:
    """All variants of one source phrase land in the same cross-validation fold."""
    examples = load_training(DATA)
    fold_of: dict[str, int] = {}
    for example, fold in zip(examples, grouped_folds(examples, 5), strict=True):
        assert fold_of.setdefault(example.group, fold) == fold
    assert set(fold_of.values()) == set(range(5))


def test_pattern_hits_are_also_learned_without_the_pattern() -> None:
    """A sentence with a pattern hit is trained twice: with and without its `P:` features, same labels."""
    example = next(
        ex for ex in load_split(DATA, "train") if ex.labels == {"guilt"} and "After everything" in ex.response
    )
    prepared = prepare(example)
    assert prepared.unpatterned
    assert all("guilt" in label for label in prepared.unpatterned_labels)
    assert not set(map(frozenset, prepared.unpatterned)) & set(map(frozenset, prepared.rows))
