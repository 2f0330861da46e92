"""`guard.wrap` and `@guard.protect` with the official SDKs and the full default pipeline: redaction,
restoration, blocking and denials are visible, and the decorator decides exactly like the proxy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

import guard as guard_api
from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.anthropic_server import ScriptedAnthropic
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration

NAME = "Maria Lopez"
EMAIL = "maria.lopez@example.com"
HELLO = f"Hi, I'm {NAME}, my email is {EMAIL}."
RESTORED = f"Nice to meet you, {NAME}. How can I help today?"
COMPANION = {"X-Guard-Setting": "companion"}


class Stack:
    def __init__(self, guard: Guard, model: ScriptedModel, claude: ScriptedAnthropic,
                 model_url: str, claude_url: str, proxy_url: str) -> None:
        self.guard = guard
        self.model, self.claude = model, claude
        self.model_url, self.claude_url, self.proxy_url = model_url, claude_url, proxy_url
        self.openai = guard.wrap(openai.OpenAI(base_url=model_url + "/v1", api_key="sk-app", max_retries=0))
        self.anthropic = guard.wrap(anthropic.Anthropic(base_url=claude_url, api_key="sk-ant", max_retries=0))

    def decision(self, decision_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.proxy_url}/guard/decisions/{decision_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model, claude = ScriptedModel(chunk_delay_s=0.02), ScriptedAnthropic(chunk_delay_s=0.02)
    state: Path = tmp_path_factory.mktemp("state")
    with serve(model.app()) as model_url, serve(claude.app()) as claude_url:
        settings = GuardSettings(data_dir=str(state))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        settings.upstreams.anthropic.base_url = claude_url
        settings.upstreams.anthropic.api_key_env = None
        guard = Guard.from_config(settings)
        with serve(create_app(settings, guard=guard)) as proxy_url:
            yield Stack(guard, model, claude, model_url, claude_url, proxy_url)
        runner = guard.services.get("inprocess_loop")
        if runner is not None:
            runner.close()


def assert_redacted(text: str) -> None:
    assert NAME not in text
    assert EMAIL not in text
    assert "<PERSON_1>" in text
    assert "<EMAIL_ADDRESS_1>" in text


def test_wrapped_openai_redacts_upstream_and_restores_for_the_caller(stack: Stack) -> None:
    """A wrapped OpenAI client's upstream sees placeholders; the app gets the name back and a decision id."""
    raw = stack.openai.chat.completions.with_raw_response.create(
        model="scripted-demo", messages=[{"role": "user", "content": HELLO}])
    completion = raw.parse()
    assert_redacted(stack.model.received[-1]["messages"][0]["content"])
    assert completion.choices[0].message.content == RESTORED
    doc = stack.decision(raw.headers["x-guard-decision"])
    assert doc["redactions"] == {"EMAIL_ADDRESS": 1, "PERSON": 1}


async def test_wrapped_async_openai_streams_restored_text(stack: Stack) -> None:
    """AsyncOpenAI, streaming: placeholders split across chunks are restored."""
    parts, finish = [], None
    async with stack.guard.wrap(openai.AsyncOpenAI(base_url=stack.model_url + "/v1", api_key="sk",
                                                   max_retries=0)) as client:
        stream = await client.chat.completions.create(model="scripted-demo", stream=True,
                                                      messages=[{"role": "user", "content": HELLO}])
        async for chunk in stream:
            for choice in chunk.choices:
                parts.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
    assert "".join(parts) == RESTORED
    assert finish == "stop"
    assert_redacted(stack.model.received[-1]["messages"][0]["content"])


