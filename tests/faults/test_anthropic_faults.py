"""The same real upstream faults on the Anthropic Messages route: Anthropic-shaped errors, recorded,
counted, and no connection kept once the caller has gone."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.faults.conftest import Stack
from tests.faults.test_upstream_faults import wait_for
from tests.faults.upstreams import Fault

pytestmark = pytest.mark.integration

API = "anthropic.messages"
HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test"}


def message(stream: bool = False) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "hello"}], "stream": stream}


def events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: ")]


@pytest.mark.parametrize(("fault", "status", "kind"), [
    (Fault.HANG, 504, "timeout"),
    (Fault.STATUS_500, 502, "status"),
    (Fault.RESET, 502, "unreachable"),
    (Fault.MALFORMED, 502, "malformed"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_an_upstream_fault_before_the_answer_is_an_anthropic_error(
        proxy_stack: Callable[..., Any], fault: Fault, status: int, kind: str, stream: bool) -> None:
    """Timeout, 5xx, reset and junk become 502/504 with Anthropic's error body, recorded and counted by kind."""
    with proxy_stack(fault, read_timeout_s=0.5) as stack:
        stack: Stack
        response = httpx.post(f"{stack.url}/v1/messages", json=message(stream), headers=HEADERS, timeout=10)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["type"] == "error"
        assert body["error"]["type"] == "api_error"
        doc = stack.decision(response.headers["x-guard-decision"])
        assert doc["status"] == status
        assert stack.metric("guard_upstream_errors_total", api=API, kind=kind) == 1
        assert wait_for(lambda: stack.pool_connections("anthropic") == 0)


@pytest.mark.parametrize("fault", [Fault.CUT_STREAM, Fault.CLEAN_END_NO_DONE])
def test_a_cut_anthropic_stream_ends_with_an_error_event(proxy_stack: Callable[..., Any], fault: Fault) -> None:
    """A reset or an early clean end mid-stream ends with an `error` event, never a fake message_stop."""
    with proxy_stack(fault) as stack:
        with httpx.stream("POST", f"{stack.url}/v1/messages", json=message(True), headers=HEADERS,
                          timeout=10) as response:
            assert response.status_code == 200
            decision_id = response.headers["x-guard-decision"]
            received = events(response.read().decode())
        assert received[-1]["type"] == "error"
        assert not any(e["type"] == "message_stop" for e in received)
        assert wait_for(lambda: stack.recorder.writes == 1)
        assert stack.decision(decision_id)["action"] == "block"
        assert stack.metric("guard_upstream_errors_total", api=API, kind="stream_cut") == 1


@pytest.mark.parametrize("fault", [Fault.SLOW_STREAM, Fault.STALL_STREAM])
def test_an_anthropic_client_that_disconnects_midstream_cancels_the_upstream(
        proxy_stack: Callable[..., Any], fault: Fault) -> None:
    """The upstream is hung up on promptly, the exchange recorded once as a client disconnect, no leak."""
    with proxy_stack(fault) as stack:
        with httpx.stream("POST", f"{stack.url}/v1/messages", json=message(True), headers=HEADERS,
                          timeout=10) as response:
            decision_id = response.headers["x-guard-decision"]
            assert b"message_start" in next(response.iter_raw())
        closed_at = time.monotonic()
        assert wait_for(lambda: bool(stack.upstream.peer_closed_at)), "upstream request not cancelled"
        assert stack.upstream.peer_closed_at[0] - closed_at < 2.0
        assert wait_for(lambda: stack.recorder.writes == 1), "the disconnected exchange was not recorded"
        assert "ClientDisconnected" in stack.decision(decision_id)["error"]
        assert stack.metric("guard_client_disconnects_total", api=API) == 1
        assert wait_for(lambda: stack.pool_connections("anthropic") == 0)
        assert wait_for(lambda: stack.upstream.open_connections == 0)


def test_an_anthropic_client_that_gives_up_before_the_answer_cancels_the_upstream(
        proxy_stack: Callable[..., Any]) -> None:
    """Non-streaming: the caller's timeout drops the upstream call instead of waiting for the model."""
    with proxy_stack(Fault.HANG, read_timeout_s=30) as stack:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{stack.url}/v1/messages", json=message(), headers=HEADERS, timeout=httpx.Timeout(5, read=0.5))
        assert wait_for(lambda: stack.upstream.open_connections == 0), "the upstream call kept running"
        assert wait_for(lambda: stack.recorder.writes == 1)
        assert stack.metric("guard_client_disconnects_total", api=API) == 1
