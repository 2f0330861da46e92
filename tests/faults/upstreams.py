"""A model upstream that misbehaves for real, on a loopback socket: hangs, resets, cuts streams.

Each connection reads one HTTP/1.1 request and then acts out the chosen `Fault`. Everything the
server sees (requests, when a peer closed on it) is kept so tests can check what the proxy did.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    HANG = "hang"  # read the request, never answer
    STATUS_500 = "status_500"  # a well-formed 500
    RESET = "reset"  # TCP RST instead of an answer
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    WRONG_SHAPE = "wrong_shape"  # 200 JSON without choices
    CUT_STREAM = "cut_stream"  # SSE: two chunks, then RST mid-body
    CLEAN_END_NO_DONE = "clean_end_no_done"  # SSE: two chunks, then a clean end without finish/[DONE]
    SLOW_STREAM = "slow_stream"  # SSE: one chunk, then one every `slow_interval_s` for a long time
    STALL_STREAM = "stall_stream"  # SSE: one chunk, then silence (a model "thinking")
    OK = "ok"  # a normal completion (JSON or SSE)


def chunk(text: str, finish: str | None = None) -> bytes:
    payload = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
               "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n".encode()


def anthropic_event(data: dict[str, Any]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()


def anthropic_text(text: str) -> bytes:
    return anthropic_event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})


ANTHROPIC_START = (
    anthropic_event({"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m", "stop_reason": None,
        "usage": {"input_tokens": 1, "output_tokens": 1}}})
    + anthropic_event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
ANTHROPIC_END = (
    anthropic_event({"type": "content_block_stop", "index": 0})
    + anthropic_event({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}})
    + anthropic_event({"type": "message_stop"}))


def anthropic_message(text: str) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": text}], "usage": {"input_tokens": 1, "output_tokens": 1}}


def completion(text: str) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}


@dataclass
class FaultyUpstream:
    fault: Fault = Fault.OK
    slow_interval_s: float = 0.05
    requests: list[dict[str, Any]] = field(default_factory=list)
    peer_closed_at: list[float] = field(default_factory=list)  # when the proxy hung up on a stream
    open_connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    # -- connection handling ---------------------------------------------------------------------

    def _read_request(self, conn: socket.socket) -> dict[str, Any] | None:
        data = b""
        while b"\r\n\r\n" not in data:
            part = conn.recv(65536)
            if not part:
                return None
            data += part
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, val = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(val.strip())
        while len(body) < length:
            part = conn.recv(65536)
            if not part:
                return None
            body += part
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None  # e.g. a Rego module PUT to a stand-in OPA
        request: dict[str, Any] = {"head": head.decode("latin-1"), "body": parsed, "raw": body,
                                   "path": head.split(b" ", 2)[1].decode("latin-1")}
        with self._lock:
            self.requests.append(request)
        return request

    def _handle(self, conn: socket.socket) -> None:
        with self._lock:
            self.open_connections += 1
        try:
            request = self._read_request(conn)
            if request is not None:
                self._act(conn, request)
        except OSError:
            pass
        finally:
            with self._lock:
                self.open_connections -= 1
            with suppress(OSError):
                conn.close()

    def _act(self, conn: socket.socket, request: dict[str, Any]) -> None:
        stream = isinstance(request["body"], dict) and bool(request["body"].get("stream"))
        fault = self.fault
        if fault is Fault.HANG:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not self._stop.is_set():
                if self._watch_for_hangup(conn, 0.05):
                    return
        elif fault is Fault.STATUS_500:
            _send_json(conn, 500, {"error": {"message": "internal", "type": "server_error"}})
        elif fault is Fault.RESET:
            _reset(conn)
        elif fault is Fault.MALFORMED:
            _send_raw(conn, 200, b'{"choices": [ this is not json', "application/json")
        elif fault is Fault.WRONG_SHAPE:
            _send_json(conn, 200, {"object": "chat.completion", "result": "where are my choices"})
        elif fault is Fault.OK and not stream:
            anthropic = request["path"].endswith("/messages")
            _send_json(conn, 200, anthropic_message("All good here.") if anthropic else completion("All good here."))
        else:
            self._stream(conn, fault, anthropic=request["path"].endswith("/messages"))

    def _stream(self, conn: socket.socket, fault: Fault, *, anthropic: bool = False) -> None:
        text = anthropic_text if anthropic else chunk
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        if anthropic:
            _send_chunk(conn, ANTHROPIC_START)
        _send_chunk(conn, text("Hello "))
        if fault is Fault.OK:
            _send_chunk(conn, text("there."))
            _send_chunk(conn, ANTHROPIC_END if anthropic else chunk("", "stop") + b"data: [DONE]\n\n")
            conn.sendall(b"0\r\n\r\n")
            return
        if fault is Fault.CUT_STREAM:
            _send_chunk(conn, text("world, "))
            time.sleep(0.05)
            conn.sendall(b"40\r\ndata: {\"choi")  # half a chunk, then the connection dies
            _reset(conn)
            return
        if fault is Fault.CLEAN_END_NO_DONE:
            _send_chunk(conn, text("world, "))
            conn.sendall(b"0\r\n\r\n")
            return
        if fault is Fault.STALL_STREAM:
            self._watch_for_hangup(conn, 30.0)
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self._stop.is_set():  # SLOW_STREAM
            if self._watch_for_hangup(conn, self.slow_interval_s):
                return
            try:
                _send_chunk(conn, text("more "))
            except OSError:
                self._note_hangup()
                return

    def _watch_for_hangup(self, conn: socket.socket, seconds: float) -> bool:
        """Wait up to `seconds`; True (and noted) if the proxy closed the connection meanwhile."""
        conn.settimeout(seconds)
        try:
            if conn.recv(1) == b"":
                self._note_hangup()
                return True
        except TimeoutError:
            return False
        except OSError:
            self._note_hangup()
            return True
        finally:
            conn.settimeout(None)
        return False

    def _note_hangup(self) -> None:
        with self._lock:
            self.peer_closed_at.append(time.monotonic())

    # -- server ---------------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.1)
        port = listener.getsockname()[1]
        threads: list[threading.Thread] = []

        def accept_loop() -> None:
            while not self._stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(None)
                thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
                thread.start()
                threads.append(thread)

        acceptor = threading.Thread(target=accept_loop, daemon=True)
        acceptor.start()
        try:
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            self._stop.set()
            acceptor.join(timeout=5)
            listener.close()
            for thread in threads:
                thread.join(timeout=5)


def _send_raw(conn: socket.socket, status: int, body: bytes, content_type: str) -> None:
    reason = {200: "OK", 500: "Internal Server Error"}.get(status, "X")
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n")
    conn.sendall(head.encode() + body)


def _send_json(conn: socket.socket, status: int, payload: dict[str, Any]) -> None:
    _send_raw(conn, status, json.dumps(payload).encode(), "application/json")


def _send_chunk(conn: socket.socket, data: bytes) -> None:
    conn.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def _reset(conn: socket.socket) -> None:
    """Close with SO_LINGER 0: the kernel sends RST, the peer sees 'connection reset'."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