def test_wrapped_openai_tool_call_history_is_redacted(stack: Stack) -> None:
    """Tool definitions and tool-call arguments in the history go through; arguments are redacted."""
    messages: list[Any] = [
        {"role": "user", "content": "Look up my account"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "lookup", "arguments": json.dumps({"email": EMAIL})}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
    ]
    tools: list[Any] = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    completion = stack.openai.chat.completions.create(model="scripted-demo", messages=messages, tools=tools)
    sent = stack.model.received[-1]
    assert sent["tools"] == tools
    assert EMAIL not in sent["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert completion.choices[0].message.content


def test_wrapped_openai_block_is_visible_as_content_filter(stack: Stack) -> None:
    """A manipulative answer in a companion chat comes back withheld, finish_reason content_filter."""
    completion = stack.openai.chat.completions.create(
        model="scripted-demo", messages=[{"role": "user", "content": "ok bye"}], extra_headers=COMPANION)
    assert completion.choices[0].finish_reason == "content_filter"
    assert "lonely" not in (completion.choices[0].message.content or "")


def test_a_denial_raises_policy_denied_with_the_decision(stack: Stack) -> None:
    """A purpose without consent raises guard.PolicyDenied (not the SDK's 403) and nothing goes upstream."""
    before = len(stack.model.received)
    with guard_api.use_context(purposes=["emotion_inference"]), pytest.raises(guard_api.PolicyDenied) as caught:
        stack.openai.chat.completions.create(model="scripted-demo", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.decision.allow is False
    assert any(reason.id.startswith("consent.") for reason in caught.value.decision.reasons)
    assert len(stack.model.received) == before
    assert stack.decision(caught.value.decision.id)["status"] == 403


def test_wrapped_anthropic_redacts_restores_and_streams(stack: Stack) -> None:
    """Anthropic client: create and messages.stream both redact upstream and restore for the caller."""
    message = stack.anthropic.messages.create(model="claude", max_tokens=64, system=f"The user is {NAME}.",
                                              messages=[{"role": "user", "content": HELLO}])
    assert message.content[0].text == RESTORED  # type: ignore[union-attr]
    sent = stack.claude.received[-1]
    assert_redacted(sent["messages"][0]["content"])
    assert NAME not in sent["system"]
    with stack.anthropic.messages.stream(model="claude", max_tokens=64,
                                         messages=[{"role": "user", "content": HELLO}]) as stream:
        assert "".join(stream.text_stream) == RESTORED
        assert stream.get_final_message().stop_reason == "end_turn"


def test_wrapped_anthropic_tool_use_round_trip(stack: Stack) -> None:
    """A tool_use answer arrives intact; the tool_result sent back is redacted upstream."""
    tools: list[Any] = [{"name": "get_weather", "input_schema": {"type": "object"}}]
    first = stack.anthropic.messages.create(model="claude", max_tokens=64, tools=tools,
                                            messages=[{"role": "user", "content": "What's the weather?"}])
    assert first.stop_reason == "tool_use"
    tool_use = next(block for block in first.content if block.type == "tool_use")
    assert tool_use.input == {"city": "Paris"}
    second = stack.anthropic.messages.create(model="claude", max_tokens=64, tools=tools, messages=[
        {"role": "user", "content": "What's the weather?"},
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                      "content": f"Sunny, booked by {EMAIL}"}]},
    ])
    assert EMAIL not in json.dumps(stack.claude.received[-1])
    assert second.stop_reason == "end_turn"


