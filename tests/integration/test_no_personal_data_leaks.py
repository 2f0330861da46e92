"""Random personal data sent through the proxy appears in no byte of the audit files, the operational
logs, the metrics or the error bodies."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.logging import configure_logging
from guard.proxy import create_app
from tests.support.servers import serve

pytestmark = pytest.mark.integration


def luhn_complete(prefix: str) -> str:
    digits = [int(d) for d in prefix]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if index % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return prefix + str((10 - total % 10) % 10)


@st.composite
def people(draw: st.DrawFn) -> dict[str, str]:
    fake = Faker("en_US")
    fake.seed_instance(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    card_prefix = draw(st.sampled_from(["4", "51", "55", "2221", "2720", "37"]))
    card_length = 15 if card_prefix == "37" else 16
    card_body = card_prefix + "".join(
        str(draw(st.integers(0, 9))) for _ in range(card_length - len(card_prefix) - 1)
    )
    return {
        "email": fake.unique.email(),
        "phone": f"({draw(st.integers(201, 989))}) {draw(st.integers(200, 999))}-{draw(st.integers(1000, 9999))}",
        "card": luhn_complete(card_body),
        "ssn": f"{draw(st.integers(101, 665))}-{draw(st.integers(10, 99))}-{draw(st.integers(1000, 9999))}",
        "ip": f"{draw(st.integers(11, 223))}.{draw(st.integers(0, 255))}.{draw(st.integers(0, 255))}."
              f"{draw(st.integers(1, 254))}",
        "subject": fake.unique.user_name() + "-" + str(draw(st.integers(1000, 9999))),
    }


TEMPLATES = [
    "My email is {email} and my phone is {phone}.",
    "Please charge card {card}, my SSN is {ssn}.",
    "I connect from {ip}; write to {email} if it fails.",
    "Call me on {phone}. Bye!",
]


class Stack:
    def __init__(self, model: ScriptedModel, url: str, state: Path, logs: io.StringIO) -> None:
        self.model, self.url, self.state, self.logs = model, url, state, logs
        self.client = httpx.Client(base_url=url, timeout=30)
        self.error_bodies: list[str] = []
        self.sent: list[str] = []


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=logs)
    state = tmp_path_factory.mktemp("leak-state")
    model = ScriptedModel()
    try:
        with serve(model.app()) as model_url:
            config = GuardSettings(data_dir=str(state))
            config.upstreams.openai.base_url = model_url + "/v1"
            config.upstreams.openai.api_key_env = None
            with serve(create_app(config, guard=Guard.from_config(config))) as url:
                stack = Stack(model, url, state, logs)
                yield stack
                stack.client.close()
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_guard_handler", False):
                root.removeHandler(handler)


def exchange(stack: Stack, person: dict[str, str], template: str, stream: bool) -> None:
    text = template.format(**person)
    stack.sent.append(text)
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": text}], "stream": stream,
                            "user": person["subject"]}
    headers = {"X-Guard-Setting": "companion", "X-Guard-Conversation": person["email"]}
    response = stack.client.post("/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    # A refused request (bad header value carrying personal data) must not echo it either.
    bad = stack.client.post("/v1/chat/completions", json=body, headers={"X-Guard-Region": person["email"]})
    assert bad.status_code == 400
    stack.error_bodies.append(bad.text)
    broken = stack.client.post("/v1/chat/completions", content=text.encode(),
                               headers={"content-type": "application/json"})
    assert broken.status_code == 400
    stack.error_bodies.append(broken.text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=people(), template=st.sampled_from(TEMPLATES), stream=st.booleans())
def test_personal_values_never_reach_audit_logs_metrics_or_errors(
    stack: Stack, person: dict[str, str], template: str, stream: bool
) -> None:
    """After each exchange, none of the person's values is anywhere the proxy writes or answers."""
    exchange(stack, person, template, stream)
    upstream_saw = json.dumps(stack.model.received[-1])
    metrics = stack.client.get("/metrics").text
    audit = b"".join(path.read_bytes() for path in sorted(stack.state.rglob("*")) if path.is_file()
                     and "audit" in path.parts[len(stack.state.parts):][0])
    logs = stack.logs.getvalue()
    assert audit
    assert logs  # the scrubbed logs are being written, so their absence of values means something
    for key in ("email", "phone", "card", "ssn", "ip", "subject"):
        value = person[key]
        if key != "subject" and value not in template.format(**person):
            continue
        where = {
            "audit files": value.encode() in audit,
            "operational logs": value in logs,
            "metrics": value in metrics,
            "error bodies": any(value in body for body in stack.error_bodies),
        }
        where["upstream request"] = value in upstream_saw
        leaked = [name for name, found in where.items() if found]
        assert not leaked, f"{key} leaked into {leaked}"
