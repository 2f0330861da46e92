"""Assemble the default pipeline from settings: one factory per package, called in stage order."""

from __future__ import annotations

from guard._guard import Guard
from guard.core.config import GuardSettings

__all__ = ["build_guard"]


def build_guard(settings: GuardSettings) -> Guard:
    # Imported here so `import guard` stays free of Presidio, spaCy and regopy.
    from guard import audit, consent, detect, pii, policy

    hasher = Guard.subject_hasher(settings)
    consents = consent.open_store(settings)
    admit, judge = policy.build_stages(settings, consents=consents, hasher=hasher)
    redact, restore = pii.build_stages(settings, hasher=hasher)
    inspect = detect.build_stage(settings)
    recorder = audit.open_recorder(settings)
    return Guard(
        settings,
        stages=[admit, redact, inspect, judge, restore],
        recorder=recorder,
        hasher=hasher,
        services={"consents": consents, "vault": getattr(redact, "vault", None)},
    )
