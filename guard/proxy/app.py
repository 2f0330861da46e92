"""The proxy application: `create_app(settings, *, guard=None, upstream_transport=None)`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from guard._guard import Guard
from guard.core.config import GuardSettings
from guard.errors import BadRequest, GuardError, NotFound
from guard.proxy.anthropic_messages import create_message
from guard.proxy.auth import AuthMiddleware
from guard.proxy.consent_routes import router as consent_router
from guard.proxy.door import Door
from guard.proxy.embeddings import create_embeddings
from guard.proxy.emotion import emotion_upstreams, infer_emotion
from guard.proxy.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from guard.proxy.openai_chat import chat_completions, list_models
from guard.proxy.responses import create_response
from guard.proxy.upstream import Upstream

__all__ = ["create_app"]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    guard: Guard | None = getattr(request.app.state, "guard", None)
    if guard is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    return JSONResponse({"status": "ready", "stages": [stage.name for stage in guard.pipeline.stages]})


async def get_decision(request: Request) -> Response:
    door = Door(request, api="guard.decisions")
    decision_id = request.path_params["decision_id"]
    try:
        doc = await door.guard.pipeline.recorder.get(decision_id, tenant=door.tenant)
        if doc is None:
            raise NotFound("No decision with that id for this tenant.",
                           hint="Decision ids come from the X-Guard-Decision response header.")
    except GuardError as error:
        return await door.failure(error)
    return JSONResponse(doc)


async def _not_found(request: Request, exc: Exception) -> Response:
    door = Door(request, api="unknown")
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 404
    if status == 405:
        error: GuardError = BadRequest(f"Method {request.method} is not allowed on {request.url.path}.")
    else:
        error = NotFound(f"No route {request.method} {request.url.path} on Empathy Guard.",
                         hint="See docs/api.md for the routes the proxy serves.")
    return await door.failure(error)


def create_app(
    settings: GuardSettings | None = None,
    *,
    guard: Guard | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the proxy. Pass `guard` to use a ready pipeline (tests, embedding); otherwise one is
    built from `settings` when the app starts. `upstream_transport` replaces the network to the
    model upstreams (tests)."""
    settings = settings or (guard.settings if guard else GuardSettings())
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        own = guard is None
        app.state.guard = guard or Guard.from_config(settings)
        if own:
            _freeze_startup_objects()
        metrics.bind(app.state.guard)
        app.state.upstreams = {
            "openai": Upstream(settings.upstreams.openai, transport=upstream_transport),
            "anthropic": Upstream(settings.upstreams.anthropic, transport=upstream_transport,
                                  auth_header="x-api-key"),
            **emotion_upstreams(settings, transport=upstream_transport),
        }
        try:
            yield {}
        finally:
            metrics.unbind(app.state.guard)
            for upstream in app.state.upstreams.values():
                await upstream.aclose()
            if own:
                await app.state.guard.aclose()

    routes: list[BaseRoute] = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/messages", create_message, methods=["POST"]),
        Route("/v1/embeddings", create_embeddings, methods=["POST"]),
        Route("/v1/responses", create_response, methods=["POST"]),
        Route("/guard/emotion/{name}", infer_emotion, methods=["POST"]),
        Route("/guard/decisions/{decision_id}", get_decision, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False),
    ]
    app = FastAPI(
        title="Empathy Guard",
        version=_version(),
        lifespan=lifespan,
        routes=routes,
        exception_handlers={404: _not_found, 405: _not_found},
        middleware=[Middleware(AuthMiddleware, settings=settings.auth)],
    )
    app.include_router(consent_router)
    if guard is not None:
        app.state.guard = guard  # usable before (or without) the lifespan, e.g. by a test client
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _freeze_startup_objects() -> None:
    """Leave what start-up built (models, recognizers, the policy) out of every later garbage
    collection: a full collection over it paused the event loop for 100 ms or more, a latency tail
    for every exchange in flight. What exchanges allocate is still collected as usual."""
    gc.collect()
    gc.freeze()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("empathy-guard")
    except PackageNotFoundError:
        return "0+unknown"
