"""`POST /guard/emotion/{name}` with the full default pipeline, in front of two differently shaped
loopback emotion models: consent, the Art. 5(1)(f) prohibition, the Art. 50(3) notice, culture
caps, and redaction of what the model is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import EmotionRoute, GuardSettings, load_settings
from guard.demo.emotion_servers import ScriptedAnalyzer, ScriptedClassifier, keyword_scores
from guard.errors import ConfigError, UpstreamError
from guard.proxy import create_app
from guard.proxy.emotion import find_labels
from tests.support.servers import serve

pytestmark = pytest.mark.integration

SUBJECT = "person-42"
TEXT = "I'm Maria Lopez and I feel so lonely and sad today, but I love my dog."


class Stack:
    def __init__(self, guard: Guard, classifier: ScriptedClassifier, analyzer: ScriptedAnalyzer, url: str) -> None:
        self.guard, self.classifier, self.analyzer, self.url = guard, classifier, analyzer, url

    def post(self, name: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return httpx.post(f"{self.url}/guard/emotion/{name}", json=body,
                          headers={"X-Guard-Subject": SUBJECT, **headers})

    def decision(self, response: httpx.Response) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/guard/decisions/{response.headers['x-guard-decision']}").json())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    classifier, analyzer = ScriptedClassifier(), ScriptedAnalyzer()
    with serve(classifier.app()) as classifier_url, serve(analyzer.app()) as analyzer_url:
        settings = GuardSettings(data_dir=str(tmp_path_factory.mktemp("state")), emotion_routes={
            "mood": EmotionRoute(url=classifier_url + "/classify", text="$.inputs", labels="$[*]"),
            "nested": EmotionRoute(url=analyzer_url + "/v2/analyze", text="$.document.text", labels="$.emotions"),
        })
        guard = Guard.from_config(settings)
        with serve(create_app(settings, guard=guard)) as url:
            stack = Stack(guard, classifier, analyzer, url)
            consents = guard.services["consents"]
            subject_hash = guard.hasher("default", SUBJECT)
            asyncio.run(consents.grant("default", subject_hash, "emotion_inference"))
            yield stack


def test_without_consent_the_model_is_never_called(stack: Stack) -> None:
    """emotion_inference needs a consent record: 403 consent_required, nothing sent."""
    before = len(stack.classifier.received)
    response = stack.post("mood", {"inputs": "hello"}, **{"X-Guard-Subject": "someone-else"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "consent_required"
    assert len(stack.classifier.received) == before


def test_labels_come_back_with_the_notice_and_the_text_went_redacted(stack: Stack) -> None:
    """With consent: labels in [{label, score}] shape, the emotion-recognition notice, redacted input."""
    response = stack.post("mood", {"inputs": TEXT, "options": {"top_k": 5}})
    assert response.status_code == 200, response.text
    sent = stack.classifier.received[-1]
    assert "Maria Lopez" not in sent["inputs"]
    assert "<PERSON_1>" in sent["inputs"]
    assert sent["options"] == {"top_k": 5}
    data = response.json()
    expected = keyword_scores(sent["inputs"])
    assert {item["label"]: item["score"] for item in data["labels"]} == expected
    assert data["result"] == [{"label": k, "score": v} for k, v in sorted(expected.items(), key=lambda i: -i[1])]
    assert data["notices"] == ["This service uses emotion recognition on your messages."]
    doc = stack.decision(response)
    assert doc["context"]["model_kind"] == "emotion"
    assert "emotion_inference" in doc["context"]["purposes"]
    assert doc["notices"] == data["notices"]
    assert {f["label"] for f in doc["findings"] if f["detector"] == "emotion.mood"} == set(expected)
    assert "Maria" not in str(doc)


def test_a_nested_mapping_shape_is_understood(stack: Stack) -> None:
    """The analyzer's {emotions: {label: score}} shape works through the labels JSONPath."""
    response = stack.post("nested", {"document": {"text": TEXT}})
    assert response.status_code == 200, response.text
    data = response.json()
    assert "Maria Lopez" not in stack.analyzer.received[-1]["document"]["text"]
    assert data["result"]["model"] == "scripted-analyzer"
    assert {item["label"] for item in data["labels"]} == set(data["result"]["emotions"])


def test_an_unvalidated_locale_gets_capped_scores_and_its_disclaimer(stack: Stack) -> None:
    """In German (no validated data) scores above the cap are capped, in the labels and the model's JSON."""
    response = stack.post("nested", {"document": {"text": "I am so happy and glad, wonderful!"}},
                          **{"X-Guard-Locale": "de-DE"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert max(item["score"] for item in data["labels"]) == 0.5
    assert data["result"]["emotions"]["joy"] == 0.5
    assert any("Emotionserkennung" in notice for notice in data["notices"])
    assert any("Sprache" in notice for notice in data["notices"])


@pytest.mark.parametrize("setting", ["workplace", "education"])
def test_the_workplace_and_education_prohibition_holds_despite_consent(stack: Stack, setting: str) -> None:
    """In the EU, emotion inference at work or school is refused (Art. 5(1)(f)); consent does not lift it."""
    before = len(stack.classifier.received)
    response = stack.post("mood", {"inputs": "hello"}, **{"X-Guard-Setting": setting, "X-Guard-Region": "DE"})
    assert response.status_code == 403
    reasons = response.json()["guard"]["reasons"]
    assert any(reason["citation"] == "EU AI Act Art. 5(1)(f)" for reason in reasons)
    assert len(stack.classifier.received) == before


def test_unknown_routes_and_missing_text_are_refused(stack: Stack) -> None:
    """An unconfigured name is 404; a body without text at the JSONPath is 400."""
    assert stack.post("nope", {"inputs": "x"}).status_code == 404
    missing = stack.post("mood", {"text": "x"})
    assert missing.status_code == 400
    assert "$.inputs" in missing.json()["error"]["message"]


def test_label_parsing_rejects_non_numeric_scores() -> None:
    """A label without a numeric score is the model's fault: an UpstreamError, not a crash."""
    route = EmotionRoute(url="http://x/classify")
    with pytest.raises(UpstreamError):
        find_labels([{"label": "joy", "score": "high"}], route)
    data = [{"label": "joy", "score": 0.9}, {"label": "fear", "score": 0.1}]
    labels = find_labels(data, route)
    labels[1].remove()
    labels[0].set_score(0.5)
    assert data == [{"label": "joy", "score": 0.5}]


@pytest.mark.parametrize(("route", "fragment"), [
    ({"url": "http://x/c", "labels": "$[["}, "JSONPath"),
    ({"url": "http://x/c", "text": "inputs["}, "JSONPath"),
    ({"url": "file:///etc/passwd"}, "http"),
])
def test_bad_routes_are_refused_when_the_config_is_read(route: dict[str, str], fragment: str) -> None:
    """A broken JSONPath or a non-HTTP URL is a ConfigError at load time (so `guard config check` sees it)."""
    with pytest.raises(ConfigError, match=fragment):
        load_settings(None, emotion_routes={"mood": route})
