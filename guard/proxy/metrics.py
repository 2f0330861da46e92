"""Prometheus metrics for the proxy, served at `GET /metrics`.

Two sources feed them:

- a pure ASGI middleware (`MetricsMiddleware`) counts HTTP requests by *route template*
  (`/guard/consent/{subject}/{purpose}`, never the concrete path, which can hold a subject id),
  method and status, times them and tracks requests in flight;
- a pipeline observer (`Metrics.observe`, registered on `Pipeline.observers`) sees every recorded
  decision once: exchanges by api/action/status class, per-stage latency histograms, stage
  failures, upstream errors by kind, client disconnects and audit write failures.

Policy reloads are pulled at scrape time from any stage or service that reports them (see
`ReloadReporter`), so the policy engine needs no reference to the metrics.

No label ever holds a personal value: labels are drawn from fixed sets (api names, actions, stage
names, error kinds, route templates, methods, status classes).

Several worker processes: when prometheus_client runs in its multiprocess mode (the operator sets
`PROMETHEUS_MULTIPROC_DIR` before start, see docs/operations.md), `/metrics` aggregates every
worker's samples; otherwise each process reports its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guard.core.decision import Decision, Outcome
from guard.errors import ClientDisconnected, GuardError, UpstreamError

if TYPE_CHECKING:
    from guard._guard import Guard

__all__ = ["CONTENT_TYPE", "Metrics", "MetricsMiddleware", "ReloadReporter", "metrics_endpoint"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Stage work is sub-millisecond to tens of milliseconds; HTTP requests include the model's time.
_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_UNMATCHED = "<unmatched>"
_KNOWN_KINDS = frozenset({"status", "timeout", "malformed", "stream_cut", "unreachable"})


@runtime_checkable
class ReloadReporter(Protocol):
    """A policy engine (or stage) that counts its hot reloads; read at scrape time."""

    reloads: int  # bundles swapped in successfully since start
    reload_failures: int  # broken edits rejected (the last good bundle was kept)


def _multiprocess() -> bool:
    from prometheus_client import values

    return bool(getattr(values.ValueClass, "_multiprocess", False))


def _status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


class Metrics:
    """The proxy's metrics in their own registry (one per app, so tests and embedders never clash)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.multiprocess = _multiprocess()
        r = self.registry
        self.exchanges = Counter(
            "guard_exchanges", "Exchanges decided, by API, final action and the HTTP status class the caller saw.",
            ["api", "action", "status"], registry=r)
        self.stage_seconds = Histogram(
            "guard_stage_duration_seconds", "Time spent in each pipeline stage per exchange.",
            ["stage"], buckets=_STAGE_BUCKETS, registry=r)
        self.guard_seconds = Histogram(
            "guard_pipeline_duration_seconds",
            "Time Empathy Guard added to an exchange (all stages, excluding the model).",
            ["api"], buckets=_STAGE_BUCKETS, registry=r)
        self.stage_failures = Counter(
            "guard_stage_failures", "Stages that raised (the exchange failed closed unless the stage is fail-open).",
            ["stage"], registry=r)
        self.upstream_errors = Counter(
            "guard_upstream_errors", "Model upstream failures, by kind: status, timeout, malformed, "
            "stream_cut, unreachable.", ["api", "kind"], registry=r)
        self.client_disconnects = Counter(
            "guard_client_disconnects", "Callers that went away before their answer was complete.",
            ["api"], registry=r)
        self.audit_write_failures = Counter(
            "guard_audit_write_failures", "Decisions the audit sink failed to write (the exchange was refused).",
            registry=r)
        self.http_requests = Counter(
            "guard_http_requests", "HTTP requests by route template, method and status class.",
            ["route", "method", "status"], registry=r)
        self.http_seconds = Histogram(
            "guard_http_request_duration_seconds", "Time from request to the end of the response body.",
            ["route", "method"], buckets=_HTTP_BUCKETS, registry=r)
        self.in_flight = Gauge(
            "guard_http_requests_in_flight", "HTTP requests being served now.", registry=r,
            multiprocess_mode="livesum")
        self._guard: Guard | None = None
        if not self.multiprocess:
            # Pulled values are per process; in multiprocess mode they would be one worker's only.
            self.registry.register(_ReloadCollector(lambda: self._guard))

    def bind(self, guard: Guard) -> None:
        """Observe this guard's pipeline (call once the guard exists)."""
        self._guard = guard
        if self.observe not in guard.pipeline.observers:
            guard.pipeline.observers.append(self.observe)

    def unbind(self, guard: Guard) -> None:
        if self.observe in guard.pipeline.observers:
            guard.pipeline.observers.remove(self.observe)
        if self._guard is guard:
            self._guard = None

    def observe(self, decision: Decision, error: GuardError | None) -> None:
        """Count one recorded decision (a `guard.core.pipeline.DecisionObserver`)."""
        api = decision.api
        record = decision.stages.get("record")
        record_failed = record is not None and record.outcome is Outcome.ERROR
        status = "5xx" if record_failed else _status_class(decision.status)
        if isinstance(error, ClientDisconnected):
            self.client_disconnects.labels(api).inc()
            status = "client_closed"
        self.exchanges.labels(api, decision.action.value, status).inc()
        total_ms = 0.0
        for name, result in decision.stages.items():
            if result.outcome is Outcome.SKIPPED:
                continue
            self.stage_seconds.labels(name).observe(result.ms / 1000.0)
            total_ms += result.ms
            if result.outcome is Outcome.ERROR:
                self.stage_failures.labels(name).inc()
        if total_ms:
            self.guard_seconds.labels(api).observe(total_ms / 1000.0)
        if record_failed:
            self.audit_write_failures.inc()
        if isinstance(error, UpstreamError):
            kind = error.kind if error.kind in _KNOWN_KINDS else "other"
            self.upstream_errors.labels(api, kind).inc()

    def render(self) -> bytes:
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class _ReloadCollector(Collector):
    """Policy reload counts and the loaded revision, read from the pipeline's stages at scrape time."""

    def __init__(self, guard: Callable[[], Guard | None]) -> None:
        self._guard = guard

    def describe(self) -> Iterable[Metric]:
        return []  # values are dynamic; describing them would make registration scrape the pipeline

    def collect(self) -> Iterator[Metric]:
        reloads = CounterMetricFamily(
            "guard_policy_reloads", "Policy bundle reloads since start, by result (ok, failed: last good kept).",
            labels=["result"])
        revision = GaugeMetricFamily(
            "guard_policy_revision_info", "The policy revision (bundle digest) in use; value is always 1.",
            labels=["revision"])
        reporters = list(_reporters(self._guard()))
        if reporters:
            reloads.add_metric(["ok"], float(sum(r.reloads for r in reporters)))
            reloads.add_metric(["failed"], float(sum(r.reload_failures for r in reporters)))
            yield reloads
        revisions = {rev for r in reporters if isinstance(rev := getattr(r, "revision", None), str) and rev}
        for rev in sorted(revisions):
            revision.add_metric([rev[:64]], 1.0)
        if revisions:
            yield revision


