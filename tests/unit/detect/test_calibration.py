"""Response-level calibration: a sentence's margin, its corroboration and the answer's length."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from guard.detect.detector import ManipulationDetector
from guard.detect.model import CORROBORATION_FLOOR, LinearModel, corroboration, load_model
from guard.detect.train import fit_logistic


def test_the_strongest_sentence_is_corroborated_by_the_runner_up_and_the_others_by_themselves() -> None:
    margins = np.array([[2.0, -9.0], [0.5, -7.0], [-1.0, -8.0]], dtype=np.float32)
    assert corroboration(margins).tolist() == [[0.5, CORROBORATION_FLOOR], [0.5, CORROBORATION_FLOOR], [-1.0, -5.0]]


def test_a_single_sentence_has_only_the_floor() -> None:
    margins = np.array([[3.0, -1.0]], dtype=np.float32)
    assert corroboration(margins).tolist() == [[CORROBORATION_FLOOR, CORROBORATION_FLOOR]]


def _with_corroboration(model: LinearModel, c: float, d: float) -> LinearModel:
    tactics = len(model.tactics)
    return dataclasses.replace(
        model, platt_c=np.full(tactics, c, dtype=np.float32), platt_d=np.full(tactics, d, dtype=np.float32)
    )


@given(
    arrays(np.float32, st.tuples(st.integers(1, 8), st.just(16)), elements=st.floats(-20, 20, width=32)),
    st.floats(0, 2), st.floats(-3, 0),
)
def test_the_strongest_sentence_keeps_the_highest_score(margins: np.ndarray, c: float, d: float) -> None:
    """With a non-negative corroboration weight the order of sentences within a tactic is kept at
    the top: the answer's score per tactic is its strongest sentence's, read with the runner-up."""
    model = _with_corroboration(load_model(), c, d)
    scores = model.calibrate(margins)
    top = margins.argmax(axis=0)
    assert np.array_equal(scores[top, np.arange(16)], scores.max(axis=0))
    runner_up = np.sort(margins, axis=0)[-2] if len(margins) > 1 else np.full(16, CORROBORATION_FLOOR)
    z = model.platt_a * margins.max(axis=0) + model.platt_b + c * np.maximum(runner_up, CORROBORATION_FLOOR)
    z += d * np.log(len(margins))
    assert np.allclose(scores.max(axis=0), 1 / (1 + np.exp(-np.clip(z, -30, 30))), atol=1e-5)


def test_a_corroborated_sentence_scores_higher_and_a_long_answer_lower() -> None:
    model = _with_corroboration(load_model(), 0.5, -1.0)
    alone = model.calibrate(np.array([[1.0] * 16, [-9.0] * 16], dtype=np.float32)).max(axis=0)
    backed = model.calibrate(np.array([[1.0] * 16, [0.5] * 16], dtype=np.float32)).max(axis=0)
    longer = model.calibrate(np.array([[1.0] * 16, [-9.0] * 16], dtype=np.float32), sentences=8).max(axis=0)
    assert np.all(backed > alone)
    assert np.all(longer < alone)


def test_the_logistic_fit_recovers_a_known_calibration() -> None:
    """On data drawn from sigmoid(1.5 m + 0.5 c - 1 l + 0.5), the fit finds those weights."""
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(0, 2, 30000), rng.normal(-2, 2, 30000), np.log(rng.integers(1, 10, 30000))])
    truth = np.array([1.5, 0.5, -1.0])
    y = (rng.random(30000) < 1 / (1 + np.exp(-(x @ truth + 0.5)))).astype(int)
    weights, intercept = fit_logistic(x, y, prior_mean=np.array([1.0, 0.0, 0.0]), prior=0.0)
    assert weights == pytest.approx(truth, abs=0.1)
    assert intercept == pytest.approx(0.5, abs=0.15)


def test_the_calibration_survives_saving(tmp_path: Path) -> None:
    model = _with_corroboration(load_model(), 0.4, -0.7)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    assert loaded.platt_c is not None
    assert loaded.platt_d is not None
    assert np.allclose(loaded.platt_c, 0.4)
    assert np.allclose(loaded.platt_d, -0.7)


def test_a_model_without_corroboration_scores_each_sentence_on_its_own(tmp_path: Path) -> None:
    """Format 2 files (no corroboration weights) still load and calibrate a sentence by its margin."""
    model = dataclasses.replace(load_model(), platt_c=None, platt_d=None)
    margins = np.array([[1.0] * 16, [0.5] * 16], dtype=np.float32)
    expected = 1 / (1 + np.exp(-np.clip(model.platt_a * margins + model.platt_b, -30, 30)))
    assert np.allclose(model.calibrate(margins), expected, atol=1e-6)


def test_streamed_checks_report_only_new_sentences_but_read_the_whole_answer() -> None:
    """`since` limits what is reported, not what is read: a new sentence's score counts the earlier ones."""
    detector = ManipulationDetector(_with_corroboration(load_model(), 0.5, -0.5))
    answer = "Please don't go. I'll be so lonely without you. Stay with me a little longer."
    user = "ok I have to go now, bye!"
    since = answer.index("Stay")
    streamed = detector.analyze(answer, user=user, final=False, since=since)
    whole = detector.analyze(answer, user=user)
    assert streamed
    assert all(f.start >= since for f in streamed)
    assert {(f.label, f.start, f.score) for f in streamed} <= {(f.label, f.start, f.score) for f in whole}
