"""The README's Python example runs as written against a real proxy and the scripted model."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.integration
def test_the_readme_proxy_example_runs(tmp_path: Path) -> None:
    """The SDK example talks to the proxy; the model never sees the name or the email."""
    block = python_blocks(README.read_text(encoding="utf-8"))[0]
    model = ScriptedModel()
    with serve(model.app()) as model_url:
        settings = GuardSettings(data_dir=str(tmp_path))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        with serve(create_app(settings, guard=Guard.from_config(settings))) as proxy_url:
            code = block.replace("http://127.0.0.1:8787", proxy_url)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, str(README), "exec"), {})  # noqa: S102 - the README's own example
    sent = model.received[-1]["messages"][-1]["content"]
    assert "Maria Lopez" not in sent
    assert "maria@example.com" not in sent
    *answer, decision_id = out.getvalue().strip().splitlines()
    assert "".join(answer).strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", decision_id)


@pytest.mark.integration
def test_the_readme_in_process_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wrapped-client example runs the pipeline in-process against the configured upstream."""
    block = python_blocks(README.read_text(encoding="utf-8"))[1]
    model = ScriptedModel()
    with serve(model.app()) as model_url:
        monkeypatch.setenv("OPENAI_BASE_URL", model_url + "/v1")  # a wrapped client keeps its own base URL
        monkeypatch.setenv("GUARD_DATA_DIR", str(tmp_path / "state"))
        monkeypatch.delenv("GUARD_CONFIG", raising=False)
        monkeypatch.chdir(tmp_path)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), {})  # noqa: S102 - the README's own example
    assert "Maria Lopez" not in model.received[-1]["messages"][-1]["content"]
    lines = out.getvalue().strip().splitlines()
    assert lines[-1] == "block"
    assert "lonely" not in out.getvalue()
