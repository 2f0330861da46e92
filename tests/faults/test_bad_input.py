"""Hostile or broken requests over real HTTP: each is a clear 4xx, nothing reaches the model, nothing is echoed."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.faults.conftest import Stack, chat
from tests.faults.upstreams import Fault

pytestmark = pytest.mark.integration

SECRET = "Zanzibar-4711"  # stands in for personal text; must never come back in an error


@pytest.fixture
def stack(proxy_stack: Callable[..., Any], settings: Any) -> Iterator[Stack]:
    settings.server.max_body_bytes = 64 * 1024
    with proxy_stack(Fault.OK) as running:
        yield running


def post(stack: Stack, content: bytes, *, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{stack.url}/v1/chat/completions", content=content,
                      headers={"content-type": "application/json", **(headers or {})}, timeout=10)


def assert_refused(stack: Stack, response: httpx.Response, status: int, *, words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["type"] == "invalid_request_error"
    assert words in body["error"]["message"]
    assert SECRET not in response.text
    assert stack.upstream.requests == [], "a refused request reached the model"
    decision_id = response.headers["x-guard-decision"]
    doc = stack.decision(decision_id)
    assert doc["status"] == status
    return doc


def test_a_declared_oversized_body_is_413_before_reading_it(stack: Stack) -> None:
    """A Content-Length over server.max_body_bytes is refused with 413 and the limit named."""
    body = json.dumps(chat(SECRET * 10_000)).encode()
    assert_refused(stack, post(stack, body), 413, words="65536 bytes")


def test_a_chunked_oversized_body_is_413_while_streaming_in(stack: Stack) -> None:
    """A chunked body with no Content-Length is cut off at the limit, also 413."""
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "m", "messages": [{"role": "user", "content": "'
        for _ in range(200):
            yield SECRET.encode() * 100
        yield b'"}]}'
    response = httpx.post(f"{stack.url}/v1/chat/completions", content=chunks(),
                          headers={"content-type": "application/json"}, timeout=10)
    assert_refused(stack, response, 413, words="larger than the limit")


def test_invalid_utf8_is_400(stack: Stack) -> None:
    """Bytes that are not UTF-8 are refused with the offset, never echoed."""
    body = b'{"model": "m", "messages": [{"role": "user", "content": "' + SECRET.encode() + b'\xff\xfe"}]}'
    assert_refused(stack, post(stack, body), 400, words="not valid UTF-8")


@pytest.mark.parametrize("depth", [100_000, 5_000, 900])
def test_deeply_nested_json_is_400_not_a_crash(stack: Stack, depth: int) -> None:
    """Nesting deep enough to exhaust a recursive parser or copier is a 400, never a 500."""
    nested = "[" * depth + "]" * depth
    body = f'{{"model": "m", "metadata": {nested}, "messages": [{{"role": "user", "content": "hi"}}]}}'.encode()
    if len(body) > 64 * 1024:
        body = ("[" * depth + "]" * depth).encode()[: 60 * 1024]
    response = post(stack, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_huge_message_counts_are_400(stack: Stack, settings: Any) -> None:
    """More messages than OpenAI's own limit (2048) are refused before any stage runs."""
    settings.server.max_body_bytes = 4 * 1024 * 1024
    messages = [{"role": "user", "content": "hi"}] * 50_000
    response = post(stack, json.dumps({"model": "m", "messages": messages}).encode())
    assert_refused(stack, response, 400, words="2048")


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
])
def test_wrong_content_types_are_415(stack: Stack, content_type: str) -> None:
    """A body that says it is not JSON is refused with 415 naming the expected type."""
    body = json.dumps(chat(SECRET)).encode()
    response = post(stack, body, headers={"content-type": content_type})
    assert response.status_code == 415, response.text
    assert "application/json" in response.json()["error"]["message"]
    assert SECRET not in response.text
    assert stack.upstream.requests == []


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", None])
def test_json_content_types_and_none_are_accepted(stack: Stack, content_type: str | None) -> None:
    """Control: JSON (with or without charset) and a missing Content-Type still work."""
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.post(f"{stack.url}/v1/chat/completions", content=json.dumps(chat()).encode(),
                          headers=headers, timeout=10)
    if content_type is None:
        assert "content-type" not in response.request.headers
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("body", [
    b"", b"[1, 2]", b'"text"', b"{not json", b'{"model": "m", "messages": "hi"}',
    # Python's parser accepts these non-standard constants; forwarding them would break upstream.
    b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": Infinity}',
    b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "top_p": NaN}',
])
def test_malformed_bodies_are_400(stack: Stack, body: bytes) -> None:
    """Empty, non-object, unparsable and wrongly shaped bodies are each a 400 with a reason."""
    response = post(stack, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]
    assert stack.upstream.requests == []


