"""The shipped linear model: per-tactic weights over hashed sentence features, evaluated with numpy.

Stored as a compressed `.npz` of plain arrays (no pickle), so it loads under any numpy and any
scikit-learn version. Scores are calibrated per tactic (Platt scaling fitted on grouped out-of-fold
margins at the level of whole responses, see `train.py`), so `score >= 0.5` means "more likely than
not, this response uses this tactic" for every tactic alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from guard.errors import ConfigError

__all__ = ["FORMAT_VERSION", "LinearModel", "load_model", "shipped_model_path"]

FORMAT_VERSION = 1
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

    def raw(self, buckets: dict[int, bool]) -> FloatArray:
        """Uncalibrated margins (one per tactic) for one sentence's hashed features.

        Generic features (patterns, lexicons, context) enter with value `generic_scale`, n-grams
        with 1, exactly as in training.
        """
        if not buckets:
            return self.intercept.copy()
        ids = np.fromiter(buckets.keys(), dtype=np.int64, count=len(buckets))
        values = np.fromiter(buckets.values(), dtype=np.float32, count=len(buckets))
        values = np.where(values > 0, np.float32(self.generic_scale), np.float32(1.0))
        pos = np.searchsorted(self.index, ids)
        pos[pos >= len(self.index)] = 0
        known = self.index[pos] == ids
        out: FloatArray = values[known] @ self.weights[pos[known]] + self.intercept
        return out

    def raw_batch(self, rows: list[dict[int, bool]]) -> FloatArray:
        """Uncalibrated margins for several sentences at once (one row each); same as `raw` per row.

        One lookup and one segmented sum for all sentences: numpy's per-call overhead would
        otherwise dominate on short sentences.
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
        pos = np.searchsorted(self.index, ids)
        pos[pos >= len(self.index)] = 0
        values = np.where(self.index[pos] == ids, values, np.float32(0.0)).astype(np.float32)
        contributions = self.weights[pos] * values[:, None]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        out: FloatArray = np.add.reduceat(contributions, starts, axis=0) + self.intercept
        return out

    def calibrate(self, margins: FloatArray) -> FloatArray:
        """Calibrated probabilities from margins (works on a vector or a matrix of rows)."""
        z = np.clip(self.platt_a * margins + self.platt_b, -30.0, 30.0)
        out: FloatArray = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return out

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            format_version=np.array(FORMAT_VERSION),
            tactics=np.array(self.tactics),
            buckets=np.array(self.buckets),
            index=self.index.astype(np.int32),
            weights=self.weights.astype(np.float16),
            intercept=self.intercept,
            platt_a=self.platt_a,
            platt_b=self.platt_b,
            generic_scale=np.array(self.generic_scale),
        )


def shipped_model_path() -> Path:
    """Where the model trained from the repository's dataset lives inside the package."""
    return Path(str(resources.files("guard.detect").joinpath("data", _SHIPPED)))


def load_model(path: str | Path | None = None) -> LinearModel:
    """Load a model file (the shipped one when `path` is None)."""
    target = Path(path) if path is not None else shipped_model_path()
    try:
        with np.load(target, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                raise ConfigError(
                    f"The detector model {target.name} has format {version}; this version reads {FORMAT_VERSION}.",
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
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(
            f"Cannot load the detector model {target.name} ({type(exc).__name__}).",
            hint="Check detect.model_path, or retrain with `python -m guard.detect.train`.",
        ) from None
