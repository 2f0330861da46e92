"""`import guard.pii` (and the redact command module) stays light: no spaCy, Presidio or key files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_import_loads_no_model_and_touches_no_file(tmp_path: Path) -> None:
    """Importing the package and its stage modules loads neither spaCy nor Presidio and creates nothing."""
    code = (
        "import sys; import guard.pii, guard.pii.stages, guard.pii.vault, guard.cli.redact; "
        "heavy = [m for m in ('spacy', 'presidio_analyzer', 'phonenumbers', 'tldextract') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []
