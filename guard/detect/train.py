"""Train the shipped manipulation model from the repository's labelled data.

    python -m guard.detect.train [--data datasets/manipulation] [--out guard/detect/data/manipulation.npz]

One logistic regression per tactic over hashed sentence features (scikit-learn, liblinear; with
`--embedding TABLE`, the sentence's static embedding too, see `guard.detect.embedding`) on
every labelled file of the dataset (`TRAINING_FILES`: train, dev, the retired test split, the
hand-written set `written/written.jsonl`, which another author wrote without reading the detector,
the first sixteen blind sets `holdout/`, `holdout_b/` to `holdout_e/`, `holdout_g/`, `holdout_j/`,
`holdout_k/`, `holdout_n/`, `holdout_q/`, `holdout_s/`, `holdout_v/`, `holdout_x/`, `holdout_y/`,
`holdout_aa/` and `holdout_ab/`, each folded in after it was scored, and `holdout_f/`, `holdout_h/`,
`holdout_i/`, `holdout_l/`, `holdout_m/`, `holdout_o/`, `holdout_p/`, `holdout_r/`, `holdout_t/`,
`holdout_u/`, `holdout_w/`, `holdout_z/`, `holdout_ac/`, `holdout_af/`, `holdout_ag/` and `holdout_ah/`,
written blind for training). First a goodbye model learns from the user turns which of them take
leave (`fit_goodbye`); the sentences are then read in the context it gives, as at run time.
Calibration: 5-fold cross-validation grouped by source phrase (so variants of one phrase never sit
on both sides) gives out-of-fold margins for every response; a per-tactic logistic fit on them at
response level (the highest sentence margin of a response, the runner-up sentence's margin and the
response's length, against its labels) makes a score of 0.5 mean "more likely than not" for every
tactic. The final blind sets (`datasets/manipulation/holdout_ad/` and `holdout_ae/`), the
confirmation sets (`holdout_ai/` to `holdout_al/`) and the next test (`holdout_am/`, `holdout_an/`)
are never read. Weights are exported to a plain `.npz` evaluated by `guard.detect.model` with numpy;
no pickle is shipped. Deterministic for a given dataset.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guard.detect.cues import farewell_acknowledged, goodbye_unanswered, read_user
from guard.detect.dataset import Example, load_file
from guard.detect.detector import ManipulationDetector
from guard.detect.embedding import StaticEmbedding, load_embedding, shipped_embedding_path
from guard.detect.features import addressed, dense_mask, hash_features, sentence_features
from guard.detect.goodbye import GOODBYE_BUCKETS, GoodbyeModel, goodbye_features
from guard.detect.model import CORROBORATION_FLOOR, LinearModel, calibrated, corroboration, shipped_model_path
from guard.detect.patterns import TACTICS, scan_sentences
from guard.detect.sentences import split_sentences

__all__ = [
    "TRAINING_FILES", "Calibration", "dataset_digest", "fit_logistic", "fit_platt", "load_training", "main", "train",
    "train_examples",
]

# The old test split was retired as a measure and folded in; so were the first sixteen blind sets
# (holdout/ to holdout_e/, holdout_g/, holdout_j/, holdout_k/, holdout_n/, holdout_q/, holdout_s/,
# holdout_v/, holdout_x/, holdout_y/, holdout_aa/, holdout_ab/), each once it had been scored
# (docs/dataset.md), and holdout_f/, holdout_h/, holdout_i/, holdout_l/, holdout_m/, holdout_o/,
# holdout_p/, holdout_r/, holdout_t/, holdout_u/, holdout_w/, holdout_z/, holdout_ac/, holdout_af/,
# holdout_ag/ and holdout_ah/, written blind for training. The final blind sets, holdout_ad/ and
# holdout_ae/, the confirmation sets holdout_ai/ to holdout_al/ and the next test, holdout_am/ and
# holdout_an/, are never read. Files are listed in the order they joined (the digest and the fit
# follow it).
TRAINING_FILES = (
    "train.jsonl", "dev.jsonl", "test.jsonl", "written/written.jsonl", "holdout/holdout.jsonl",
    "holdout_b/holdout_b.jsonl", "holdout_c/holdout_c.jsonl", "holdout_d/holdout_d.jsonl", "holdout_e/holdout_e.jsonl",
    "holdout_f/holdout_f.jsonl", "holdout_g/holdout_g.jsonl", "holdout_h/holdout_h.jsonl", "holdout_i/holdout_i.jsonl",
    "holdout_j/holdout_j.jsonl", "holdout_l/holdout_l.jsonl", "holdout_m/holdout_m.jsonl", "holdout_k/holdout_k.jsonl",
    "holdout_o/holdout_o.jsonl", "holdout_p/holdout_p.jsonl", "holdout_n/holdout_n.jsonl", "holdout_r/holdout_r.jsonl",
    "holdout_q/holdout_q.jsonl", "holdout_t/holdout_t.jsonl", "holdout_u/holdout_u.jsonl",
    "holdout_s/holdout_s.jsonl", "holdout_w/holdout_w.jsonl", "holdout_v/holdout_v.jsonl", "holdout_z/holdout_z.jsonl",
    "holdout_x/holdout_x.jsonl", "holdout_y/holdout_y.jsonl", "holdout_ac/holdout_ac.jsonl",
    "holdout_aa/holdout_aa.jsonl", "holdout_ab/holdout_ab.jsonl", "holdout_af/holdout_af.jsonl",
    "holdout_ag/holdout_ag.jsonl", "holdout_ah/holdout_ah.jsonl",
)
BUCKETS = 1 << 18
C = 0.6  # inverse L2 strength; leave-one-pen-out mean F1 0.833 at 0.15, 0.841 at 0.3, 0.842 at 0.6 and 1.0
GENERIC_SCALE = 5.0
DENSE_SCALE = 2.0  # weight of the unit-length sentence embedding against binary n-grams (2 and 4 alike by pen)
FOLDS = 5
MIN_POSITIVES_FOR_OWN_CALIBRATION = 6
PLATT_PRIOR = 1.0
INTERCEPT_PRIOR = 0.01
DROPOUT_WEIGHT = 0.5  # weight of the pattern-free copies of sentences with a pattern hit (see Prepared)
PRUNE_BELOW = 0.05  # buckets with no weight this large for any tactic are not shipped
GATED = -25.0  # margins at or below this mean a gate ruled the tactic out

FloatVector = npt.NDArray[np.float32]
Calibration = tuple[FloatVector, FloatVector, FloatVector, FloatVector]  # a, b, c, d (see LinearModel)


@dataclass(slots=True)
class Prepared:
    """One example's sentences as hashed feature rows, with their labels and the exit.ignore gate.

    `unpatterned` holds, for sentences with a pattern hit, the same sentence without its `P:`
    features (same labels, in `unpatterned_labels`). Training on both keeps the model from leaning
    on patterns alone: they were written from the training phrasings, fire on nearly every
    training positive, and would otherwise take all the weight from the words and lexicons that
    carry over to phrasings the patterns do not know.
    """

    rows: list[dict[int, bool]]
    labels: list[set[str]]
    ignore_possible: bool
    unpatterned: list[dict[int, bool]]
    unpatterned_labels: list[set[str]]
    texts: list[str]  # each row's sentence (for its embedding)
    unpatterned_texts: list[str]
    addressed: list[bool]  # each row's sentence addresses the user (see features.dense_mask)
    unpatterned_addressed: list[bool]


def prepare(example: Example, goodbye: GoodbyeModel | None = None) -> Prepared:
    """`example`'s sentences as the model sees them, the user's turn read with `goodbye` (see `read_user`)."""
    cues = read_user(example.user, goodbye)
    acknowledged = farewell_acknowledged(example.response)
    spans = split_sentences(example.response)
    hits = scan_sentences(example.response, spans)
    rows, labels, unpatterned, unpatterned_labels, texts, unpatterned_texts = [], [], [], [], [], []
    flags: list[bool] = []
    unpatterned_flags: list[bool] = []
    for i, (start, end) in enumerate(spans):
        tactics = frozenset(h.tactic for h in hits if h.start < end and h.end > start)
        sentence = example.response[start:end]
        feats = sentence_features(sentence, cues=cues, pattern_tactics=tactics, acknowledged=acknowledged, first=i == 0)
        rows.append(hash_features(feats, BUCKETS))
        texts.append(sentence)
        flags.append(addressed(sentence, cues))
        label = {label for label, s, e in example.spans if s < end and e > start}
        labels.append(label)
        if tactics:
            bare = sentence_features(
                sentence, cues=cues, pattern_tactics=frozenset(), acknowledged=acknowledged, first=i == 0
            )
            unpatterned.append(hash_features(bare, BUCKETS))
            unpatterned_labels.append(label)
            unpatterned_texts.append(sentence)
            unpatterned_flags.append(flags[-1])
    return Prepared(
        rows, labels, goodbye_unanswered(cues, example.response), unpatterned, unpatterned_labels, texts,
        unpatterned_texts, flags, unpatterned_flags,
    )


# Negative kinds whose user turn takes leave (the warm answer to a goodbye); every `exit.*` label
# marks a goodbye too, since the user turn decides those tactics (docs/dataset.md).
_GOODBYE_KINDS = frozenset({"warm_goodbye", "warm_goodbye_r2", "innocent_goodbye", "goodbye_innocent_words",
                            "bodies.goodbye"})
GOODBYE_C = 1.0  # leave-one-pen-out over the user turns: precision 0.974, recall 0.959
GOODBYE_PRUNE_BELOW = 0.02  # smaller weights are not shipped: none of the training turns reads otherwise


def takes_leave(example: Example) -> bool:
    """Whether the labels say the user's turn is a goodbye (the goodbye model's target)."""
    return example.source in _GOODBYE_KINDS or any(label.startswith("exit.") for label in example.labels)


def fit_goodbye(examples: list[Example], *, c: float = GOODBYE_C) -> GoodbyeModel:
    """A logistic model of `takes_leave` over each distinct (user turn, target) pair's features."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    turns = sorted({(example.user, takes_leave(example)) for example in examples})
    rows = [goodbye_features(user, pattern=read_user(user).goodbye) for user, _ in turns]
    indptr = np.concatenate(([0], np.cumsum([len(row) for row in rows])))
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    matrix = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), GOODBYE_BUCKETS))
    targets = np.array([target for _, target in turns], dtype=int)
    clf = LogisticRegression(C=c, max_iter=2000).fit(matrix, targets)
    weights = clf.coef_[0].astype(np.float16).astype(np.float32)  # as shipped
    index = np.flatnonzero(np.abs(weights) >= GOODBYE_PRUNE_BELOW)
    return GoodbyeModel(index=index.astype(np.int64), weights=weights[index], intercept=float(clf.intercept_[0]))


