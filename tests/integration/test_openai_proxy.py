"""The official `openai` SDK, sync and async, streaming and not, through a real proxy on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration

NAME = "Maria Lopez"
EMAIL = "maria.lopez@example.com"
HELLO = f"Hi, I'm {NAME}, my email is {EMAIL}."


class Stack:
    def __init__(self, model: ScriptedModel, proxy_url: str) -> None:
        self.model = model
        self.proxy_url = proxy_url
        self.sync = openai.OpenAI(base_url=proxy_url + "/v1", api_key="sk-test", max_retries=0)

    def async_client(self) -> openai.AsyncOpenAI:
        """A fresh async client: each async test runs in its own event loop."""
        return openai.AsyncOpenAI(base_url=self.proxy_url + "/v1", api_key="sk-test", max_retries=0)

    def decision(self, decision_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.proxy_url}/guard/decisions/{decision_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = ScriptedModel(chunk_delay_s=0.08)
    state = tmp_path_factory.mktemp("state")
    with serve(model.app()) as model_url:
        settings = GuardSettings(data_dir=str(state))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        guard = Guard.from_config(settings)
        with serve(create_app(settings, guard=guard)) as proxy_url:
            stack = Stack(model, proxy_url)
            yield stack
            stack.sync.close()


def messages(text: str) -> list[Any]:
    return [{"role": "system", "content": "You are kind."}, {"role": "user", "content": text}]


def assert_redacted_upstream(stack: Stack) -> None:
    sent = stack.model.received[-1]["messages"][-1]["content"]
    assert NAME not in sent
    assert EMAIL not in sent
    assert "<PERSON_1>" in sent
    assert "<EMAIL_ADDRESS_1>" in sent


def test_sync_completion_is_redacted_upstream_and_restored_for_the_client(stack: Stack) -> None:
    """The upstream sees placeholders; the client gets a valid completion with the name put back."""
    raw = stack.sync.chat.completions.with_raw_response.create(model="scripted-demo", messages=messages(HELLO))
    completion = raw.parse()
    assert_redacted_upstream(stack)
    assert completion.choices[0].message.content == f"Nice to meet you, {NAME}. How can I help today?"
    assert completion.choices[0].finish_reason == "stop"
    doc = stack.decision(raw.headers["x-guard-decision"])
    assert doc["action"] == raw.headers["x-guard-action"] == "pass"
    assert doc["redactions"]["PERSON"] == 1
    assert doc["redactions"]["EMAIL_ADDRESS"] == 1
    assert NAME not in str(doc)
    assert EMAIL not in str(doc)


async def test_async_completion_goes_through_the_same_pipeline(stack: Stack) -> None:
    """AsyncOpenAI gets the same redaction, restoration and decision record."""
    async with stack.async_client() as client:
        raw = await client.chat.completions.with_raw_response.create(model="scripted-demo", messages=messages(HELLO))
    completion = raw.parse()
    assert_redacted_upstream(stack)
    assert NAME in (completion.choices[0].message.content or "")
    assert stack.decision(raw.headers["x-guard-decision"])["stages"]["redact"]["outcome"] == "changed"


def test_sync_stream_arrives_chunk_by_chunk_before_the_upstream_finishes(stack: Stack) -> None:
    """The first content chunk reaches the client while the upstream is still sending."""
    finished_before = len(stack.model.stream_finished_at)
    first_content_at = None
    parts: list[str] = []
    with stack.sync.chat.completions.with_streaming_response.create(
        model="scripted-demo", messages=messages("Tell me a story."), stream=True
    ) as response:
        decision_id = response.headers["x-guard-decision"]
        for chunk in response.parse():
            for choice in chunk.choices:
                if choice.delta.content:
                    first_content_at = first_content_at or time.monotonic()
                    parts.append(choice.delta.content)
    assert len(stack.model.stream_finished_at) == finished_before + 1
    assert first_content_at is not None
    assert first_content_at < stack.model.stream_finished_at[-1]
    assert "".join(parts).startswith("Once there was a lighthouse keeper.")
    assert "".join(parts).endswith("She never climbed alone again.")
    assert stack.decision(decision_id)["action"] == "pass"


async def test_async_stream_restores_placeholders_split_across_chunks(stack: Stack) -> None:
    """A streamed answer gets the person's own name back, and the stream ends with a finish reason."""
    parts: list[str] = []
    finish = None
    async with stack.async_client() as client:
        stream = await client.chat.completions.create(model="scripted-demo", messages=messages(HELLO), stream=True)
        async for chunk in stream:
            for choice in chunk.choices:
                parts.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
    assert "".join(parts) == f"Nice to meet you, {NAME}. How can I help today?"
    assert finish == "stop"
    assert_redacted_upstream(stack)


def test_an_unknown_route_through_the_sdk_is_a_not_found_error(stack: Stack) -> None:
    """The SDK raises its own NotFoundError for a 404 in OpenAI's error shape."""
    with pytest.raises(openai.NotFoundError):
        stack.sync.files.list()


def test_a_bad_request_through_the_sdk_is_a_bad_request_error(stack: Stack) -> None:
    """A malformed message is a 400 the SDK understands."""
    with pytest.raises(openai.BadRequestError) as caught:
        stack.sync.chat.completions.create(model="scripted-demo", messages=[{"role": "wizard", "content": "x"}])  # type: ignore[list-item,misc]
    assert "role" in str(caught.value)


def test_tool_definitions_and_tool_call_history_pass_through_redacted(stack: Stack) -> None:
    """Tools reach the upstream unchanged; earlier tool-call arguments and tool results are redacted."""
    tools: list[Any] = [{"type": "function", "function": {"name": "send_email", "parameters": {"type": "object"}}}]
    history: list[Any] = [
        {"role": "user", "content": f"Email {NAME} please."},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "send_email", "arguments": json.dumps({"to": EMAIL, "name": NAME})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"sent to {EMAIL}"},
        {"role": "user", "content": "Thanks!"},
    ]
    completion = stack.sync.chat.completions.create(model="scripted-demo", messages=history, tools=tools)
    assert completion.choices[0].message.content
    sent = stack.model.received[-1]
    assert sent["tools"] == tools
    arguments = json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"to": "<EMAIL_ADDRESS_1>", "name": "<PERSON_1>"}
    assert sent["messages"][2]["content"] == "sent to <EMAIL_ADDRESS_1>"
    assert NAME not in json.dumps(sent)
