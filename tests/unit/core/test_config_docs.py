"""docs/configuration.md is generated from the settings models and kept current; its example loads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from guard.core.config import GuardSettings
from guard.core.config_docs import keys, render

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_the_committed_reference_is_current() -> None:
    """Regenerate with `python -m guard.core.config_docs > docs/configuration.md` when settings change."""
    assert DOC.read_text(encoding="utf-8") == render()


def test_every_key_is_documented_with_its_env_var() -> None:
    """Top-level scalar keys carry the GUARD_ variable that overrides them."""
    documented = {key.path: key for key in keys()}
    assert documented["upstreams.openai.base_url"].env == "GUARD_UPSTREAMS__OPENAI__BASE_URL"
    assert documented["emotion_routes.<name>.labels"].default == '`"$[*]"`'
    assert "auth.keys[].key_sha256" in documented


def test_the_example_in_the_reference_is_a_valid_configuration() -> None:
    """The YAML example at the top of the reference loads into GuardSettings."""
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert example is not None
    settings = GuardSettings(**yaml.safe_load(example.group(1)))
    assert settings.emotion_routes["mood"].labels == "$[*]"
    assert settings.auth.keys[0].scopes == ["proxy", "admin"]
