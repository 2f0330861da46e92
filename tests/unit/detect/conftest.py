from __future__ import annotations

import pytest

from guard.detect.detector import ManipulationDetector
from guard.detect.model import LinearModel, load_model


@pytest.fixture(scope="session")
def model() -> LinearModel:
    return load_model()


@pytest.fixture
def detector(model: LinearModel) -> ManipulationDetector:
    return ManipulationDetector(model, min_score=0.5)
