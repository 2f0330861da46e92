"""PII redaction: the `redact` and `restore` stages (Presidio recognizers, spaCy NER, a vault).

Importing this package loads nothing heavy; spaCy and Presidio load in `build_stages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guard.core.config import GuardSettings
    from guard.core.subjects import SubjectHasher
    from guard.pii.stages import RedactStage, RestoreStage

__all__ = ["build_stages"]


def build_stages(settings: GuardSettings, *, hasher: SubjectHasher) -> tuple[RedactStage, RestoreStage]:
    """The redact and restore stages for these settings (the analyzer is built once per process)."""
    from guard.pii._factory import build_stages as build

    return build(settings, hasher=hasher)
