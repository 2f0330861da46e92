"""The public API is exactly what `guard.__all__` lists, sorted, and importing it has no side effects."""

from __future__ import annotations

import subprocess
import sys

import guard


def test_all_is_sorted_and_every_name_exists() -> None:
    """`__all__` is sorted and each name resolves."""
    assert guard.__all__ == sorted(guard.__all__)
    for name in guard.__all__:
        assert hasattr(guard, name), name


def test_public_names_are_not_private_modules() -> None:
    """Nothing private leaks into the public namespace."""
    public = {name for name in dir(guard) if not name.startswith("_")}
    modules = {"core", "errors", "proxy", "pii", "policy", "consent", "detect", "audit", "cli", "demo", "logging",
               "inprocess", "db"}
    assert public - modules == set(guard.__all__)


def test_import_loads_no_models_and_configures_no_logging() -> None:
    """`import guard` loads neither spaCy, Presidio, regopy nor sklearn, and leaves logging alone."""
    code = (
        "import sys, logging; import guard; "
        "heavy = [m for m in ('spacy', 'presidio_analyzer', 'regopy', 'sklearn') if m in sys.modules]; "
        "assert not heavy, heavy; assert not logging.getLogger().handlers"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
