"""The shipped linear model: per-tactic weights over hashed sentence features, evaluated with numpy.

Stored as a compressed `.npz` of plain arrays (no pickle), so it loads under any numpy and any
scikit-learn version. Besides the hashed sparse features, a model may weigh each sentence's static
embedding (`guard.detect.embedding`): `dense` holds those weights, and the file records the SHA-256
of the embedding table they were trained against, so a model never runs with another table.

Scores are calibrated per tactic (a logistic fit on grouped out-of-fold margins at the level of
whole responses, see `train.py`), so `score >= 0.5` means "more likely than not, this response uses
this tactic" for every tactic alike. Besides a sentence's own margin, the calibration weighs (format
3) how strongly another sentence of the answer backs the same tactic, and the answer's length: the
highest of many sentence margins runs high by chance, and two sentences that lean the same way are
more telling than one. A format 4 model also carries the classifier that tells whether the user's
turn takes leave (`guard.detect.goodbye`); older ones read goodbyes with the hand-written pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from guard.detect.embedding import StaticEmbedding, load_embedding, shipped_embedding_path
from guard.detect.goodbye import GoodbyeModel
from guard.errors import ConfigError

__all__ = [
    "CORROBORATION_FLOOR", "FORMAT_VERSION", "LinearModel", "calibrated", "corroboration", "load_model",
    "shipped_model_path",
]

FORMAT_VERSION = 4
# 1: sparse features only; 2: with optional dense weights; 3: with corroboration; 4: with the goodbye model
READABLE_FORMATS = (1, 2, 3, 4)
# A sentence's corroboration (the next-strongest margin for its tactic) is counted from this floor:
# an answer of one sentence, or one whose other sentences are far from the tactic, gets the floor.
CORROBORATION_FLOOR = -5.0
_SHIPPED = "manipulation.npz"

FloatArray = npt.NDArray[np.float32]


@dataclass(slots=True, frozen=True)
class LinearModel:
    """Sparse linear scorer: only buckets seen in training are stored (`index`, sorted)."""

    tactics: tuple[str, ...]
    buckets: int
    index: npt.NDArray[np.int64]
    weights: FloatArray  # (len(index), len(tactics))
    intercept: FloatArray  # (len(tactics),)
    platt_a: FloatArray
    platt_b: FloatArray
    generic_scale: float = 1.0
    # Calibration weights of a sentence's corroboration and of log(sentences in the answer), per
    # tactic; None (formats 1 and 2): the sentence's own margin only.
    platt_c: FloatArray | None = None
    platt_d: FloatArray | None = None
    dense: FloatArray | None = None  # (embedding dims, len(tactics)), or None: sparse features only
    dense_scale: float = 1.0  # the unit-length embedding enters multiplied by this, as in training
    embedding: StaticEmbedding | None = None
    embedding_sha256: str = ""
    goodbye: GoodbyeModel | None = None  # None (formats 1 to 3): the goodbye pattern decides
    # bucket -> row of `weights`, or -1: one gather per lookup instead of a binary search (a 1 MB table)
    row_of: npt.NDArray[np.int32] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        row_of = np.full(self.buckets, -1, dtype=np.int32)
        row_of[self.index] = np.arange(len(self.index), dtype=np.int32)
        object.__setattr__(self, "row_of", row_of)

    def dense_rows(self, sentences: list[str]) -> FloatArray | None:
        """The scaled embedding of each sentence, as the dense weights expect it (None without them)."""
        if self.dense is None or self.embedding is None:
            return None
        rows: FloatArray = self.embedding.embed_batch(sentences) * np.float32(self.dense_scale)
        return rows

    def raw_batch(
        self, rows: list[dict[int, bool]], sentences: list[str] | None = None, mask: FloatArray | None = None
    ) -> FloatArray:
        """Uncalibrated margins (one column per tactic) for sentences, one row each of hashed features.

        Generic features (patterns, lexicons, context) enter with value `generic_scale`, n-grams
        with 1, exactly as in training. One lookup and one segmented sum for all sentences:
        numpy's per-call overhead would otherwise dominate on short sentences. A model with dense
        weights needs the sentences' texts too, for their embeddings, and the `mask` (rows x
        tactics, see `features.dense_mask`) it was trained with, if any.
        """
        if not rows:
            return np.zeros((0, len(self.tactics)), dtype=np.float32)
        # A zero-valued dummy entry per row keeps every segment non-empty for reduceat.
        sizes = [len(row) + 1 for row in rows]
        ids = np.fromiter(
            (bucket for row in rows for bucket in (*row.keys(), 0)), dtype=np.int64, count=sum(sizes)
        )
        flags = np.fromiter(
            (v for row in rows for v in (*(2 if g else 1 for g in row.values()), 0)), dtype=np.int8, count=sum(sizes)
        )
        values = np.choose(flags, [np.float32(0.0), np.float32(1.0), np.float32(self.generic_scale)])
        rows_of_ids = self.row_of[ids]
        values = np.where(rows_of_ids >= 0, values, np.float32(0.0)).astype(np.float32)
        contributions = self.weights[np.maximum(rows_of_ids, 0)] * values[:, None]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        out: FloatArray = np.add.reduceat(contributions, starts, axis=0) + self.intercept
        if self.dense is not None:
            if sentences is None or len(sentences) != len(rows):
                raise ValueError("this model weighs sentence embeddings: pass one text per row")
            dense = self.dense_rows(sentences)
            if dense is not None:
                contribution = dense @ self.dense
                out += contribution if mask is None else contribution * mask
        return out

    def calibrate(self, margins: FloatArray, *, sentences: int | None = None) -> FloatArray:
        """Calibrated probabilities from the margins of all the sentences of one answer (one row each).

        `sentences` is the number of sentences of the whole answer (default: the number of rows).
        Each sentence is read with its corroboration (see `corroboration`), so the answer's highest
        score per tactic is the calibrated probability that the answer uses that tactic."""
        if self.platt_c is None or self.platt_d is None:  # formats 1 and 2: the sentence's own margin only
            return calibrated(margins, 0.0, 0.0, self.platt_a, self.platt_b, 0.0, 0.0).astype(np.float32)
        count = max(sentences if sentences is not None else len(margins), 1)
        return calibrated(
            margins, corroboration(margins), np.log(count), self.platt_a, self.platt_b, self.platt_c, self.platt_d
        ).astype(np.float32)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {
            "format_version": np.array(FORMAT_VERSION),
            "tactics": np.array(self.tactics),
            "buckets": np.array(self.buckets),
            "index": self.index.astype(np.int32),
            "weights": self.weights.astype(np.float16),
            "intercept": self.intercept,
            "platt_a": self.platt_a,
            "platt_b": self.platt_b,
            "generic_scale": np.array(self.generic_scale),
        }
        if self.platt_c is not None and self.platt_d is not None:
            arrays.update(platt_c=self.platt_c, platt_d=self.platt_d)
        if self.goodbye is not None:
            arrays.update(goodbye_index=self.goodbye.index.astype(np.int32),
                          goodbye_weights=self.goodbye.weights.astype(np.float16),
                          goodbye_intercept=np.array(self.goodbye.intercept))
        if self.dense is not None:
            arrays.update(dense=self.dense.astype(np.float16), dense_scale=np.array(self.dense_scale),
                          embedding_sha256=np.array(self.embedding_sha256))
        np.savez_compressed(path, **arrays)


def calibrated(
    margin: npt.ArrayLike, corroboration: npt.ArrayLike, log_sentences: npt.ArrayLike,
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, d: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """The calibration's logistic: sigmoid(a * margin + b + c * corroboration + d * log(sentences)).

    One formula for run time (`LinearModel.calibrate`) and for training, which fits a to d."""
    z = np.asarray(np.multiply(a, margin) + b + np.multiply(c, corroboration) + np.multiply(d, log_sentences),
                   dtype=np.float64)
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
    return out


def corroboration(margins: FloatArray) -> FloatArray:
    """Per sentence and tactic: the highest margin of the answer's other sentences for that tactic,
    capped at the sentence's own margin and raised to `CORROBORATION_FLOOR`.

    For the answer's strongest sentence this is the runner-up; for any other sentence it is its own
    margin. So with non-negative weights the strongest sentence keeps the highest score, and that
    score reads the two strongest sentences together."""
    if len(margins) < 2:
        return np.full_like(margins, CORROBORATION_FLOOR)
    ordered = np.sort(margins, axis=0)
    top, runner_up = ordered[-1], ordered[-2]
    # Where two sentences tie for the top, each is the other's runner-up (runner_up == top).
    others = np.where(margins >= top, runner_up, top)
    out: FloatArray = np.maximum(np.minimum(margins, others), np.float32(CORROBORATION_FLOOR)).astype(np.float32)
    return out


def shipped_model_path() -> Path:
    """Where the model trained from the repository's dataset lives inside the package."""
    return Path(str(resources.files("guard.detect").joinpath("data", _SHIPPED)))


