"""A proxy that builds its own pipeline keeps start-up objects out of later garbage collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.proxy import create_app


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_start_up_objects_are_frozen_once_the_pipeline_is_built(
        settings: GuardSettings, monkeypatch: pytest.MonkeyPatch, unfrozen: None) -> None:
    monkeypatch.setattr(Guard, "from_config", classmethod(lambda cls, s: Guard(s, stages=[])))
    app = create_app(settings)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0


async def test_a_passed_in_pipeline_leaves_the_callers_heap_alone(settings: GuardSettings, unfrozen: None) -> None:
    """In-process use (guard.wrap, tests) passes its Guard: freezing the host app's heap is not ours to do."""
    app = create_app(settings, guard=Guard(settings, stages=[]))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0
