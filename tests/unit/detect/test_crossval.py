"""Cross-validation helpers and the dataset generator's reproducibility."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from guard.detect.crossval import pen_of, summary
from guard.detect.dataset import Example
from guard.detect.patterns import TACTICS
from tests.unit.detect.handwritten_sets import load_script

DATA = Path(__file__).resolve().parents[3] / "datasets" / "manipulation"


def _example(id_: str, group: str, labels: set[str]) -> Example:
    return Example(id=id_, user="u", response="r", labels=frozenset(labels), group=group)


def test_pen_of_names_the_writing_round() -> None:
    """Round 1 groups have no prefix, round 2 groups start with `r2:`, the other author's ids with `written-`."""
    assert pen_of(_example("train-0001", "guilt/en#3", {"guilt"})) == "base"
    assert pen_of(_example("train-1500", "r2:guilt/en#3", {"guilt"})) == "r2"
    assert pen_of(_example("written-0007", "written/guilt#7", {"guilt"})) == "written"
    assert pen_of(_example("holdout-0007", "holdout/guilt#7", {"guilt"})) == "holdout_a"
    assert pen_of(_example("holdoutb-0007", "holdout_b/guilt#7", {"guilt"})) == "holdout_b"
    assert pen_of(_example("holdoutc-0007", "holdout_c/guilt#7", {"guilt"})) == "holdout_c"
    assert pen_of(_example("holdoutr-0007", "holdout_r/guilt#7", {"guilt"})) == "holdout_r"


def test_summary_counts_responses_and_tactics() -> None:
    """One hit, one miss, one false alarm: precision and recall 0.5 overall, per tactic as expected."""
    guilt, shaming = TACTICS.index("guilt"), TACTICS.index("shaming")
    examples = [_example("a", "a", {"guilt"}), _example("b", "b", {"shaming"}), _example("c", "c", set())]
    scores = np.zeros((3, len(TACTICS)))
    scores[0, guilt] = 0.9  # hit
    scores[1, shaming] = 0.4  # miss
    scores[2, guilt] = 0.6  # false alarm
    result = summary(scores, examples)
    assert result["overall"]["precision"] == 0.5
    assert result["overall"]["recall"] == 0.5
    assert result["per_tactic"]["guilt"]["precision"] == 0.5
    assert result["per_tactic"]["guilt"]["recall"] == 1.0
    assert result["per_tactic"]["shaming"]["recall"] == 0.0


def test_generator_reproduces_the_committed_files() -> None:
    """`make_dataset.py` rebuilds train, dev and test exactly as committed (the data is frozen and regenerable)."""
    module = load_script(DATA / "make_dataset.py", "make_dataset")
    source = yaml.safe_load((DATA / "phrases.yaml").read_text(encoding="utf-8"))
    built = module.build(source)
    for extra in sorted(DATA.glob("phrases_r*.yaml")):
        module.add_round(built, source, yaml.safe_load(extra.read_text(encoding="utf-8")))
    for split, items in built.items():
        committed = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert [item["id"] for item in items] == [row["id"] for row in committed]
        assert [(item["user"], item["response"], item["labels"]) for item in items] == [
            (row["user"], row["response"], row["labels"]) for row in committed
        ]


def test_texting_style_keeps_the_words() -> None:
    """The hurried-typing variant lower-cases, drops apostrophes and the final full stop, nothing else."""
    module = load_script(DATA / "make_dataset.py", "make_dataset")
    assert module.texting("You're So Dramatic, Don't.") == "youre so dramatic, dont"
    assert module.texting("Already?") == "already?"
