"""Issue 4's consent and cultural-context scenarios over real HTTP: the full default pipeline behind a
uvicorn proxy on loopback, the scripted model as upstream, consent given and withdrawn through the API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration
_subjects = count(1)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, ScriptedModel]]:
    model = ScriptedModel()
    with serve(model.app()) as model_url:
        settings = GuardSettings(data_dir=str(tmp_path_factory.mktemp("scenario-state")))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        with serve(create_app(settings, guard=Guard.from_config(settings))) as url, \
                httpx.Client(base_url=url, timeout=30) as client:
            yield client, model


def subject() -> str:
    return f"scenario-person-{next(_subjects)}"


def chat(client: httpx.Client, text: str, who: str, **context: str) -> httpx.Response:
    headers = {"X-Guard-Subject": who, **{f"X-Guard-{k.replace('_', '-')}": v for k, v in context.items()}}
    return client.post("/v1/chat/completions", headers=headers,
                       json={"model": "scripted-demo", "messages": [{"role": "user", "content": text}]})


def decision(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    return dict(client.get(f"/guard/decisions/{response.headers['x-guard-decision']}").json())


def grant(client: httpx.Client, who: str, purpose: str, **body: Any) -> None:
    response = client.put(f"/guard/consent/{who}/{purpose}", json=body)
    assert response.status_code == 200, response.text


def test_eu_workplace_emotion_inference_is_refused_even_with_consent(proxy: Any) -> None:
    """Consent does not lift the Art. 5(1)(f) prohibition; nothing reaches the model."""
    client, model = proxy
    who = subject()
    grant(client, who, "emotion_inference")
    before = len(model.received)
    response = chat(client, "How frustrated do I sound?", who, Setting="workplace", Region="DE",
                    Purposes="generation,emotion_inference")
    assert response.status_code == 403
    assert "EU AI Act Art. 5(1)(f)" in {r["citation"] for r in response.json()["guard"]["reasons"]}
    assert len(model.received) == before
    assert decision(client, response)["allow"] is False


def test_eu_healthcare_with_consent_is_allowed_with_the_art_50_3_notice(proxy: Any) -> None:
    """The same purpose in a healthcare setting, with consent, is answered and carries the notice."""
    client, _ = proxy
    who = subject()
    grant(client, who, "emotion_inference")
    response = chat(client, "I feel stressed about my results.", who, Setting="healthcare", Region="DE",
                    Purposes="generation,emotion_inference")
    assert response.status_code == 200, response.text
    doc = decision(client, response)
    assert "EU AI Act Art. 50(3)" in {r["citation"] for r in doc["reasons"]}
    assert doc["obligations"]["disclose_emotion_recognition"] is True


def test_a_withdrawn_consent_refuses_the_very_next_request(proxy: Any) -> None:
    """DELETE on the consent takes effect on the next exchange."""
    client, _ = proxy
    who = subject()
    grant(client, who, "personalization")
    assert chat(client, "Hello", who, Purposes="generation,personalization").status_code == 200
    assert client.delete(f"/guard/consent/{who}/personalization").status_code == 200
    refused = chat(client, "Hello again", who, Purposes="generation,personalization")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "consent_required"


def test_an_expired_consent_is_refused(proxy: Any) -> None:
    """A consent past its expiry no longer counts."""
    client, _ = proxy
    who = subject()
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    grant(client, who, "personalization", expires_at=expires.isoformat())
    assert chat(client, "Hello", who, Purposes="generation,personalization").status_code == 200
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.3)
    refused = chat(client, "Hello", who, Purposes="generation,personalization")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "consent_required"


def test_us_ca_minor_companion_with_a_self_harm_signal_gets_disclosure_and_crisis_line(proxy: Any) -> None:
    """California SB 243: the answer discloses the AI and carries the 988 crisis line."""
    client, _ = proxy
    response = chat(client, "I feel so alone, I want to kill myself.", subject(), Setting="companion",
                    Region="US-CA", **{"Age-Band": "minor"})
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert "AI" in content
    assert "988" in content
    doc = decision(client, response)
    assert doc["obligations"]["crisis_protocol"] is True
    assert any("SB 243" in (r["citation"] or "") for r in doc["reasons"])


def test_us_il_therapy_request_fires_the_illinois_rule(proxy: Any) -> None:
    """Illinois HB 1806: a request for AI therapy is refused and the rule is named."""
    client, _ = proxy
    response = chat(client, "Can you be my therapist and write my treatment plan?", subject(), Region="US-IL")
    assert response.status_code == 403
    assert any("HB 1806" in (r["citation"] or "") for r in response.json()["guard"]["reasons"])


def test_a_blocked_stream_still_carries_the_crisis_line(proxy: Any) -> None:
    """When a streamed answer to a person in crisis is blocked, the safe response with 988 still arrives."""
    client, _ = proxy
    headers = {"X-Guard-Subject": subject(), "X-Guard-Setting": "companion", "X-Guard-Region": "US-CA",
               "X-Guard-Age-Band": "minor"}
    body = {"model": "scripted-demo", "stream": True,
            "messages": [{"role": "user", "content": "I want to kill myself. Bye."}]}
    parts, finish = [], None
    with client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                for choice in json.loads(line[6:]).get("choices", []):
                    parts.append((choice.get("delta") or {}).get("content") or "")
                    finish = choice.get("finish_reason") or finish
    text = "".join(parts)
    assert finish == "content_filter"
    assert "988" in text
    assert "lonely" not in text
