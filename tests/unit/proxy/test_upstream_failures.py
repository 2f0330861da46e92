"""Upstream failures come back as provider-shaped errors with the right status, and are recorded."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.proxy import create_app

BODY = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def handler_status(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": "upstream says no", "type": "x"}})
    return handle


def handler_raises(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc
    return handle


def handler_not_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>oops</html>")


@pytest.mark.parametrize(("handler", "status", "code"), [
    (handler_status(500), 502, "upstream_error"),
    (handler_status(503), 502, "upstream_error"),
    (handler_raises(httpx.ConnectError("refused")), 502, "upstream_error"),
    (handler_raises(httpx.ReadTimeout("slow")), 504, "upstream_timeout"),
    (handler_not_json, 502, "upstream_error"),
])
async def test_upstream_failures_map_to_gateway_errors(
    settings: GuardSettings, handler: Callable[[httpx.Request], httpx.Response], status: int, code: str
) -> None:
    """5xx, refused connections and junk answers are 502; timeouts are 504; each is recorded."""
    guard = Guard(settings)
    app = create_app(settings, guard=guard, upstream_transport=httpx.MockTransport(handler))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
            response = await client.post("/v1/chat/completions", json=BODY)
            assert response.status_code == status
            assert response.json()["error"]["code"] == code
            doc = (await client.get(f"/guard/decisions/{response.headers['x-guard-decision']}")).json()
            assert doc["status"] == status
            assert doc["error"]


async def test_an_upstream_4xx_is_passed_through_as_is(settings: GuardSettings) -> None:
    """The upstream's own client errors (bad model name, quota) reach the caller unchanged."""
    guard = Guard(settings)
    app = create_app(settings, guard=guard, upstream_transport=httpx.MockTransport(handler_status(404)))
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
            response = await client.post("/v1/chat/completions", json=BODY)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "upstream says no"
    assert response.headers["x-guard-decision"]
