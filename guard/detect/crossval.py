"""Generalisation estimates for development: grouped cross-validation and leave-one-pen-out.

    python -m guard.detect.crossval [--data datasets/manipulation] [--by group|pen]

`--by group` (default): k-fold cross-validation grouped by source phrase, so variants of one
sentence never sit on both sides; every response gets an out-of-fold score (calibrated on the
out-of-fold margins, as in training). `--by pen`: the dataset's phrasings come from different pens
(`base` and `r2`, the two rounds of phrases*.yaml, and the hand-written sets, each by another
author: `written` and the blind sets folded into training; see `guard.detect.dataset.pen_of`); each
is scored by a model trained and calibrated on the others only. That is the closer proxy for new
phrasings by a different writer. Both read only the training files, never the final blind set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guard.detect.dataset import Example, pen_of
from guard.detect.detector import ManipulationDetector
from guard.detect.model import LinearModel
from guard.detect.patterns import TACTICS
from guard.detect.train import add_model_arguments, load_training, model_options, train_examples

__all__ = ["main", "pen_of", "scores_of", "summary"]

THRESHOLD = 0.5


def scores_of(model: LinearModel, examples: Sequence[Example]) -> npt.NDArray[np.float64]:
    """Calibrated response-level scores: the highest sentence score per tactic."""
    detector = ManipulationDetector(model)
    out = np.zeros((len(examples), len(TACTICS)))
    for n, example in enumerate(examples):
        scores = detector.sentence_scores(example.response, user=example.user)
        if len(scores):
            out[n] = scores.max(axis=0)
    return out


def summary(
    scores: npt.NDArray[np.float64], examples: Sequence[Example], threshold: float = THRESHOLD
) -> dict[str, Any]:
    """Precision, recall and F1 for "manipulative vs not" and per tactic at `threshold`."""
    predicted: npt.NDArray[np.bool_] = np.asarray(scores >= threshold)
    gold = np.array([[t in ex.labels for t in TACTICS] for ex in examples], dtype=bool).reshape(-1, len(TACTICS))

    def prf(pred: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> dict[str, float]:
        tp = int((pred & true).sum())
        precision = tp / int(pred.sum()) if pred.any() else 1.0
        recall = tp / int(true.sum()) if true.any() else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "n": int(true.sum())}

    return {
        "responses": len(examples),
        "overall": prf(np.asarray(predicted.any(axis=1)), np.asarray(gold.any(axis=1))),
        "per_tactic": {t: prf(predicted[:, i], gold[:, i]) for i, t in enumerate(TACTICS)},
    }


def grouped(examples: list[Example], **options: Any) -> dict[str, Any]:
    _, report = train_examples(examples, **options)
    return {"by": "group", **summary(report["_oof_scores"], examples)}


def leave_pen_out(examples: list[Example], **options: Any) -> dict[str, Any]:
    pens = sorted({pen_of(ex) for ex in examples})
    out: dict[str, Any] = {"by": "pen"}
    for pen in pens:
        held = [ex for ex in examples if pen_of(ex) == pen]
        rest = [ex for ex in examples if pen_of(ex) != pen]
        if not held or not rest:
            continue
        model, _ = train_examples(rest, **options)
        out[pen] = summary(scores_of(model, held), held)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Grouped cross-validation of the manipulation detector.")
    add_model_arguments(parser)
    parser.add_argument("--by", choices=("group", "pen"), default="group")
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args(argv)
    examples = load_training(args.data)
    run = grouped if args.by == "group" else leave_pen_out
    result = run(examples, **model_options(args))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(_brief(result), indent=1))
    return result


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    """Overall figures and per-tactic F1 only, for reading at a glance."""
    def short(block: dict[str, Any]) -> dict[str, Any]:
        return {"overall": block["overall"], "f1": {t: m["f1"] for t, m in block["per_tactic"].items()}}

    if result["by"] == "group":
        return short(result)
    return {pen: short(block) for pen, block in result.items() if pen != "by"}


if __name__ == "__main__":
    main()
