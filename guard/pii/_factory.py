"""`build_stages`: the redact and restore stages from settings, with one analyzer per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.pii.analyzer import Analyzer, analysis_key
from guard.pii.keys import PIIKeys
from guard.pii.stages import RedactStage, RestoreStage
from guard.pii.vault import open_vault

if TYPE_CHECKING:
    from guard.core.config import GuardSettings
    from guard.core.subjects import SubjectHasher
    from guard.pii.settings import PIISettings

__all__ = ["build_stages", "shared_analyzer"]

_ANALYZERS: dict[str, Analyzer] = {}


def shared_analyzer(settings: PIISettings) -> Analyzer:
    """The process's analyzer for these settings: loading spaCy once, not per Guard or per request."""
    key = analysis_key(settings)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        analyzer = _ANALYZERS[key] = Analyzer(settings)
    return analyzer


def build_stages(settings: GuardSettings, *, hasher: SubjectHasher) -> tuple[RedactStage, RestoreStage]:
    keys = PIIKeys.load(settings)
    analyzer = shared_analyzer(settings.pii)
    vault = open_vault(settings, keys)
    redact = RedactStage(settings.pii, analyzer=analyzer, vault=vault, keys=keys, hasher=hasher)
    return redact, RestoreStage(settings.pii)
