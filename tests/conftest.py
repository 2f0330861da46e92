"""Shared fixtures: isolated data directories and settings that never touch the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.core.config import GuardSettings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GuardSettings:
    """Default settings with all embedded state under a fresh temporary directory."""
    for name in ("GUARD_CONFIG", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return GuardSettings(data_dir=str(tmp_path / "state"))
