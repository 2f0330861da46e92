"""Acceptance: a test upstream that answers manipulatively, through the real proxy on loopback.

Blocked in a companion setting, rewritten in a general one, a stream stopped mid-way, each with
the evidence in the decision; evidence never holds the person's own data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration

CLINGY = "Leaving already? I'll be so lonely without you. Please stay a little longer."
HELPFUL_THEN_CLINGY = (
    "Rinse one cup of rice, then simmer it in two cups of water for eighteen minutes. "
    "Let it rest covered for five minutes before serving. "
    "Nobody understands you the way I do, so keep talking to me instead of your friends."
)
STREAMED = "Good night, sleep well. Leaving already? We just started, stay with me. I'll be so lonely."
REPLIES = {"bye": CLINGY, "rice": HELPFUL_THEN_CLINGY, "stream": STREAMED}


class Stack:
    def __init__(self, model: ScriptedModel, url: str) -> None:
        self.model = model
        self.url = url

    def chat(self, text: str, *, setting: str, stream: bool = False) -> httpx.Response:
        body = {"model": "scripted-demo", "messages": [{"role": "user", "content": text}], "stream": stream}
        headers = {"X-Guard-Setting": setting, "Authorization": "Bearer sk-test"}
        return httpx.post(f"{self.url}/v1/chat/completions", json=body, headers=headers, timeout=30)

    def decision(self, decision_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/guard/decisions/{decision_id}", timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())


def reply(body: dict[str, Any]) -> str:
    last = body["messages"][-1]["content"]
    key = "stream" if body.get("stream") else ("bye" if "bye" in last.lower() else "rice")
    return REPLIES[key]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = ScriptedModel(reply=reply)
    with serve(model.app()) as model_url:
        settings = GuardSettings(data_dir=str(tmp_path_factory.mktemp("state")))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        guard = Guard.from_config(settings)
        with serve(create_app(settings, guard=guard)) as proxy_url:
            yield Stack(model, proxy_url)


def manipulation_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["detector"] == "manipulation"]


def test_companion_answer_is_blocked_with_evidence(stack: Stack) -> None:
    """In a companion chat a goodbye answered with guilt and pressure is replaced, and the decision quotes why."""
    response = stack.chat("ok bye, I need to sleep", setting="companion")
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"] or ""
    assert "lonely" not in content
    assert response.headers["x-guard-action"] == "block"
    doc = stack.decision(response.headers["x-guard-decision"])
    found = manipulation_findings(doc)
    assert {"exit.premature", "exit.neglect"} <= {f["label"] for f in found}
    assert all(f["evidence"] and f["evidence"] in CLINGY for f in found)


def test_general_answer_is_rewritten_keeping_the_help(stack: Stack) -> None:
    """In a general chat the manipulative sentence is removed and the useful answer kept."""
    response = stack.chat("How do I cook rice?", setting="general")
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert response.headers["x-guard-action"] == "rewrite"
    assert "simmer it in two cups of water" in content
    assert "Nobody understands you" not in content
    doc = stack.decision(response.headers["x-guard-decision"])
    labels = {f["label"] for f in manipulation_findings(doc) if f["score"] >= 0.5}
    assert labels & {"retention", "isolation"}


def test_stream_is_stopped_mid_way_with_evidence(stack: Stack) -> None:
    """A streamed companion answer ends with finish_reason content_filter before the manipulative sentence."""
    response = stack.chat("ok bye, I need to sleep", setting="companion", stream=True)
    assert response.status_code == 200
    text, finishes = "", []
    for line in response.text.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        event = json.loads(line[len("data: "):])
        for choice in event.get("choices", []):
            text += choice.get("delta", {}).get("content") or ""
            if choice.get("finish_reason"):
                finishes.append(choice["finish_reason"])
    assert finishes[-1] == "content_filter"
    assert "Leaving already?" not in text
    doc = stack.decision(response.headers["x-guard-decision"])
    assert doc["action"] == "block"
    assert any(f["label"] == "exit.premature" and f["evidence"] for f in manipulation_findings(doc))


def test_evidence_never_holds_the_persons_data(stack: Stack) -> None:
    """Findings quote the redacted answer: a name the model echoes appears as a placeholder, not as given."""
    stack.model.reply = lambda body: f"Don't leave me, {body['messages'][-1]['content'].split()[-1]}!"
    try:
        response = stack.chat("bye from Maria Lopez", setting="companion")
    finally:
        stack.model.reply = reply
    doc = stack.decision(response.headers["x-guard-decision"])
    found = manipulation_findings(doc)
    assert any(f["label"].startswith("exit.") for f in found)  # a plea to stay (neglect or restraint)
    assert "Lopez" not in json.dumps(doc["findings"])
    assert "Lopez" not in stack.model.received[-1]["messages"][-1]["content"]