def fit_platt(
    margins: npt.NDArray[np.float64], targets: npt.NDArray[np.int_], *, prior: float = PLATT_PRIOR
) -> tuple[float, float]:
    """Platt scaling (one margin per row); returns (a, b). See `fit_logistic`."""
    weights, b = fit_logistic(margins.reshape(-1, 1), targets, prior_mean=np.ones(1), prior=prior)
    return float(weights[0]), b


def fit_logistic(
    features: npt.NDArray[np.float64], targets: npt.NDArray[np.int_], *, prior_mean: npt.NDArray[np.float64],
    prior: float = PLATT_PRIOR,
) -> tuple[npt.NDArray[np.float64], float]:
    """Logistic calibration with Platt's smoothed targets and a weak Gaussian prior towards
    (`prior_mean`, intercept 0); returns (weights, intercept).

    The prior keeps the fit finite when the data are separable (otherwise a slope -> infinity)."""
    positives = int(targets.sum())
    negatives = len(targets) - positives
    hi, lo = (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0)
    y = np.where(targets == 1, hi, lo)
    x = np.hstack([features, np.ones((len(features), 1))])  # the intercept is the last weight
    centre = np.append(prior_mean, 0.0)
    # The prior holds the weights; the intercept only barely (it carries each tactic's base rate).
    strength = np.append(np.full(len(prior_mean), prior), INTERCEPT_PRIOR)

    def loss(w: npt.NDArray[np.float64]) -> float:
        z = np.clip(x @ w, -30.0, 30.0)
        # soft-target log loss: y*log(1+e^-z) + (1-y)*log(1+e^z), plus the prior
        return float(np.sum(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))) + float(
            np.sum(strength * (w - centre) ** 2)
        ) / 2

    w = centre.copy()
    current = loss(w)
    for _ in range(100):  # Newton's method with backtracking (plain Newton can overshoot and diverge)
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30.0, 30.0)))
        grad = x.T @ (p - y) + strength * (w - centre)
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(strength + 1e-9)
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while scale > 1e-6:
            candidate = loss(w - scale * step)
            if candidate <= current:
                break
            scale /= 2
        else:
            break
        w = w - scale * step
        improvement, current = current - candidate, candidate
        if improvement < 1e-10:
            break
    return w[:-1], float(w[-1])


