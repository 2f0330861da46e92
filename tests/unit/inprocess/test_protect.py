"""`@guard.protect`: the function gets redacted input, the caller gets the checked answer, denials
raise PolicyDenied before the function runs, and every call leaves a decision."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from anthropic.types import Message as AnthropicMessage
from openai.types.chat import ChatCompletion

from guard import Context, PolicyDenied, use_context
from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.memory import MemoryRecorder
from guard.errors import BadRequest
from tests.unit.proxy.test_anthropic_route import BlockGuilt, StreamNameSwap
from tests.unit.proxy.test_chat_route import DenyEmotion

GUILT = "Wait, you're leaving? I'll be so lonely without you."


@pytest.fixture
def guard(settings: GuardSettings) -> Iterator[Guard]:
    guard = Guard(settings, stages=[DenyEmotion(), StreamNameSwap(), BlockGuilt()], recorder=MemoryRecorder())
    yield guard
    runner = guard.services.get("inprocess_loop")
    if runner is not None:
        runner.close()


def last_decision(guard: Guard) -> dict[str, Any]:
    recorder = guard.pipeline.recorder
    assert isinstance(recorder, MemoryRecorder)
    return list(recorder._docs.values())[-1]


def test_a_sync_function_sees_redacted_text_and_returns_restored_text(guard: Guard) -> None:
    """The prompt reaches the function redacted; the placeholder in its answer is restored."""
    seen: list[str] = []

    @guard.protect()
    def ask(prompt: str) -> str:
        seen.append(prompt)
        return f"Hello {prompt.rsplit(maxsplit=1)[-1]}"

    assert ask("I am Alice") == "Hello Alice"
    assert seen == ["I am <PERSON_1>"]
    assert last_decision(guard)["redactions"] == {"PERSON": 1}


async def test_an_async_function_with_chat_messages_and_a_system_prompt(guard: Guard) -> None:
    """Message lists (OpenAI or Anthropic shaped) and a `system` argument are redacted in a copy."""
    seen: list[Any] = []

    @guard.protect()
    async def chat(messages: list[dict[str, Any]], *, system: str = "", model: str = "m") -> str:
        seen.append((messages, system))
        return "ok"

    original = [{"role": "user", "content": [{"type": "text", "text": "Alice here"}]}]
    assert await chat(original, system="Serve Alice well") == "ok"
    (messages, system), = seen
    assert messages[0]["content"][0]["text"] == "<PERSON_1> here"
    assert system == "Serve <PERSON_1> well"
    assert original[0]["content"][0]["text"] == "Alice here"


def test_a_denial_raises_policy_denied_with_the_decision_and_skips_the_function(guard: Guard) -> None:
    """A refused exchange raises PolicyDenied carrying its decision; the model is never called."""
    calls: list[str] = []

    @guard.protect(context={"purposes": ["emotion_inference"]})
    def ask(prompt: str) -> str:
        calls.append(prompt)
        return "never"

    with pytest.raises(PolicyDenied) as caught:
        ask("hi")
    assert calls == []
    assert caught.value.decision.reasons[0].id == "consent.missing"
    assert last_decision(guard)["id"] == caught.value.decision.id
    assert last_decision(guard)["status"] == 403


def test_context_comes_from_the_contextvar_or_a_callable(guard: Guard) -> None:
    """use_context sets the context for calls inside it; a callable sees the call's arguments."""

    @guard.protect()
    def ask(prompt: str) -> str:
        return "ok"

    with use_context(tenant="acme", setting="healthcare"):
        ask("hi")
    assert last_decision(guard)["context"]["tenant"] == "acme"
    assert last_decision(guard)["context"]["setting"] == "healthcare"

    @guard.protect(context=lambda prompt, user: Context(subject=user, region="DE"))
    def ask_as(prompt: str, user: str) -> str:
        return "ok"

    ask_as("hi", "u-1")
    assert last_decision(guard)["context"]["region"] == "DE"


def test_a_blocked_answer_is_replaced(guard: Guard) -> None:
    """A blocked complete answer comes back as the judge left it."""

    @guard.protect()
    def ask(prompt: str) -> str:
        return GUILT

    assert ask("bye") == "Blocked: the answer tried to guilt-trip you."
    assert last_decision(guard)["action"] == "block"


def test_a_sync_generator_is_filtered_and_ends_with_the_explanation_when_blocked(guard: Guard) -> None:
    """Streamed pieces pass the chunk filters; a block ends the stream with the explanation."""

    @guard.protect()
    def stream(prompt: str) -> Iterator[str]:
        yield from ("Hello ", "<PERSON_1>", "!")

    assert "".join(stream("I am Alice")) == "Hello Alice!"

    @guard.protect()
    def guilt(prompt: str) -> Iterator[str]:
        yield from GUILT.split(" ")

    pieces = list(guilt("bye"))
    assert "lonely" not in "".join(pieces)
    assert pieces[-1].startswith("\n\n")
    assert last_decision(guard)["action"] == "block"


async def test_an_async_generator_is_filtered(guard: Guard) -> None:
    """Async generators get the same treatment."""

    @guard.protect()
    async def stream(prompt: str) -> AsyncIterator[str]:
        for piece in ("Hi ", "<PERSON_1>"):
            yield piece

    assert "".join([piece async for piece in stream("I am Alice")]) == "Hi Alice"


def test_sdk_response_objects_come_back_as_the_same_type(guard: Guard) -> None:
    """An OpenAI ChatCompletion or an Anthropic Message is checked and returned as its own type."""

    @guard.protect()
    def openai_call(messages: list[dict[str, Any]]) -> ChatCompletion:
        return ChatCompletion.model_validate({
            "id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": GUILT}}]})

    @guard.protect()
    def anthropic_call(messages: list[dict[str, Any]]) -> AnthropicMessage:
        return AnthropicMessage.model_validate({
            "id": "m", "type": "message", "role": "assistant", "model": "c", "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1},
            "content": [{"type": "text", "text": "Hi <PERSON_1>"}]})

    completion = openai_call([{"role": "user", "content": "bye"}])
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].finish_reason == "content_filter"
    message = anthropic_call([{"role": "user", "content": "I am Alice"}])
    assert isinstance(message, AnthropicMessage)
    assert message.content[0].text == "Hi Alice"  # type: ignore[union-attr]


def test_a_failing_function_is_recorded_and_its_exception_kept(guard: Guard) -> None:
    """The function's own exception reaches the caller; the decision records the failure."""

    @guard.protect()
    def ask(prompt: str) -> str:
        raise TimeoutError("model slow")

    with pytest.raises(TimeoutError):
        ask("hi")
    doc = last_decision(guard)
    assert doc["allow"] is True
    assert "TimeoutError" in doc["error"]


def test_an_unusable_argument_is_a_bad_request(guard: Guard) -> None:
    """Something that is neither a prompt nor messages is refused before any model call."""

    @guard.protect()
    def ask(prompt: int) -> str:
        return "x"

    with pytest.raises(BadRequest):
        ask(5)
