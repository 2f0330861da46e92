"""Run the demo: scripted model server + proxy on loopback, a short conversation, each decision shown."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.demo.script import TURNS, Turn

__all__ = ["run_demo"]

_ACTION_STYLE = {"pass": "green", "annotate": "cyan", "rewrite": "yellow", "block": "red"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"demo-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("a demo server did not start; is the port range on 127.0.0.1 usable?")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _ask(client: httpx.Client, turn: Turn) -> tuple[int, dict[str, str], str]:
    body = {"model": "scripted-demo", "messages": [{"role": "user", "content": turn.user}], "stream": turn.stream}
    if not turn.stream:
        response = client.post("/v1/chat/completions", json=body, headers=turn.headers)
        data = response.json()
        if response.status_code != 200:
            return response.status_code, dict(response.headers), data.get("guard", {}).get("explanation", "")
        return 200, dict(response.headers), data["choices"][0]["message"]["content"]
    parts: list[str] = []
    with client.stream("POST", "/v1/chat/completions", json=body, headers=turn.headers) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunk = json.loads(line[6:])
                for choice in chunk.get("choices", []):
                    parts.append((choice.get("delta") or {}).get("content") or "")
        return response.status_code, dict(response.headers), "".join(parts)


def _show(console: Console, number: int, turn: Turn, result: tuple[int, dict[str, str], str],
          upstream_saw: str | None, decision: dict[str, Any]) -> None:
    status, _headers, answer = result
    # A stream's X-Guard-Action header is sent before the answer exists; the decision has the final word.
    action = str(decision.get("action", "?"))
    style = _ACTION_STYLE.get(action, "white")
    body = Text()
    context = decision.get("context", {})
    body.append(f"context     {context.get('setting')} · {context.get('region')} · "
                f"purposes {', '.join(context.get('purposes', []))}{' · streamed' if turn.stream else ''}\n", "dim")
    body.append("user        ", "bold")
    body.append(turn.user + "\n")
    body.append("model saw   ", "bold")
    body.append((upstream_saw if upstream_saw is not None else "(nothing: the request was refused)") + "\n",
                "magenta")
    body.append("answer      ", "bold")
    body.append((answer or "(none)") + "\n")
    body.append("decision    ", "bold")
    body.append(f"{action.upper()}", f"bold {style}")
    body.append(f"  HTTP {status}  id {decision.get('id', '?')}\n", "dim")
    explanation = decision.get("explanation", {})
    body.append("to the user ", "bold")
    body.append(explanation.get("user", "") + "\n", "italic")
    body.append("to the operator\n", "bold")
    body.append(explanation.get("operator", ""), "dim")
    console.print(Panel(body, title=f"[bold]{number}. {turn.title}", border_style=style, expand=True))


def run_demo(data_dir: Path, *, console: Console | None = None) -> int:
    """Run the scripted conversation; returns the number of turns shown."""
    console = console or Console()
    from guard._guard import Guard
    from guard.proxy import create_app

    model = ScriptedModel(chunk_delay_s=0.01)
    console.print(Panel.fit(
        "[bold]Empathy Guard demo[/]\nA scripted stand-in model server (not a real LLM: canned, deterministic "
        "replies, some deliberately bad) sits behind the Empathy Guard proxy. Each turn goes through the "
        "whole pipeline: consent policy (Rego) → PII redaction (Presidio) → model → manipulation check → "
        "output policy → restore → signed audit record.", border_style="blue"))
    with _serve(model.app()) as model_url:
        settings = GuardSettings(data_dir=str(data_dir))
        settings.upstreams.openai.base_url = model_url + "/v1"
        settings.upstreams.openai.api_key_env = None
        with console.status("Loading the policy pack, the NER model and the detectors…"):
            guard = Guard.from_config(settings)
        try:
            with _serve(create_app(settings, guard=guard)) as proxy_url, \
                    httpx.Client(base_url=proxy_url, timeout=60) as client:
                for number, turn in enumerate(TURNS, start=1):
                    seen_before = len(model.received)
                    result = _ask(client, turn)
                    upstream_saw = None
                    if len(model.received) > seen_before:
                        upstream_saw = model.received[-1]["messages"][-1]["content"]
                    decision_id = result[1].get("x-guard-decision", "")
                    decision = client.get(f"/guard/decisions/{decision_id}").json()
                    _show(console, number, turn, result, upstream_saw, decision)
        finally:
            asyncio.run(guard.aclose())  # closes the audit chain with a signed checkpoint
    audit_dir = Path(settings.audit.path or settings.data_path("audit"))
    config_file = data_dir / "guard.yaml"
    config_file.write_text(f"# Written by `guard demo`: points the commands at the demo's state.\n"
                           f"data_dir: {json.dumps(str(data_dir.resolve()))}\n", encoding="utf-8")
    console.print(Panel.fit(
        f"Every decision above is a signed, hash-chained audit record in [bold]{audit_dir}[/].\n"
        f"Check the chain:    [bold]guard audit verify --config {config_file}[/]\n"
        f"Compliance report:  [bold]guard report --config {config_file} --since 2000-01-01 "
        f"--until 2100-01-01 --format html --out report.html[/]\n"
        "Put it in front of your own app: [bold]guard serve[/] (see README.md).", border_style="blue"))
    return len(TURNS)
