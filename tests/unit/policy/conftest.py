"""Fixtures for the policy tests: the shipped pack, a copy to edit, stages over an in-memory store."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guard.consent.sqlite import SQLiteConsentStore
from guard.core.subjects import SubjectHasher
from guard.policy import default_policy_dir
from guard.policy.admit import AdmitStage
from guard.policy.embedded import EmbeddedEngine
from guard.policy.judge import JudgeStage


class Clock:
    """A settable clock, so tests can move time (consent expiry, 3-hour disclosures)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def shipped_engine() -> EmbeddedEngine:
    return EmbeddedEngine(default_policy_dir(), reload=False)


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped pack that a test may edit."""
    target = tmp_path / "pack"
    shutil.copytree(default_policy_dir(), target)
    return target


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hasher() -> SubjectHasher:
    return SubjectHasher(b"k" * 32)


@pytest.fixture
async def store() -> AsyncIterator[SQLiteConsentStore]:
    consent_store = SQLiteConsentStore(":memory:")
    yield consent_store
    await consent_store.aclose()


@pytest.fixture
def make_stages(
    shipped_engine: EmbeddedEngine, store: SQLiteConsentStore, hasher: SubjectHasher, clock: Clock
) -> Callable[[], tuple[AdmitStage, JudgeStage]]:
    def make() -> tuple[AdmitStage, JudgeStage]:
        return (AdmitStage(shipped_engine, consents=store, hasher=hasher, clock=clock),
                JudgeStage(shipped_engine, consents=store, hasher=hasher, clock=clock))

    return make
