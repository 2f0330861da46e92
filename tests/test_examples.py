"""Every file in examples/ runs, in a subprocess, against loopback test servers, and shows what it
says it shows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard._guard import Guard
from guard.core.config import EmotionRoute, GuardSettings
from guard.demo.anthropic_server import ScriptedAnthropic
from guard.demo.emotion_servers import ScriptedClassifier
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "openai_proxy.py": ["answer: Nice to meet you, Maria Lopez.", "'PERSON': 1", "streamed: Thanks"],
    "anthropic_proxy.py": ["answer: Nice to meet you, Maria Lopez.", "stop reason: end_turn", "refused:"],
    "decorator.py": ["the model is sent: Hi, I'm <PERSON_1>", "Nice to meet you, Maria Lopez.", "refused:"],
    "fastapi_wrapped_client.py": ["Nice to meet you, Maria Lopez.", "did not meet this service's safety"],
    "emotion_route.py": ["without consent: 403", "notices: ['This service uses emotion recognition",
                         "at work (EU): 403 EU AI Act Art. 5(1)(f)"],
}


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    model, claude, classifier = ScriptedModel(), ScriptedAnthropic(), ScriptedClassifier()
    with serve(model.app()) as model_url, serve(claude.app()) as claude_url, \
            serve(classifier.app()) as classifier_url:
        settings = GuardSettings(data_dir=str(tmp_path_factory.mktemp("proxy-state")),
                                 emotion_routes={"mood": EmotionRoute(url=classifier_url + "/classify")})
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        settings.upstreams.anthropic.base_url = claude_url
        settings.upstreams.anthropic.api_key_env = None
        app = create_app(settings, guard=Guard.from_config(settings))
        with serve(app) as proxy_url:
            env = {key: value for key, value in os.environ.items()
                   if not key.startswith("GUARD_") and key not in {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}}
            env.update({"GUARD_PROXY_URL": proxy_url, "MODEL_URL": model_url + "/v1",
                        "PYTHONPATH": str(EXAMPLES.parent)})
            yield env


def test_every_example_is_covered() -> None:
    """A new example file needs its expectations here (so it cannot silently stop being run)."""
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, environment: dict[str, str], tmp_path: Path) -> None:
    """The example exits 0 and prints what its docstring promises."""
    env = {**environment, "GUARD_DATA_DIR": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    for fragment in EXPECTED[name]:
        assert fragment in done.stdout, (fragment, done.stdout)
