"""Detect manipulative "empathetic" tactics in model answers (the inspect stage).

Public: `build_stage(settings)` (the factory `guard._build` calls), `InspectStage`, the
`Detector` protocol, `ManipulationDetector`, `LLMJudge`, `load_model`, `TACTICS`, and
`split_sentences(text) -> list[(start, end)]` (sentence spans, for the judge's rewrite).
Importing this package is cheap: numpy, the model file and httpx load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guard.detect.sentences import split_sentences

if TYPE_CHECKING:
    from guard.detect._build import build_stage
    from guard.detect.detector import Detector, ManipulationDetector
    from guard.detect.llm_judge import LLMJudge
    from guard.detect.model import load_model
    from guard.detect.patterns import TACTICS
    from guard.detect.stage import InspectStage

__all__ = [
    "TACTICS",
    "Detector",
    "InspectStage",
    "LLMJudge",
    "ManipulationDetector",
    "build_stage",
    "load_model",
    "split_sentences",
]

_LAZY = {
    "build_stage": "guard.detect._build",
    "Detector": "guard.detect.detector",
    "ManipulationDetector": "guard.detect.detector",
    "LLMJudge": "guard.detect.llm_judge",
    "load_model": "guard.detect.model",
    "TACTICS": "guard.detect.patterns",
    "InspectStage": "guard.detect.stage",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'guard.detect' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
