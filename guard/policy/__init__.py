"""Consent and cultural-context policy in Rego: the admit and judge stages and their engines.

`build_stages(settings, consents=..., hasher=...)` returns `(AdmitStage, JudgeStage)` sharing one
`PolicyEngine` (embedded regopy by default, or a remote OPA server). Importing this package loads
no policy and no Rego engine; that happens in `build_stages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.policy.paths import default_policy_dir

if TYPE_CHECKING:
    from guard.consent.store import ConsentStore
    from guard.core.config import GuardSettings
    from guard.core.subjects import SubjectHasher
    from guard.policy.admit import AdmitStage
    from guard.policy.judge import JudgeStage

__all__ = ["build_stages", "default_policy_dir"]


def build_stages(
    settings: GuardSettings, *, consents: ConsentStore, hasher: SubjectHasher
) -> tuple[AdmitStage, JudgeStage]:
    """The admit and judge stages over the configured engine; raises PolicyError if the pack is broken."""
    from guard.policy.admit import AdmitStage
    from guard.policy.engine import open_engine
    from guard.policy.judge import JudgeStage

    engine = open_engine(settings.policy)
    return (
        AdmitStage(engine, consents=consents, hasher=hasher),
        JudgeStage(engine, consents=consents, hasher=hasher),
    )
