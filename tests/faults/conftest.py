"""A real proxy on loopback in front of a real misbehaving upstream, plus ways to read what it recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.decision import Decision
from guard.core.memory import MemoryRecorder
from tests.faults.upstreams import Fault, FaultyUpstream
from tests.support.servers import serve


class SlowRecorder(MemoryRecorder):
    """Like an audit sink, it really awaits while writing, so a cancelled caller would lose the record."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def record(self, decision: Decision) -> None:
        await asyncio.sleep(0.02)
        await super().record(decision)
        self.writes += 1


@dataclass
class Stack:
    upstream: FaultyUpstream
    url: str
    guard: Guard
    recorder: SlowRecorder
    app: Any

    def decision(self, decision_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/guard/decisions/{decision_id}", timeout=5)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return float(sample.value)
        return 0.0

    def pool_connections(self, upstream: str = "openai") -> int:
        """Connections the proxy's upstream pool still holds that are busy (a leak if a request is over)."""
        clients: list[httpx.AsyncClient] = self.app.state.upstreams[upstream].clients
        pools = [client._transport._pool for client in clients]  # type: ignore[attr-defined]
        return sum(1 for pool in pools for conn in pool.connections if not conn.is_idle())


@pytest.fixture
def proxy_stack(settings: GuardSettings) -> Callable[..., Any]:
    @contextmanager
    def make(fault: Fault, *, read_timeout_s: float = 5.0, **guard_args: Any) -> Iterator[Stack]:
        from guard.proxy import create_app

        upstream = FaultyUpstream(fault)
        with upstream.serve() as upstream_url:
            settings.upstreams.openai.base_url = upstream_url
            settings.upstreams.openai.api_key_env = None
            settings.upstreams.openai.read_timeout_s = read_timeout_s
            settings.upstreams.anthropic.base_url = upstream_url.removesuffix("/v1")
            settings.upstreams.anthropic.api_key_env = None
            settings.upstreams.anthropic.read_timeout_s = read_timeout_s
            recorder = SlowRecorder()
            guard = Guard(settings, recorder=recorder, **guard_args)
            app = create_app(settings, guard=guard)
            with serve(app) as url:
                yield Stack(upstream, url, guard, recorder, app)
    return make


def chat(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}