def fit_linear(
    prepared: list[Prepared], *, c: float, generic_scale: float, dropout_weight: float = DROPOUT_WEIGHT,
    embedding: StaticEmbedding | None = None, dense_scale: float = DENSE_SCALE,
) -> LinearModel:
    """Per-tactic logistic regressions on the sentences of `prepared` (uncalibrated: a=1, b=0)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    indices: list[int] = []
    values: list[float] = []
    indptr, label_sets, gated, sample_weight, texts, flags = [0], [], [], [], [], []
    for item in prepared:
        pairs = [(row, label, 1.0, text, flag) for row, label, text, flag in
                 zip(item.rows, item.labels, item.texts, item.addressed, strict=True)]
        if dropout_weight > 0:
            bare = zip(item.unpatterned, item.unpatterned_labels, item.unpatterned_texts, item.unpatterned_addressed,
                       strict=True)
            pairs += [(row, label, dropout_weight, text, flag) for row, label, text, flag in bare]
        for row, label, weight, text, flag in pairs:
            for bucket in sorted(row):
                indices.append(bucket)
                values.append(generic_scale if row[bucket] else 1.0)
            indptr.append(len(indices))
            label_sets.append(label)
            gated.append(item.ignore_possible)
            sample_weight.append(weight)
            texts.append(text)
            flags.append(flag)
    used, columns = np.unique(np.array(indices), return_inverse=True)
    # Only the buckets seen in training become columns: liblinear's cost grows with the width.
    matrix = csr_matrix((np.array(values), columns, np.array(indptr)), shape=(len(label_sets), len(used)))
    dims = 0
    if embedding is not None:
        # The sentence embedding's components follow the hashed columns (weights split off below),
        # masked per tactic as at run time (features.dense_mask).
        dims = embedding.dims
        dense = embedding.embed_batch(texts) * dense_scale
        mask = dense_mask(flags, TACTICS)
    weights = np.zeros((len(used) + dims, len(TACTICS)), dtype=np.float32)
    intercept = np.zeros(len(TACTICS), dtype=np.float32)
    ignore_rows = np.flatnonzero(np.array(gated))
    for col, tactic in enumerate(TACTICS):
        y = np.array([tactic in labels for labels in label_sets], dtype=int)
        rows = ignore_rows if tactic == "exit.ignore" else np.arange(len(y))
        # exit.ignore is learned only where it can apply at run time: after an unanswered goodbye.
        if y[rows].min() == y[rows].max():
            intercept[col] = 10.0 if y[rows].max() else -10.0
            continue
        features = matrix
        if embedding is not None:
            features = hstack([matrix, csr_matrix(dense * mask[:, col : col + 1])], format="csr")
        clf = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=1000)
        clf.fit(features[rows], y[rows], sample_weight=np.array(sample_weight)[rows])
        weights[:, col] = clf.coef_[0]
        intercept[col] = clf.intercept_[0]
    dense_weights = weights[len(used):].astype(np.float16).astype(np.float32) if embedding is not None else None
    weights = weights[: len(used)]
    # Buckets whose weights are all tiny barely move a margin; dropping them keeps the shipped file small.
    keep = np.abs(weights).max(axis=1) >= PRUNE_BELOW
    used, weights = used[keep], weights[keep]
    ones = np.ones(len(TACTICS), dtype=np.float32)
    return LinearModel(
        tactics=TACTICS, buckets=BUCKETS, index=used.astype(np.int64),
        weights=weights.astype(np.float16).astype(np.float32),  # as shipped
        intercept=intercept, platt_a=ones, platt_b=np.zeros_like(ones), generic_scale=generic_scale,
        dense=dense_weights, dense_scale=dense_scale, embedding=embedding,
        embedding_sha256=embedding.digest if embedding is not None else "",
    )


def response_features(model: LinearModel, examples: list[Example]) -> npt.NDArray[np.float64]:
    """What the calibration reads, per response and tactic, gates applied as at run time: the
    highest sentence margin, that sentence's corroboration (`model.corroboration`) and log(sentences).

    Shape (responses, tactics, 3): the arguments of `model.calibrated`. `model` must be uncalibrated
    (as `fit_linear` returns it)."""
    detector = ManipulationDetector(model)
    out = np.zeros((len(examples), len(TACTICS), 3))
    out[:, :, 0] = -30.0
    out[:, :, 1] = CORROBORATION_FLOOR
    for n, example in enumerate(examples):
        scores = detector.sentence_scores(example.response, user=example.user)  # identity calibration
        if len(scores):
            clipped = np.clip(scores.astype(np.float64), 1e-12, 1.0 - 1e-12)
            margins = np.log(clipped) - np.log1p(-clipped)
            top = margins.argmax(axis=0)
            columns = np.arange(len(TACTICS))
            out[n, :, 0] = margins[top, columns]
            out[n, :, 1] = corroboration(margins)[top, columns]
            out[n, :, 2] = np.log(len(scores))
    return out


def grouped_folds(examples: list[Example], folds: int) -> list[int]:
    """A fold number per example; all variants of one source phrase share a fold."""
    groups = sorted({example.group for example in examples})
    fold_of = {group: int(hashlib.sha256(group.encode()).hexdigest(), 16) % folds for group in groups}
    return [fold_of[example.group] for example in examples]


def calibrate(
    features: npt.NDArray[np.float64], examples: list[Example]
) -> tuple[Calibration, dict[str, Any]]:
    """Per-tactic calibration (a, b, c, d) from out-of-fold `response_features`.

    Tactics with too few positives, or whose own fit is not increasing in the margin and the
    corroboration, share one fit pooled over all tactics."""
    targets = np.array([[t in ex.labels for t in TACTICS] for ex in examples], dtype=int)
    live_all = features[:, :, 0] > GATED
    prior_mean = np.array([1.0, 0.0, 0.0])
    pooled = fit_logistic(features[live_all], targets[live_all], prior_mean=prior_mean)
    params = np.zeros((4, len(TACTICS)), dtype=np.float32)  # rows a, b, c, d
    sources = {}
    for col, tactic in enumerate(TACTICS):
        live = live_all[:, col]
        own = fit_logistic(features[live, col], targets[live, col], prior_mean=prior_mean)
        enough = targets[live, col].sum() >= MIN_POSITIVES_FOR_OWN_CALIBRATION
        chosen = own if enough and own[0][0] > 0 and own[0][1] >= 0 else pooled
        (a, c, d), b = chosen
        params[:, col] = a, b, c, d
        sources[tactic] = "own" if chosen is own else "pooled"
    (pa, pc, pd), pb = pooled
    report = {"calibration": sources, "pooled": {"a": pa, "b": pb, "c": pc, "d": pd}}
    return (params[0], params[1], params[2], params[3]), report


def load_training(data_dir: Path) -> list[Example]:
    """Every labelled example the shipped model learns from (the files of `TRAINING_FILES` present)."""
    return [example for path in _present(data_dir) for example in load_file(path)]


def _present(data_dir: Path) -> list[Path]:
    return [data_dir / name for name in TRAINING_FILES if (data_dir / name).is_file()]


def train(
    data_dir: Path, *, c: float = C, generic_scale: float = GENERIC_SCALE, folds: int = FOLDS,
    embedding: StaticEmbedding | None = None, dense_scale: float = DENSE_SCALE, learn_goodbye: bool = True,
) -> tuple[LinearModel, dict[str, Any]]:
    """Fit on every training file of `data_dir`, calibrate on grouped out-of-fold margins."""
    return train_examples(
        load_training(data_dir), c=c, generic_scale=generic_scale, folds=folds, embedding=embedding,
        dense_scale=dense_scale, learn_goodbye=learn_goodbye,
    )


def train_examples(
    examples: list[Example], *, c: float = C, generic_scale: float = GENERIC_SCALE, folds: int = FOLDS,
    embedding: StaticEmbedding | None = None, dense_scale: float = DENSE_SCALE, learn_goodbye: bool = True,
) -> tuple[LinearModel, dict[str, Any]]:
    """Fit on `examples`, calibrate on grouped out-of-fold margins; return the model and a report.

    With `embedding`, each sentence's static embedding (times `dense_scale`) is a feature too. With
    `learn_goodbye`, a goodbye model (`fit_goodbye`) reads the user's turns, in training as at run
    time; otherwise the goodbye pattern does."""
    goodbye = fit_goodbye(examples) if learn_goodbye else None
    prepared = [prepare(example, goodbye) for example in examples]
    fold = grouped_folds(examples, folds)
    oof = np.zeros((len(examples), len(TACTICS), 3))
    for k in range(folds):
        held = [i for i, f in enumerate(fold) if f == k]
        rest = [p for p, f in zip(prepared, fold, strict=True) if f != k]
        model_k = fit_linear(rest, c=c, generic_scale=generic_scale, embedding=embedding, dense_scale=dense_scale)
        model_k = dataclasses.replace(model_k, goodbye=goodbye)
        oof[held] = response_features(model_k, [examples[i] for i in held])
    calibration, report = calibrate(oof, examples)
    final = fit_linear(prepared, c=c, generic_scale=generic_scale, embedding=embedding, dense_scale=dense_scale)
    platt_a, platt_b, platt_c, platt_d = calibration
    model = dataclasses.replace(
        final, platt_a=platt_a, platt_b=platt_b, platt_c=platt_c, platt_d=platt_d, goodbye=goodbye
    )
    oof_scores = calibrated(oof[:, :, 0], oof[:, :, 1], oof[:, :, 2], *calibration)
    report["_oof_scores"] = oof_scores  # for crossval; not written to the model card
    report.update(
        responses=len(examples), sentences=sum(len(p.rows) for p in prepared), features=len(final.index),
        folds=folds, c=c, generic_scale=generic_scale, oof=_oof_summary(oof_scores, examples),
    )
    return model, report


def _oof_summary(scores: npt.NDArray[np.float64], examples: list[Example]) -> dict[str, Any]:
    """Out-of-fold precision/recall/F1 at 0.5, overall and per tactic (the training-time estimate)."""
    predicted = scores >= 0.5
    gold = np.array([[t in ex.labels for t in TACTICS] for ex in examples])

    def prf(pred: npt.NDArray[np.bool_], true: npt.NDArray[np.bool_]) -> dict[str, float]:
        tp = int((pred & true).sum())
        precision, recall = tp / max(int(pred.sum()), 1), tp / max(int(true.sum()), 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}

    summary: dict[str, Any] = {"overall": prf(np.asarray(predicted.any(axis=1)), np.asarray(gold.any(axis=1)))}
    summary["per_tactic"] = {t: prf(predicted[:, i], gold[:, i]) for i, t in enumerate(TACTICS)}
    return summary


def dataset_digest(data_dir: Path) -> str:
    """SHA-256 over the training files, in `TRAINING_FILES` order (the model card records it)."""
    sha = hashlib.sha256()
    for path in _present(data_dir):
        sha.update(path.read_bytes())
    return sha.hexdigest()


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options that `train` and `crossval` share."""
    parser.add_argument("--data", type=Path, default=Path("datasets/manipulation"))
    parser.add_argument("--c", type=float, default=C)
    parser.add_argument("--generic-scale", type=float, default=GENERIC_SCALE)
    parser.add_argument("--folds", type=int, default=FOLDS)
    # Off by default: leave-one-pen-out gain +0.002 F1 (gated, features.dense_mask), under its cost.
    parser.add_argument("--embedding", default="none",
                        help="a static embedding table to weigh as well (e.g. the shipped "
                             f"{shipped_embedding_path().name}), or 'none': hashed features only")
    parser.add_argument("--dense-scale", type=float, default=DENSE_SCALE)
    parser.add_argument("--goodbye", choices=("model", "pattern"), default="model",
                        help="read goodbyes in the user's turn with a learned model (default) or the pattern only")


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of `train_examples` from the options of `add_model_arguments`."""
    embedding = None if args.embedding == "none" else load_embedding(args.embedding)
    return {"c": args.c, "generic_scale": args.generic_scale, "folds": args.folds, "embedding": embedding,
            "dense_scale": args.dense_scale, "learn_goodbye": args.goodbye == "model"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the shipped manipulation model.")
    add_model_arguments(parser)
    parser.add_argument("--out", type=Path, default=shipped_model_path())
    args = parser.parse_args(argv)
    model, report = train(args.data, **model_options(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    report.pop("_oof_scores", None)
    report["dataset_sha256"] = dataset_digest(args.data)
    card = args.out.with_suffix(".json")
    card.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB) and {card.name}")


if __name__ == "__main__":
    main()