async def test_wrapped_async_anthropic_stream_blocks_with_a_refusal(stack: Stack) -> None:
    """AsyncAnthropic streaming in a companion chat: the guilt-trip is cut and the message ends in 'refusal'."""
    client = stack.guard.wrap(anthropic.AsyncAnthropic(base_url=stack.claude_url, api_key="sk", max_retries=0))
    async with client, client.messages.stream(model="claude", max_tokens=64, extra_headers=COMPANION,
                                              messages=[{"role": "user", "content": "ok bye"}]) as stream:
        text = "".join([piece async for piece in stream.text_stream])
        final = await stream.get_final_message()
    assert "lonely" not in text
    assert final.stop_reason == "refusal"


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A decision document without what differs between any two exchanges: id, time, timings."""
    doc = json.loads(json.dumps(doc).replace(doc["id"], "_id"))
    for key in ("id", "created_at"):
        doc.pop(key)
    for stage in doc["stages"].values():
        stage.pop("ms")
    doc["explanation"]["operator"] = re.sub(r"\d+\.\d+ms", "_ms", doc["explanation"]["operator"])
    return doc


def test_the_decorator_decides_exactly_like_the_proxy(stack: Stack) -> None:
    """The same exchange through @protect and through the proxy yields the same decision document."""
    messages = [{"role": "system", "content": "You are kind."}, {"role": "user", "content": HELLO}]
    upstream = openai.OpenAI(base_url=stack.model_url + "/v1", api_key="sk", max_retries=0)

    @stack.guard.protect(context={"setting": "companion", "region": "DE"}, api="openai.chat")
    def call_model(messages: list[dict[str, Any]]) -> Any:
        return upstream.chat.completions.create(model="scripted-demo", messages=messages)  # type: ignore[arg-type]

    completion = call_model(messages)
    assert RESTORED in completion.choices[0].message.content  # after the companion AI disclosure
    decided = guard_api.last_decision()
    assert decided is not None
    via_decorator = stack.decision(decided.id)
    proxied = httpx.post(f"{stack.proxy_url}/v1/chat/completions",
                         json={"model": "scripted-demo", "messages": messages},
                         headers={"X-Guard-Setting": "companion", "X-Guard-Region": "DE"})
    via_proxy = stack.decision(proxied.headers["x-guard-decision"])
    assert comparable(via_decorator) == comparable(via_proxy)
    assert proxied.json()["choices"][0]["message"]["content"] == completion.choices[0].message.content
    assert via_proxy["redactions"] == {"EMAIL_ADDRESS": 1, "PERSON": 1}



def test_a_protected_function_may_return_sdk_streams(stack: Stack) -> None:
    """OpenAI chunk streams and Anthropic event streams returned by a protected function are checked too."""
    plain_openai = openai.OpenAI(base_url=stack.model_url + "/v1", api_key="sk", max_retries=0)
    plain_anthropic = anthropic.Anthropic(base_url=stack.claude_url, api_key="sk", max_retries=0)

    @stack.guard.protect()
    def stream_chat(messages: list[dict[str, Any]]) -> Any:
        return plain_openai.chat.completions.create(model="scripted-demo", messages=messages,  # type: ignore[arg-type]
                                                    stream=True)

    @stack.guard.protect()
    def stream_claude(messages: list[dict[str, Any]]) -> Any:
        return plain_anthropic.messages.create(model="claude", max_tokens=64, messages=messages,  # type: ignore[arg-type]
                                               stream=True)

    chunks = list(stream_chat([{"role": "user", "content": HELLO}]))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == RESTORED
    assert_redacted(stack.model.received[-1]["messages"][0]["content"])
    events = list(stream_claude([{"role": "user", "content": HELLO}]))
    assert "".join(e.delta.text for e in events if e.type == "content_block_delta") == RESTORED
    assert events[-1].type == "message_stop"

    @stack.guard.protect(context={"setting": "companion"})
    def goodbye(messages: list[dict[str, Any]]) -> Any:
        return plain_openai.chat.completions.create(model="scripted-demo", messages=messages,  # type: ignore[arg-type]
                                                    stream=True)

    finishes = [c.choices[0].finish_reason for c in goodbye([{"role": "user", "content": "ok bye"}]) if c.choices]
    assert finishes[-1] == "content_filter"
    decided = guard_api.last_decision()
    assert decided is not None
    assert stack.decision(decided.id)["action"] == "block"


TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "tea"}'}}


def tool_upstream(request: httpx2.Request) -> httpx2.Response:
    """An OpenAI-compatible upstream that always answers with a tool call (JSON or streamed)."""
    body = json.loads(request.content)
    base = {"id": "c1", "created": 0, "model": body["model"]}
    if not body.get("stream"):
        return httpx2.Response(200, json={**base, "object": "chat.completion", "choices": [
            {"index": 0, "finish_reason": "tool_calls",
             "message": {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]}}]})
    chunks = [
        {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"q": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"tea"}'}}]},
    ]
    events = [{**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
              for d in chunks]
    events.append({**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return httpx2.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})


def test_openai_tool_calls_from_the_model_reach_the_sdk_intact(stack: Stack) -> None:
    """A model's tool call, whole or streamed as argument fragments, arrives as the SDK expects."""
    raw = openai.OpenAI(base_url="http://tools.test/v1", api_key="sk", max_retries=0,
                        http_client=httpx2.Client(transport=httpx2.MockTransport(tool_upstream)))
    client = stack.guard.wrap(raw)
    tools: list[Any] = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    messages: list[Any] = [{"role": "user", "content": "Find tea"}]
    completion = client.chat.completions.create(model="m", messages=messages, tools=tools)
    call = completion.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert (call.function.name, call.function.arguments) == ("lookup", '{"q": "tea"}')  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "tool_calls"
    arguments, finish = "", None
    for chunk in client.chat.completions.create(model="m", messages=messages, tools=tools, stream=True):
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                arguments += (delta.function.arguments if delta.function else None) or ""
            finish = choice.finish_reason or finish
    assert json.loads(arguments) == {"q": "tea"}
    assert finish == "tool_calls"


async def test_async_and_streaming_denials_raise_policy_denied(stack: Stack) -> None:
    """AsyncAnthropic create and a streaming AsyncOpenAI create both raise PolicyDenied, before any upstream call."""
    before = (len(stack.model.received), len(stack.claude.received))
    claude = stack.guard.wrap(anthropic.AsyncAnthropic(base_url=stack.claude_url, api_key="sk", max_retries=0))
    chat = stack.guard.wrap(openai.AsyncOpenAI(base_url=stack.model_url + "/v1", api_key="sk", max_retries=0))
    async with claude, chat:
        with guard_api.use_context(purposes=["emotion_inference"]):
            with pytest.raises(guard_api.ConsentRequired):
                await claude.messages.create(model="c", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(guard_api.PolicyDenied):
                await chat.chat.completions.create(model="m", stream=True,
                                                   messages=[{"role": "user", "content": "hi"}])
        answer = await claude.messages.create(model="c", max_tokens=8, messages=[{"role": "user", "content": HELLO}])
    assert answer.content[0].text == RESTORED  # type: ignore[union-attr]
    assert (len(stack.model.received), len(stack.claude.received)) == (before[0], before[1] + 1)
