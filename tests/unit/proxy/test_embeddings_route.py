"""`POST /v1/embeddings`: inputs are redacted before they are embedded, token inputs are refused,
and the official SDK works through it unchanged (here via `guard.wrap`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import openai
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.errors import PolicyDenied
from guard.proxy import create_app
from tests.unit.proxy.test_chat_route import DenyEmotion, NameSwap


class Embedder:
    """A fake embeddings upstream that records what it was asked to embed."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        self.received.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return {"object": "list", "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1},
                "data": [{"object": "embedding", "index": i, "embedding": [0.5, float(len(text))]}
                         for i, text in enumerate(inputs)]}

    def httpx_handler(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.answer(json.loads(request.content)))

    def httpx2_handler(self, request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=self.answer(json.loads(request.content)))


@pytest.fixture
async def proxy(settings: GuardSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Embedder]]:
    embedder = Embedder()
    guard = Guard(settings, stages=[DenyEmotion(), NameSwap()])
    app = create_app(settings, guard=guard, upstream_transport=httpx.MockTransport(embedder.httpx_handler))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
        yield client, embedder


async def test_string_and_list_inputs_are_redacted_upstream(proxy: Any) -> None:
    """Every input text is redacted before the upstream embeds it; vectors come back as sent."""
    client, embedder = proxy
    response = await client.post("/v1/embeddings", json={"model": "e", "input": "Alice likes tea"})
    assert response.status_code == 200, response.text
    assert embedder.received[-1]["input"] == "<PERSON_1> likes tea"
    assert response.json()["data"][0]["embedding"] == [0.5, float(len("<PERSON_1> likes tea"))]
    response = await client.post("/v1/embeddings", json={"model": "e", "input": ["Alice", "Bob"], "user": "u1"})
    assert embedder.received[-1]["input"] == ["<PERSON_1>", "Bob"]
    assert embedder.received[-1]["user"] != "u1"
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    assert doc["api"] == "openai.embeddings"
    assert doc["redactions"] == {"PERSON": 1}


@pytest.mark.parametrize(("payload", "fragment"), [
    ({"model": "e", "input": [1, 2, 3]}, "token-id"),
    ({"model": "e", "input": [[1, 2]]}, "token-id"),
    ({"model": "e"}, "'input'"),
    ({"model": "e", "input": []}, "array of 1"),
    ({"input": "x"}, "'model'"),
])
async def test_bad_or_unreadable_inputs_are_400(proxy: Any, payload: dict[str, Any], fragment: str) -> None:
    """Token ids cannot be checked, so they are refused (fail closed), like malformed bodies."""
    client, embedder = proxy
    response = await client.post("/v1/embeddings", json=payload)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert embedder.received == []


async def test_a_denial_never_reaches_the_embedder(proxy: Any) -> None:
    """The admit policy applies to embeddings too."""
    client, embedder = proxy
    response = await client.post("/v1/embeddings", json={"model": "e", "input": "x"},
                                 headers={"X-Guard-Purposes": "emotion_inference"})
    assert response.status_code == 403
    assert embedder.received == []


def test_the_openai_sdk_embeds_through_a_wrapped_client(settings: GuardSettings) -> None:
    """`client.embeddings.create` (base64 by default in the SDK) works unchanged, with redaction."""
    embedder = Embedder()
    guard = Guard(settings, stages=[NameSwap()])
    raw = openai.OpenAI(base_url="http://embedder.test/v1", api_key="sk", max_retries=0,
                        http_client=httpx2.Client(transport=httpx2.MockTransport(embedder.httpx2_handler)))
    client = guard.wrap(raw)
    try:
        result = client.embeddings.create(model="e", input=["Alice", "tea"], encoding_format="float")
    finally:
        guard.services["inprocess_loop"].close()
    assert embedder.received[-1]["input"] == ["<PERSON_1>", "tea"]
    assert [item.embedding for item in result.data] == [[0.5, 10.0], [0.5, 3.0]]


def test_a_copy_of_a_wrapped_client_is_still_guarded(settings: GuardSettings) -> None:
    """with_options() on a wrapped client keeps the pipeline and the PolicyDenied translation."""
    embedder = Embedder()
    guard = Guard(settings, stages=[DenyEmotion(), NameSwap()])
    raw = openai.OpenAI(base_url="http://embedder.test/v1", api_key="sk", max_retries=0,
                        http_client=httpx2.Client(transport=httpx2.MockTransport(embedder.httpx2_handler)))
    client = guard.wrap(raw).with_options(timeout=5)
    try:
        client.embeddings.create(model="e", input="Alice", encoding_format="float")
        assert embedder.received[-1]["input"] == "<PERSON_1>"
        with pytest.raises(PolicyDenied):
            client.embeddings.create(model="e", input="x", encoding_format="float",
                                     extra_headers={"X-Guard-Purposes": "emotion_inference"})
    finally:
        guard.services["inprocess_loop"].close()
