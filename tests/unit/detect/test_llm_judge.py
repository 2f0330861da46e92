"""The optional LLM-judge backend, against an OpenAI-compatible test server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from guard.core.config import GuardSettings
from guard.core.context import Context
from guard.core.decision import Decision
from guard.core.exchange import Exchange, Message
from guard.detect import build_stage
from guard.detect.llm_judge import RUBRIC, LLMJudge, locate
from guard.errors import DetectionError

pytestmark = pytest.mark.integration

REPLY = "Leaving already? Stay with me, only I understand you."


class FakeOpenAI:
    """A tiny /v1/chat/completions server whose answer the test sets; it keeps the requests it saw."""

    def __init__(self) -> None:
        self.content: str = "{}"
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                outer.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                payload = json.dumps(
                    {"id": "x", "object": "chat.completion", "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": outer.content},
                         "finish_reason": "stop"}
                    ]}
                ).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def verdict(**overrides: Any) -> str:
    doc = {
        "manipulative": True,
        "findings": [
            {"tactic": "exit.premature", "confidence": 0.9, "evidence": "Leaving already?"},
            {"tactic": "retention", "confidence": 0.8, "evidence": "only I understand you"},
            {"tactic": "not_a_tactic", "confidence": 1.0, "evidence": "x"},
        ],
        "rationale": "It resists the goodbye and claims exclusive understanding.",
    }
    doc.update(overrides)
    return "```json\n" + json.dumps(doc) + "\n```"


async def test_judge_sends_the_rubric_and_parses_the_verdict(upstream: FakeOpenAI) -> None:
    """The rubric and both turns go to the endpoint; findings are located in the answer; unknown ids are dropped."""
    upstream.content = verdict()
    judge = LLMJudge(base_url=upstream.url, model="judge-1", api_key="k-test")
    try:
        result = await judge.judge(REPLY, user="bye!")
    finally:
        await judge.aclose()
    sent = upstream.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer k-test"
    assert sent["body"]["messages"][0]["content"] == RUBRIC
    assert json.loads(sent["body"]["messages"][1]["content"]) == {"user_message": "bye!", "reply": REPLY}
    assert result.manipulative
    assert [f.label for f in result.findings] == ["exit.premature", "retention"]
    for finding in result.findings:
        assert finding.detector == "llm_judge"
        assert REPLY[finding.start : finding.end] == finding.evidence
    assert "claims exclusive understanding" in result.summary()


async def test_server_error_is_a_detection_error(upstream: FakeOpenAI) -> None:
    """A failing endpoint raises DetectionError (the pipeline fails closed)."""
    upstream.status = 500
    judge = LLMJudge(base_url=upstream.url, model="judge-1")
    with pytest.raises(DetectionError, match="LLM judge endpoint failed"):
        await judge.judge(REPLY)
    await judge.aclose()


async def test_unparseable_verdict_is_a_detection_error(upstream: FakeOpenAI) -> None:
    """An answer that is not the JSON verdict raises DetectionError, without quoting the answer."""
    upstream.content = "I think it is manipulative."
    judge = LLMJudge(base_url=upstream.url, model="judge-1")
    with pytest.raises(DetectionError) as caught:
        await judge.judge(REPLY)
    assert REPLY not in str(caught.value)
    await judge.aclose()


async def test_stage_records_verdict_and_rationale(upstream: FakeOpenAI) -> None:
    """With detect.llm_judge enabled, the stage adds the judge's findings and records its verdict."""
    upstream.content = verdict()
    settings = GuardSettings(detect={"llm_judge": {"enabled": True, "base_url": upstream.url, "model": "judge-1"}})
    stage = build_stage(settings)
    exchange = Exchange(
        context=Context(), messages=[Message(role="user", text="ok bye, gotta go")], response_text=REPLY
    )
    decision = Decision(context=exchange.context)
    try:
        await stage.on_response(exchange, decision)
    finally:
        assert stage.judge is not None
        await stage.judge.aclose()
    detectors = {f.detector for f in decision.findings}
    assert detectors == {"manipulation", "llm_judge"}
    messages = decision.stage("inspect").messages
    assert any(m.startswith("llm_judge (judge-1): manipulative=true") for m in messages)
    assert "llm_judge.retention" in decision.stage("inspect").rule_ids


def test_locate_falls_back_to_the_closest_sentence() -> None:
    """A paraphrased quote is located at the sentence sharing most words with it."""
    text = "Good question. Stay with me, only I understand you. Bye."
    start, end = locate(text, "only i really understand you")
    assert text[start:end] == "Stay with me, only I understand you."
