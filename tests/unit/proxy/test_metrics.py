"""`GET /metrics` counts exchanges, stage latencies, upstream errors, audit failures and reloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.core.decision import Decision, Outcome
from guard.core.exchange import Exchange
from guard.core.memory import MemoryRecorder
from guard.core.stage import BaseStage
from guard.demo.model_server import ScriptedModel
from guard.errors import GuardError
from guard.proxy import create_app

SUBJECT = "subject-7f3a-private"
SECRET_TEXT = "my diary entry about Zanzibar"


class Redact(BaseStage):
    name = "redact"

    async def on_request(self, exchange: Exchange, decision: Decision) -> None:
        decision.stage(self.name).outcome = Outcome.CHANGED


class ReloadingPolicy(BaseStage):
    """Stands in for a policy stage that counts its hot reloads (the ReloadReporter protocol)."""

    name = "admit"
    reloads = 3
    reload_failures = 1
    revision = "sha256:abc123"


class BrokenRecorder(MemoryRecorder):
    async def record(self, decision: Decision) -> None:
        raise OSError("disk full")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def chat(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
def make_client(settings: GuardSettings) -> Callable[..., Any]:
    def make(guard: Guard, transport: httpx.AsyncBaseTransport | None = None) -> Any:
        transport = transport or httpx.ASGITransport(app=ScriptedModel().app())
        settings.upstreams.openai.base_url = "http://upstream.test/v1"
        app = create_app(settings, guard=guard, upstream_transport=transport)

        async def client() -> AsyncIterator[httpx.AsyncClient]:
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as c:
                yield c
        return client()
    return make


async def test_an_exchange_is_counted_with_its_action_and_stage_latencies(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """One allowed exchange shows up as pass/2xx, with a latency sample per stage that ran."""
    async for client in make_client(Guard(settings, stages=[Redact()])):
        response = await client.post("/v1/chat/completions", json=chat())
        assert response.status_code == 200
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert value(text, "guard_exchanges_total", api="openai.chat", action="pass", status="2xx") == 1
    assert value(text, "guard_stage_duration_seconds_count", stage="redact") == 1
    assert value(text, "guard_stage_duration_seconds_count", stage="record") == 1
    assert value(text, "guard_pipeline_duration_seconds_count", api="openai.chat") == 1
    assert value(text, "guard_http_requests_total", route="/v1/chat/completions", method="POST", status="2xx") == 1


async def test_labels_never_carry_subjects_ids_or_text(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """Subject ids, decision ids, message text and unknown paths never reach a label."""
    async for client in make_client(Guard(settings)):
        response = await client.post("/v1/chat/completions", json=chat(SECRET_TEXT, user=SUBJECT),
                                     headers={"X-Guard-Subject": SUBJECT})
        decision_id = response.headers["x-guard-decision"]
        assert (await client.get(f"/guard/decisions/{decision_id}")).status_code == 200
        assert (await client.get(f"/{SUBJECT}/probe")).status_code == 404
        text = (await client.get("/metrics")).text
    for secret in (SUBJECT, decision_id, "Zanzibar", "probe"):
        assert secret not in text
    assert value(text, "guard_http_requests_total", route="/guard/decisions/{decision_id}",
                 method="GET", status="2xx") == 1
    assert value(text, "guard_http_requests_total", route="<unmatched>", method="GET", status="4xx") == 1


def _status(code: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json={"error": {"message": "no"}})


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc
    return handle


@pytest.mark.parametrize(("handler", "kind", "status"), [
    (_status(503), "status", "5xx"),
    (_raise(httpx.ReadTimeout("slow")), "timeout", "5xx"),
    (_raise(httpx.ConnectError("refused")), "unreachable", "5xx"),
    (lambda request: httpx.Response(200, content=b"<html>"), "malformed", "5xx"),
])
async def test_upstream_failures_are_counted_by_kind(
        settings: GuardSettings, make_client: Callable[..., Any],
        handler: Callable[[httpx.Request], httpx.Response], kind: str, status: str) -> None:
    """Each way the upstream can fail increments its own kind, and the exchange counts as blocked."""
    async for client in make_client(Guard(settings), httpx.MockTransport(handler)):
        assert (await client.post("/v1/chat/completions", json=chat())).status_code >= 500
        text = (await client.get("/metrics")).text
    assert value(text, "guard_upstream_errors_total", api="openai.chat", kind=kind) == 1
    assert value(text, "guard_exchanges_total", api="openai.chat", action="block", status=status) == 1


async def test_audit_write_failures_are_counted_and_refused(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """A recorder that cannot write makes the exchange fail closed and counts an audit write failure."""
    async for client in make_client(Guard(settings, recorder=BrokenRecorder())):
        response = await client.post("/v1/chat/completions", json=chat())
        text = (await client.get("/metrics")).text
    assert response.status_code == 503
    assert value(text, "guard_audit_write_failures_total") == 1
    assert value(text, "guard_stage_failures_total", stage="record") == 1
    assert value(text, "guard_exchanges_total", api="openai.chat", action="pass", status="5xx") == 1


async def test_policy_reloads_are_read_from_the_stages_at_scrape_time(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """A stage reporting reloads shows up as guard_policy_reloads_total and the revision info."""
    policy = ReloadingPolicy()
    async for client in make_client(Guard(settings, stages=[policy])):
        first = (await client.get("/metrics")).text
        policy.reloads += 1
        second = (await client.get("/metrics")).text
    assert value(first, "guard_policy_reloads_total", result="ok") == 3
    assert value(first, "guard_policy_reloads_total", result="failed") == 1
    assert value(second, "guard_policy_reloads_total", result="ok") == 4
    assert value(first, "guard_policy_revision_info", revision="sha256:abc123") == 1


async def test_a_failing_observer_never_breaks_an_exchange(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """An observer that raises is logged and ignored; the caller still gets the answer."""
    guard = Guard(settings)

    def explode(decision: Decision, error: GuardError | None) -> None:
        raise RuntimeError("observer bug")

    guard.pipeline.observers.append(explode)
    async for client in make_client(guard):
        response = await client.post("/v1/chat/completions", json=chat())
    assert response.status_code == 200


async def test_two_apps_in_one_process_keep_separate_counts(
        settings: GuardSettings, make_client: Callable[..., Any]) -> None:
    """Each app has its own registry, so building a second app neither fails nor shares counts."""
    async for client in make_client(Guard(settings)):
        await client.post("/v1/chat/completions", json=chat())
    async for client in make_client(Guard(settings)):
        text = (await client.get("/metrics")).text
    assert value(text, "guard_exchanges_total", api="openai.chat", action="pass", status="2xx") == 0


def test_a_route_lookup_that_fails_gives_the_unmatched_label() -> None:
    """Labelling matches the routes again when routing left none in the scope (a 401 before
    routing). FastAPI builds a route lazily at its first match, which can raise; the label is then
    `<unmatched>` instead of an exception in the middleware that would reset the connection."""
    from types import SimpleNamespace

    from guard.proxy.metrics import _route_template

    class LazyRoute:
        def matches(self, scope: Any) -> Any:
            raise RuntimeError("lazy route build failed")

    app = SimpleNamespace(routes=[LazyRoute()])
    scope = {"type": "http", "path": "/guard/consent/s/p", "method": "PUT", "app": app}
    assert _route_template(scope) == "<unmatched>"
