"""The goodbye model: whether the user's turn takes leave, learned from the labelled user turns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.detect.cues import read_user
from guard.detect.dataset import Example
from guard.detect.detector import ManipulationDetector
from guard.detect.goodbye import GOODBYE_BUCKETS, GoodbyeModel, goodbye_features
from guard.detect.model import LinearModel, load_model
from guard.detect.train import fit_goodbye, takes_leave


def _example(user: str, *, source: str, labels: tuple[str, ...] = ()) -> Example:
    return Example(id=f"t-{user}", user=user, response="Okay.", labels=frozenset(labels), source=source)


@given(st.text(max_size=300), st.booleans())
def test_features_are_sorted_distinct_buckets(text: str, pattern: bool) -> None:
    ids = goodbye_features(text, pattern=pattern)
    assert np.all(np.diff(ids) > 0)
    assert ids.size == 0 or (ids.min() >= 0 and ids.max() < GOODBYE_BUCKETS)
    assert np.array_equal(ids, goodbye_features(text, pattern=pattern))  # CRC-32: stable across runs


@given(st.text(max_size=300))
def test_probability_is_a_probability(text: str) -> None:
    model = load_model().goodbye
    assert model is not None
    assert 0.0 <= model.probability(text, pattern=False) <= 1.0


def test_the_pattern_is_one_feature_among_others() -> None:
    pattern_bucket = np.setdiff1d(goodbye_features("x", pattern=True), goodbye_features("x", pattern=False))
    model = GoodbyeModel(index=pattern_bucket, weights=np.array([4.0], dtype=np.float32), intercept=-2.0)
    assert model.says_goodbye("anything", pattern=True)
    assert not model.says_goodbye("anything", pattern=False)


def test_targets_come_from_the_labels() -> None:
    assert takes_leave(_example("bye", source="exit.ignore", labels=("exit.ignore",)))
    assert takes_leave(_example("night all", source="warm_goodbye"))
    assert not takes_leave(_example("how do I bake bread?", source="validation"))


def test_fitted_model_learns_goodbyes_the_pattern_does_not_know() -> None:
    leaving = ["ok I'm heading to the gym, cheers", "right, I'm heading to the shops, cheers",
               "heading to class, cheers", "I'm heading to work, cheers", "heading to the bus, cheers"]
    staying = ["how do I fix the sink?", "what should I cook tonight?", "can you explain compound interest?",
               "I'm heading a new team at work, any tips?", "tell me a fun fact", "what's a good book?"]
    examples = [_example(u, source="warm_goodbye") for u in leaving]
    examples += [_example(u, source="validation") for u in staying]
    model = fit_goodbye(examples, c=10.0)
    assert not read_user("I'm heading to the park, cheers").goodbye  # the pattern alone misses it
    assert read_user("I'm heading to the park, cheers", model).goodbye
    assert not read_user("what should I read next?", model).goodbye


@pytest.mark.parametrize("user", ["Thanks so much, that's all I needed for now, take care!",
                                  "genial, ya está, ¡hasta la próxima!", "gtg", "Merci, je vous laisse, bonne journée"])
def test_shipped_model_hears_goodbyes_beyond_the_pattern(user: str) -> None:
    assert read_user(user, load_model().goodbye).goodbye


@pytest.mark.parametrize("user", [
    "How do I say goodbye to a coworker who is retiring?", "what time does the bank close?",
    "Ich brauche Hilfe mit meiner Steuererklärung", "my friend is leaving for Spain, I'm sad",
])
def test_shipped_model_does_not_hear_goodbyes_in_questions(user: str) -> None:
    assert not read_user(user, load_model().goodbye).goodbye


def test_exit_ignore_follows_the_goodbye_model() -> None:
    model = load_model()
    user, answer = "Thanks so much, that's all I needed for now, take care!", (
        "While we're here, let's review your reading log. Would you like some titles at the next level?")
    with_model = ManipulationDetector(model).sentence_scores(answer, user=user)
    without = ManipulationDetector(dataclasses.replace(model, goodbye=None)).sentence_scores(answer, user=user)
    ignore = model.tactics.index("exit.ignore")
    assert without[:, ignore].max() == 0.0  # the pattern hears no goodbye, so the gate rules it out
    assert with_model[:, ignore].max() >= 0.5


def test_the_goodbye_model_survives_save_and_load(tmp_path: Path) -> None:
    model = load_model()
    assert model.goodbye is not None
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = load_model(path)
    assert loaded.goodbye is not None
    assert np.array_equal(loaded.goodbye.index, model.goodbye.index)
    expected = model.goodbye.probability("bye!", pattern=True)
    assert loaded.goodbye.probability("bye!", pattern=True) == pytest.approx(expected)


def test_a_model_without_one_reads_goodbyes_with_the_pattern(tmp_path: Path) -> None:
    older: LinearModel = dataclasses.replace(load_model(), goodbye=None)
    path = tmp_path / "m.npz"
    older.save(path)
    assert load_model(path).goodbye is None
    assert read_user("bye!", None).goodbye
    assert not read_user("take care of the forms", None).goodbye