def _reporters(guard: Guard | None) -> Iterator[ReloadReporter]:
    """Stages and services that count reloads, or whose `engine` does; each object once."""
    if guard is None:
        return
    seen: set[int] = set()
    candidates: list[Any] = [*guard.pipeline.stages, *guard.services.values()]
    for candidate in candidates:
        for obj in (candidate, getattr(candidate, "engine", None)):
            if obj is not None and id(obj) not in seen and _is_reporter(obj):
                seen.add(id(obj))
                yield obj


def _is_reporter(obj: object) -> bool:
    return isinstance(getattr(obj, "reloads", None), int) and isinstance(getattr(obj, "reload_failures", None), int)


class MetricsMiddleware:
    """Pure ASGI middleware: request counts, durations (to the last body byte) and requests in flight."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            status = status or 500
            raise
        finally:
            self.metrics.in_flight.dec()
            route = _route_template(scope)
            method = scope.get("method", "OTHER") if scope.get("method") in _METHODS else "OTHER"
            # A status of 0 means the response never started: the client went away first.
            label = _status_class(status) if status else "client_closed"
            self.metrics.http_requests.labels(route, method, label).inc()
            self.metrics.http_seconds.labels(route, method).observe(time.perf_counter() - started)


_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})


def _route_template(scope: Scope) -> str:
    """The matched route's template, never the concrete path (which may hold a subject id)."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    # Not every Starlette/FastAPI version leaves the route in the scope (nor does a request refused
    # before routing, such as a 401): match the routes again.
    partial = _UNMATCHED
    try:
        for route in getattr(scope.get("app"), "routes", ()):
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", _UNMATCHED))
            if match is Match.PARTIAL and partial == _UNMATCHED:
                partial = str(getattr(route, "path", _UNMATCHED))
    except Exception:
        # A metrics label must never cost the caller the response. FastAPI 0.16x builds a route
        # lazily at its first match, and that can raise (a pydantic warning made an error by the
        # test settings reset a connection in CI).
        return _UNMATCHED
    return partial


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE)
