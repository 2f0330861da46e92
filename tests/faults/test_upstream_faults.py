"""Real upstream faults on loopback: the caller gets a provider-shaped error and the decision is recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from tests.faults.conftest import Stack, chat
from tests.faults.upstreams import Fault

pytestmark = pytest.mark.integration

API = "openai.chat"


def sse_events(text: str) -> list[Any]:
    events = []
    for block in text.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[len("data: "):]
                events.append(data if data == "[DONE]" else json.loads(data))
    return events


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize(("fault", "status", "code", "kind"), [
    (Fault.HANG, 504, "upstream_timeout", "timeout"),
    (Fault.STATUS_500, 502, "upstream_error", "status"),
    (Fault.RESET, 502, "upstream_error", "unreachable"),
    (Fault.MALFORMED, 502, "upstream_error", "malformed"),
    (Fault.WRONG_SHAPE, 502, "upstream_error", "malformed"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_fault_before_the_answer_is_a_gateway_error(
        proxy_stack: Callable[..., Any], fault: Fault, status: int, code: str, kind: str, stream: bool) -> None:
    """Timeout, 5xx, reset and junk (or JSON where a stream was asked for) become a 502/504 in OpenAI's
    error shape, recorded and counted."""
    with proxy_stack(fault, read_timeout_s=0.5) as stack:
        stack: Stack
        started = time.monotonic()
        response = httpx.post(f"{stack.url}/v1/chat/completions", json=chat(stream=stream), timeout=10)
        elapsed = time.monotonic() - started
        assert response.status_code == status
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["error"]["code"] == code
        assert body["error"]["type"] == "api_error"
        assert "hello" not in response.text
        doc = stack.decision(response.headers["x-guard-decision"])
        assert doc["status"] == status
        assert doc["action"] == "block"
        assert doc["error"]
        assert stack.metric("guard_upstream_errors_total", api=API, kind=kind) == 1
        assert stack.metric("guard_exchanges_total", api=API, action="block", status="5xx") == 1
        if fault is Fault.HANG:
            assert elapsed < 3, "the read timeout was not honoured"
        assert wait_for(lambda: stack.pool_connections() == 0), "an upstream connection was left busy"


def test_the_openai_sdk_sees_the_gateway_error_as_an_api_error(proxy_stack: Callable[..., Any]) -> None:
    """The official SDK raises its own InternalServerError with our message for an upstream 5xx."""
    with proxy_stack(Fault.STATUS_500) as stack:
        client = openai.OpenAI(base_url=stack.url + "/v1", api_key="sk-test", max_retries=0)
        with pytest.raises(openai.InternalServerError) as raised:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert raised.value.status_code == 502
        assert "status 500" in raised.value.message


@pytest.mark.parametrize("fault", [Fault.CUT_STREAM, Fault.CLEAN_END_NO_DONE])
def test_a_stream_cut_midway_ends_with_an_error_event_and_is_recorded(
        proxy_stack: Callable[..., Any], fault: Fault) -> None:
    """A stream that dies (reset) or just stops (no finish, no [DONE]) ends with an error event, not a fake end."""
    with proxy_stack(fault) as stack:
        with httpx.stream("POST", f"{stack.url}/v1/chat/completions", json=chat(stream=True), timeout=10) as response:
            assert response.status_code == 200
            decision_id = response.headers["x-guard-decision"]
            events = sse_events(response.read().decode())
        texts = [e["choices"][0]["delta"].get("content", "") for e in events if isinstance(e, dict) and "choices" in e]
        assert "".join(texts).startswith("Hello")
        last = events[-1]
        assert isinstance(last, dict), "the stream must not end with [DONE] as if it were complete"
        assert last["error"]["code"] == "upstream_error"
        assert last["guard"]["decision"] == decision_id
        assert not any(isinstance(e, dict) and e.get("choices", [{}])[0].get("finish_reason") for e in events)
        assert wait_for(lambda: stack.recorder.writes == 1)
        doc = stack.decision(decision_id)
        assert doc["action"] == "block"
        assert "broke off" in doc["error"] or "ended" in doc["error"]
        assert stack.metric("guard_upstream_errors_total", api=API, kind="stream_cut") == 1


def test_the_openai_sdk_raises_on_a_cut_stream(proxy_stack: Callable[..., Any]) -> None:
    """The SDK's stream iterator raises APIError on our error event instead of returning a truncated answer."""
    with proxy_stack(Fault.CUT_STREAM) as stack:
        client = openai.OpenAI(base_url=stack.url + "/v1", api_key="sk-test", max_retries=0)
        stream = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
        with pytest.raises(openai.APIError):
            for _ in stream:
                pass


def test_a_complete_stream_still_ends_normally(proxy_stack: Callable[..., Any]) -> None:
    """Control: a well-behaved stream ends with finish_reason stop and [DONE]."""
    with proxy_stack(Fault.OK) as stack:
        with httpx.stream("POST", f"{stack.url}/v1/chat/completions", json=chat(stream=True), timeout=10) as response:
            events = sse_events(response.read().decode())
        assert events[-1] == "[DONE]"
        assert events[-2]["choices"][0]["finish_reason"] == "stop"
        assert stack.metric("guard_exchanges_total", api=API, action="pass", status="2xx") == 1


@pytest.mark.parametrize("fault", [Fault.SLOW_STREAM, Fault.STALL_STREAM])
def test_a_client_that_disconnects_midstream_cancels_the_upstream_request(
        proxy_stack: Callable[..., Any], fault: Fault) -> None:
    """The proxy hangs up on the upstream promptly, records the exchange once, and holds no connection."""
    with proxy_stack(fault) as stack:
        with httpx.stream("POST", f"{stack.url}/v1/chat/completions", json=chat(stream=True), timeout=10) as response:
            decision_id = response.headers["x-guard-decision"]
            first = next(response.iter_raw())
            assert b"Hello" in first
        closed_at = time.monotonic()
        assert wait_for(lambda: bool(stack.upstream.peer_closed_at), timeout=5), "upstream request not cancelled"
        assert stack.upstream.peer_closed_at[0] - closed_at < 2.0
        assert wait_for(lambda: stack.recorder.writes == 1), "the disconnected exchange was not recorded"
        doc = stack.decision(decision_id)
        assert "ClientDisconnected" in doc["error"]
        assert stack.metric("guard_client_disconnects_total", api=API) == 1
        assert stack.metric("guard_upstream_errors_total", api=API, kind="unreachable") == 0
        assert wait_for(lambda: stack.pool_connections() == 0), "an upstream connection leaked"
        # The scrape itself is the one request in flight.
        assert wait_for(lambda: stack.metric("guard_http_requests_in_flight") == 1)
        assert wait_for(lambda: stack.upstream.open_connections == 0)


def test_a_client_that_disconnects_before_the_answer_cancels_the_upstream_request(
        proxy_stack: Callable[..., Any]) -> None:
    """Non-streaming: if the caller gives up while the model is still working, the upstream call is dropped."""
    with proxy_stack(Fault.HANG, read_timeout_s=30) as stack:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{stack.url}/v1/chat/completions", json=chat(), timeout=httpx.Timeout(5, read=0.5))
        assert wait_for(lambda: stack.upstream.open_connections == 0, timeout=5), "the upstream call kept running"
        assert wait_for(lambda: stack.recorder.writes == 1)
        assert stack.metric("guard_client_disconnects_total", api=API) == 1
        assert wait_for(lambda: stack.pool_connections() == 0)
        (doc,) = stack.recorder._docs.values()
        assert doc["status"] == 499, "recorded as the client's doing, not as a refusal"
