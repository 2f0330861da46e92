"""build_stages: the stages _build.py expects, one analyzer per process for equal analysis settings."""

from __future__ import annotations

from pathlib import Path

from guard.core.config import GuardSettings
from guard.core.subjects import SubjectHasher
from guard.pii import build_stages
from guard.pii.stages import RedactStage, RestoreStage
from guard.pii.vault_sqlite import SqliteVault


async def test_build_stages_shares_the_analyzer(tmp_path: Path) -> None:
    """Names are redact/restore, the vault is SQLite under data_dir, and settings that only change
    operators or restoration reuse the process's analyzer instead of loading spaCy again."""
    hasher = SubjectHasher(b"s" * 32)
    first = GuardSettings(data_dir=str(tmp_path), pii={"ner": False})
    second = GuardSettings(data_dir=str(tmp_path), pii={"ner": False, "restore": False, "default_operator": "mask"})
    redact, restore = build_stages(first, hasher=hasher)
    other, _ = build_stages(second, hasher=hasher)
    try:
        assert (redact.name, restore.name) == ("redact", "restore")
        assert isinstance(redact, RedactStage)
        assert isinstance(restore, RestoreStage)
        assert isinstance(redact.vault, SqliteVault)
        assert redact.analyzer is other.analyzer
        assert (tmp_path / "pii.key").is_file()
    finally:
        await redact.aclose()
        await other.aclose()