def raw_request(stack: Stack, head: bytes, body: bytes = b"") -> bytes:
    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head + body)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return data


def _status_line(data: bytes) -> int:
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1") else 0


@pytest.mark.parametrize("bad_header", [
    b"X-Guard-Region: DE\rX-Injected: 1",  # a bare CR inside a value
    b"X-Guard-Region: DE\x00evil",  # NUL
    b"X-Guard-Setting: companion\nX-Guard-Age-Band: minor",  # a bare LF line ending
    b" X-Guard-Region: DE",  # obsolete line folding
])
def test_header_injection_is_refused_at_the_door(stack: Stack, bad_header: bytes) -> None:
    """Control characters and folding in headers get a 4xx from the server; nothing is forwarded."""
    body = json.dumps(chat()).encode()
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\n" + bad_header + b"\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode())
    status = _status_line(raw_request(stack, head, body))
    assert 400 <= status < 500 or status == 0, status  # 0: the server hung up without answering
    assert stack.upstream.requests == []


def test_request_smuggling_with_both_length_headers_is_refused(stack: Stack) -> None:
    """Content-Length together with Transfer-Encoding (a smuggling vector) is refused."""
    body = json.dumps(chat()).encode()
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nTransfer-Encoding: chunked\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode())
    data = raw_request(stack, head, f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    status = _status_line(data)
    assert 400 <= status < 500 or status == 0, status
    assert len(stack.upstream.requests) <= 0


@pytest.mark.parametrize(("header", "value"), [
    ("X-Guard-Region", "Narnia; DROP TABLE"),
    ("X-Guard-Setting", "casino"),
    ("X-Guard-Subject", "s" * 5000),
    ("X-Guard-Purposes", "generation,../../etc/passwd"),
])
def test_bad_context_headers_are_400_naming_the_header(stack: Stack, header: str, value: str) -> None:
    """Context headers with bad values are refused with the header's name and without its value."""
    response = post(stack, json.dumps(chat()).encode(), headers={header: value})
    assert response.status_code == 400, response.text
    assert header.lower() in response.json()["error"]["message"].lower()
    assert value[:20] not in response.text
    assert stack.upstream.requests == []


def test_only_allow_listed_headers_reach_the_model(stack: Stack) -> None:
    """Cookies, forwarding and hop-by-hop headers, and our own X-Guard-* headers stay at the proxy."""
    response = post(stack, json.dumps(chat()).encode(), headers={
        "Cookie": f"session={SECRET}", "X-Forwarded-For": "10.0.0.1", "X-Guard-Subject": SECRET,
        "Proxy-Authorization": "Basic abc", "X-Api-Key": "not-for-openai", "Authorization": "Bearer sk-caller"})
    assert response.status_code == 200, response.text
    head = stack.upstream.requests[0]["head"].lower()
    for leaked in ("cookie", "x-forwarded-for", "x-guard-", "proxy-authorization", "x-api-key", SECRET.lower()):
        assert leaked not in head
    assert "authorization: bearer sk-caller" in head
