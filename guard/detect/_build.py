"""The factory `guard._build` calls: the inspect stage assembled from `detect.*` settings."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from guard.detect.detector import Detector, ManipulationDetector
from guard.detect.model import load_model
from guard.detect.stage import InspectStage

if TYPE_CHECKING:
    from guard.core.config import GuardSettings
    from guard.detect.llm_judge import LLMJudge

__all__ = ["build_stage"]


def build_stage(settings: GuardSettings) -> InspectStage:
    """The inspect stage for `settings.detect` (loads the model file once, here)."""
    config = settings.detect
    detectors: list[Detector] = []
    if config.enabled and config.manipulation:
        detectors.append(ManipulationDetector(load_model(config.model_path), min_score=config.min_score))
    judge: LLMJudge | None = None
    if config.enabled and config.llm_judge.enabled:
        from guard.detect.llm_judge import LLMJudge

        jc = config.llm_judge
        judge = LLMJudge(
            base_url=jc.base_url, model=jc.model, api_key=os.environ.get(jc.api_key_env),
            timeout_s=jc.timeout_s, max_chars=jc.max_chars,
        )
    return InspectStage(
        detectors, judge=judge, enabled=config.enabled, stream_max_hold_chars=config.stream_max_hold_chars
    )
