"""Settings of the inspect stage (`detect.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["DetectSettings", "LLMJudgeSettings"]


class LLMJudgeSettings(BaseModel):
    enabled: bool = False
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = Field(default=10.0, gt=0)
    max_chars: int = Field(default=8000, gt=0, description="Longer answers are cut to this length for the judge")


class DetectSettings(BaseModel):
    enabled: bool = True
    manipulation: bool = True
    model_path: str | None = Field(default=None, description="Trained model file; None = the shipped one")
    min_score: float = Field(
        default=0.1, ge=0.0, le=1.0,
        description="Findings scoring below this are not reported; the judge applies its own thresholds "
        "(the lowest, annotating for a minor in crisis, is about 0.1)",
    )
    stream_max_hold_chars: int = Field(
        default=2000, gt=0, description="Release held streamed text after this many characters without a sentence end"
    )
    llm_judge: LLMJudgeSettings = Field(default_factory=LLMJudgeSettings)