def load_model(path: str | Path | None = None, *, embedding_path: str | Path | None = None) -> LinearModel:
    """Load a model file (the shipped one when `path` is None) and, if it weighs sentence embeddings,
    the embedding table it was trained against (the shipped one when `embedding_path` is None)."""
    target = Path(path) if path is not None else shipped_model_path()
    try:
        with np.load(target, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version not in READABLE_FORMATS:
                raise ConfigError(
                    f"The detector model {target.name} has format {version}; this version reads formats "
                    f"{', '.join(map(str, READABLE_FORMATS))}.",
                    hint="Retrain it with `python -m guard.detect.train`.",
                )
            return LinearModel(
                tactics=tuple(str(t) for t in data["tactics"]),
                buckets=int(data["buckets"]),
                index=data["index"].astype(np.int64),
                weights=data["weights"].astype(np.float32),
                intercept=data["intercept"].astype(np.float32),
                platt_a=data["platt_a"].astype(np.float32),
                platt_b=data["platt_b"].astype(np.float32),
                generic_scale=float(data["generic_scale"]),
                platt_c=data["platt_c"].astype(np.float32) if "platt_c" in data else None,
                platt_d=data["platt_d"].astype(np.float32) if "platt_d" in data else None,
                goodbye=_goodbye_part(data),
                **_dense_part(data, target, embedding_path),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"Cannot load the detector model {target.name} ({type(exc).__name__}).",
            hint="Check detect.model_path, or retrain with `python -m guard.detect.train`.",
        ) from None


def _goodbye_part(data: Any) -> GoodbyeModel | None:
    if "goodbye_index" not in data:
        return None
    return GoodbyeModel(
        index=data["goodbye_index"].astype(np.int64), weights=data["goodbye_weights"].astype(np.float32),
        intercept=float(data["goodbye_intercept"]),
    )


def _dense_part(data: Any, target: Path, embedding_path: str | Path | None) -> dict[str, Any]:
    """The dense weights and their embedding table, checked to be the table they were trained with."""
    if "dense" not in data:
        return {}
    table = Path(embedding_path) if embedding_path is not None else shipped_embedding_path()
    expected = str(data["embedding_sha256"])
    embedding = load_embedding(table)
    if embedding.digest != expected:
        raise ConfigError(
            f"The detector model {target.name} was trained with another embedding table than {table.name}.",
            hint="Retrain the model with `python -m guard.detect.train`, or install the matching table.",
        )
    return {
        "dense": data["dense"].astype(np.float32), "dense_scale": float(data["dense_scale"]),
        "embedding": embedding, "embedding_sha256": expected,
    }
