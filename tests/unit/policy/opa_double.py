"""A loopback TEST DOUBLE of an OPA server (no OPA binary is installable here).

It speaks the part of OPA's REST API the OpaEngine uses: `PUT /v1/policies/{id}` (Rego text;
400 with OPA's error shape if it does not parse), `PUT /v1/data/{path}` (JSON, 204) and
`POST /v1/data/{path}` ({"input": ...} -> {"result": ...}, or {} when undefined). Policies are
evaluated with regopy. It also counts requests and can be told to stall, to test timeouts.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from regopy import Input, Interpreter, LogLevel, RegoError


class OpaDouble:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self.stall_s = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OpaDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _interpreter(self) -> Interpreter:
        interpreter = Interpreter()
        interpreter.log_level = LogLevel.NONE
        interpreter.add_data(self.data)
        for policy_id, source in self.policies.items():
            interpreter.add_module(policy_id, source)
        return interpreter

    def evaluate(self, path: str, document: Any) -> dict[str, Any]:
        with self._lock:
            interpreter = self._interpreter()
            interpreter.set_input(Input(document))
            output = interpreter.query("x := data." + path.replace("/", "."))
        if not output.results or "x" not in output.results[0].bindings:
            return {}
        return {"result": output.results[0].bindings["x"]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    super().handle()

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def _send(self, status: int, body: dict[str, Any] | None = None) -> None:
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self.wfile.write(raw)

            def do_PUT(self) -> None:
                double.requests.append(("PUT", self.path))
                body = self._body()
                if self.path.startswith("/v1/policies/"):
                    source = body.decode()
                    try:
                        Interpreter().add_module("check.rego", source)
                    except RegoError:
                        self._send(400, {"code": "invalid_parameter", "message": "error(s) occurred while "
                                         "compiling module(s)", "errors": [{"message": "rego_parse_error"}]})
                        return
                    with double._lock:
                        double.policies[self.path.removeprefix("/v1/policies/")] = source
                    self._send(200, {})
                elif self.path.startswith("/v1/data/"):
                    node = double.data
                    parts = self.path.removeprefix("/v1/data/").split("/")
                    with double._lock:
                        for part in parts[:-1]:
                            node = node.setdefault(part, {})
                        node[parts[-1]] = json.loads(body)
                    self._send(204)
                else:
                    self._send(404, {"code": "resource_not_found"})

            def do_POST(self) -> None:
                double.requests.append(("POST", self.path))
                if double.stall_s:
                    time.sleep(double.stall_s)
                if not self.path.startswith("/v1/data/"):
                    self._send(404, {"code": "resource_not_found"})
                    return
                document = json.loads(self._body() or b"{}").get("input")
                self._send(200, double.evaluate(self.path.removeprefix("/v1/data/").split("?")[0], document))

        return Handler
