"""The official `anthropic` SDK, sync and async, streaming and not, with tools, through a real
proxy on loopback running the full default pipeline."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.anthropic_server import ScriptedAnthropic
from guard.demo.model_server import scripted_reply
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration

NAME = "Maria Lopez"
HELLO = f"Hi, I'm {NAME}, my email is maria.lopez@example.com."
RESTORED = f"Nice to meet you, {NAME}. How can I help today?"


LONG = " ".join(f"Sentence number {i} is calm and plain." for i in range(30))


def reply(body: dict[str, Any]) -> str:
    """The scripted rules, plus a long answer (longer than any filter's look-behind) on request."""
    return LONG if "long story" in json.dumps(body["messages"]) else scripted_reply(body)


class Stack:
    def __init__(self, claude: ScriptedAnthropic, proxy_url: str) -> None:
        self.claude = claude
        self.proxy_url = proxy_url
        self.sync = anthropic.Anthropic(base_url=proxy_url, api_key="sk-ant-caller", max_retries=0)

    def async_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(base_url=self.proxy_url, api_key="sk-ant-caller", max_retries=0)

    def decision(self, decision_id: str) -> dict[str, Any]:
        return dict(httpx.get(f"{self.proxy_url}/guard/decisions/{decision_id}").json())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    claude = ScriptedAnthropic(chunk_delay_s=0.01, reply=reply)
    with serve(claude.app()) as claude_url:
        settings = GuardSettings(data_dir=str(tmp_path_factory.mktemp("state")))
        settings.upstreams.anthropic.base_url = claude_url
        settings.upstreams.anthropic.api_key_env = None
        with serve(create_app(settings, guard=Guard.from_config(settings))) as proxy_url:
            yield Stack(claude, proxy_url)


def test_sync_message_is_redacted_upstream_and_restored(stack: Stack) -> None:
    """The upstream sees placeholders and the caller's own key; the SDK parses the restored message."""
    raw = stack.sync.messages.with_raw_response.create(
        model="claude", max_tokens=64, messages=[{"role": "user", "content": HELLO}])
    message = raw.parse()
    sent = stack.claude.received[-1]["messages"][0]["content"]
    assert NAME not in sent
    assert "<PERSON_1>" in sent
    assert stack.claude.received_headers[-1]["authorization"] == "Bearer sk-ant-caller"
    assert message.content[0].text == RESTORED  # type: ignore[union-attr]
    doc = stack.decision(raw.headers["x-guard-decision"])
    assert doc["api"] == "anthropic.messages"
    assert doc["redactions"]["PERSON"] == 1


def test_sync_stream_arrives_before_the_upstream_finishes(stack: Stack) -> None:
    """Text events reach the SDK while the upstream is still sending; the final message is complete."""
    first_at = None
    with stack.sync.messages.stream(model="claude", max_tokens=64,
                                    messages=[{"role": "user", "content": "Tell me a long story."}]) as stream:
        for _ in stream.text_stream:
            first_at = first_at or time.monotonic()
        final = stream.get_final_message()
    assert first_at is not None
    assert first_at < stack.claude.stream_finished_at[-1]
    assert final.content[0].text == LONG  # type: ignore[union-attr]


async def test_async_stream_restores_and_tool_use_arrives(stack: Stack) -> None:
    """AsyncAnthropic streaming: restored text, and a streamed tool_use block with its parsed input."""
    tools: list[Any] = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    async with stack.async_client() as client:
        async with client.messages.stream(model="claude", max_tokens=64,
                                          messages=[{"role": "user", "content": HELLO}]) as stream:
            assert "".join([text async for text in stream.text_stream]) == RESTORED
        async with client.messages.stream(model="claude", max_tokens=64, tools=tools,
                                          messages=[{"role": "user", "content": "weather?"}]) as stream:
            final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [block.type for block in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"city": "Paris"}  # type: ignore[union-attr]


def test_a_blocked_stream_ends_in_a_refusal_the_sdk_accepts(stack: Stack) -> None:
    """A guilt-trip in a companion chat is cut mid-stream; the SDK sees stop_reason 'refusal'."""
    with stack.sync.messages.stream(model="claude", max_tokens=64, extra_headers={"X-Guard-Setting": "companion"},
                                    messages=[{"role": "user", "content": "ok bye"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "lonely" not in text
    assert final.stop_reason == "refusal"


def test_a_denial_is_the_sdks_permission_error(stack: Stack) -> None:
    """Without consent for emotion_inference the SDK raises PermissionDeniedError with the explanation."""
    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        stack.sync.messages.create(model="claude", max_tokens=8, messages=[{"role": "user", "content": "hi"}],
                                   extra_headers={"X-Guard-Purposes": "emotion_inference"})
    assert "consent" in str(caught.value).lower()


def test_a_bad_request_is_the_sdks_bad_request_error(stack: Stack) -> None:
    """A malformed body is a 400 the SDK understands."""
    with pytest.raises(anthropic.BadRequestError):
        stack.sync.messages.create(model="claude", max_tokens=8, messages=[{"role": "system", "content": "x"}])  # type: ignore[list-item,misc]
