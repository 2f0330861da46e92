"""Policy faults for real: a broken edit of the live pack keeps the last good bundle; a dead or hung
or babbling OPA server makes every exchange fail closed (503), recorded and counted."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from guard._guard import Guard
from guard.consent import open_store
from guard.core.config import GuardSettings
from guard.demo.model_server import ScriptedModel
from guard.policy import build_stages, default_policy_dir
from guard.proxy import create_app
from tests.faults.upstreams import Fault, FaultyUpstream
from tests.unit.proxy.test_metrics import value

BODY = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def policy_guard(settings: GuardSettings) -> Guard:
    hasher = Guard.subject_hasher(settings)
    consents = open_store(settings)
    admit, judge = build_stages(settings, consents=consents, hasher=hasher)
    return Guard(settings, stages=[admit, judge], hasher=hasher, services={"consents": consents})


@pytest.fixture
def client_for(settings: GuardSettings) -> Callable[[Guard], Any]:
    def make(guard: Guard) -> Any:
        settings.upstreams.openai.base_url = "http://upstream.test/v1"
        app = create_app(settings, guard=guard, upstream_transport=httpx.ASGITransport(app=ScriptedModel().app()))

        async def run() -> AsyncIterator[httpx.AsyncClient]:
            async with app.router.lifespan_context(app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://proxy.test") as client:
                yield client
            await guard.aclose()
        return run()
    return make


async def revision_of(client: httpx.AsyncClient, response: httpx.Response) -> str:
    doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
    return str(doc["policy_revision"])


async def until(condition: Callable[[], bool], client: httpx.AsyncClient, within_s: float = 10.0) -> list[int]:
    """Keep the traffic flowing (reload checks ride on requests) until `condition` holds."""
    statuses = []
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        statuses.append((await client.post("/v1/chat/completions", json=BODY)).status_code)
        await asyncio.sleep(0.1)
    assert condition(), "the engine never got there"
    return statuses


async def test_a_broken_policy_edit_keeps_the_last_good_bundle_serving(
        settings: GuardSettings, tmp_path: Path, client_for: Callable[[Guard], Any]) -> None:
    """Live pack edited into a syntax error: no request fails, the old revision serves, the failure is counted;
    a later valid edit is picked up without a restart."""
    pack = tmp_path / "pack"
    shutil.copytree(default_policy_dir(), pack)
    settings.policy.dir = str(pack)
    guard = policy_guard(settings)
    engine = guard.pipeline.stages[0].engine  # type: ignore[attr-defined]
    admit = pack / "guard" / "admit.rego"
    good = admit.read_text()
    async for client in client_for(guard):
        first = await client.post("/v1/chat/completions", json=BODY)
        assert first.status_code == 200
        good_revision = await revision_of(client, first)

        await asyncio.sleep(0.05)
        admit.write_text(good + "\nthis is { not rego\n")
        statuses = await until(lambda: engine.reload_failures >= 1, client)
        assert set(statuses) <= {200}, "a broken edit must not fail a single request"
        during = await client.post("/v1/chat/completions", json=BODY)
        assert during.status_code == 200
        assert await revision_of(client, during) == good_revision
        metrics = (await client.get("/metrics")).text
        assert value(metrics, "guard_policy_reloads_total", result="failed") >= 1

        admit.write_text(good + "\n# edited: a valid change\n")
        statuses = await until(lambda: engine.reloads >= 1, client)
        assert set(statuses) <= {200}
        after = await client.post("/v1/chat/completions", json=BODY)
        new_revision = await revision_of(client, after)
        assert new_revision != good_revision
        assert value((await client.get("/metrics")).text, "guard_policy_revision_info", revision=new_revision) == 1


@pytest.mark.integration
@pytest.mark.parametrize("fault", [None, Fault.HANG, Fault.MALFORMED, Fault.STATUS_500])
async def test_an_opa_server_that_fails_makes_exchanges_fail_closed(
        settings: GuardSettings, client_for: Callable[[Guard], Any], fault: Fault | None) -> None:
    """Refused connection, no answer, junk or a 500 from OPA: 503 policy_error, nothing reaches the model."""
    settings.policy.engine = "opa"
    settings.policy.opa_timeout_s = 0.3
    opa = FaultyUpstream(fault or Fault.OK)
    with opa.serve() as url:
        settings.policy.opa_url = url.removesuffix("/v1") if fault else "http://127.0.0.1:1"
        guard = policy_guard(settings)
        async for client in client_for(guard):
            started = time.monotonic()
            response = await client.post("/v1/chat/completions", json=BODY)
            assert time.monotonic() - started < 5
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "policy_error"
            doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
            assert doc["stages"]["admit"]["outcome"] == "error"
            assert doc["status"] == 503
            metrics = (await client.get("/metrics")).text
            assert value(metrics, "guard_stage_failures_total", stage="admit") == 1
            assert value(metrics, "guard_exchanges_total", api="openai.chat", action="block", status="5xx") == 1
