"""Prometheus metrics (issue 3 §5): `GET /metrics` in the Prometheus text format (prometheus-client).

Instruments (all process-global, in prometheus-client's default registry):

- `fittrack_http_requests_total{method, route, status}` and `fittrack_http_request_duration_seconds{method, route}`
  — every HTTP request. `route` is the matched route *template* (`/api/v1/leaderboards/{period}`, not the raw path),
  `/_nicegui` for all of NiceGUI's internal paths, `<unmatched>` when no route matches (404s); `status` is the
  status class (`2xx` … `5xx`); unknown methods count as `OTHER`. So the label sets stay bounded.
- `fittrack_webhook_deliveries_total{outcome}` — `POST /webhooks/terra` answers: `signature_rejected` (401),
  `invalid` (400/413), `duplicate`, `accepted`.
- `fittrack_webhook_processing_total{outcome}` — processing of stored deliveries: `processed`, `ignored`, `failed`
  (one per attempt; a failed attempt is retried by Huey and the sweeper).
- `fittrack_points_credited_total` / `fittrack_points_held_total` — points (not events) credited to members or held
  for review by processed Terra deliveries (PRODUCT.md §4), counted after the transaction committed.
- `fittrack_huey_tasks_total{task, outcome}` — Huey task executions by task name (`process_webhook_delivery`, …) and
  outcome, from Huey's signals: `complete`, `error` (every failed attempt, retried or not), `retrying`, `timeout`,
  `locked`, `canceled`, `expired`, `revoked`, `rate-limited`, `interrupted`;
  `fittrack_huey_task_duration_seconds{task}` — duration of each attempt that completed or raised.

Processes: with `REDIS_URL` tasks run in separate `huey_consumer` processes whose counters live there, not in the web
process. Two ways to see them (README "Run modes" → "Metrics"):

- `PROMETHEUS_MULTIPROC_DIR` set (before the processes start; same empty directory for the web app and every
  worker): prometheus-client's multiprocess mode — the web app's `/metrics` aggregates all processes' counters.
- otherwise `WORKER_METRICS_PORT` (with `REDIS_URL`): each consumer process serves its own metrics on that port
  (`0` = any free port, logged), on `APP_HOST`, started by a Huey startup hook.

`install(app)` adds the middleware and the `/metrics` route (public: see `app.web.auth.PUBLIC_PATHS`; restrict it at
the reverse proxy in production). `install_huey_signals(huey, settings)` connects the Huey signal handlers and the
worker's metrics-server start-up hook to one System's queue (`tasks.register_tasks` calls it); importing this module
connects nothing.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from huey.api import Huey
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from starlette.responses import Response
from starlette.routing import Match

from app.settings import Settings

METRICS_PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
WORKER_PORT_ENV = "WORKER_METRICS_PORT"
NICEGUI_ROUTE = "/_nicegui"
UNMATCHED_ROUTE = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_log = structlog.get_logger("fittrack.metrics")

HTTP_REQUESTS = Counter(
    "fittrack_http_requests", "HTTP requests by method, route template and status class",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "fittrack_http_request_duration_seconds", "HTTP request latency in seconds, by method and route template",
    ["method", "route"],
)
WEBHOOK_DELIVERIES = Counter(
    "fittrack_webhook_deliveries", "Terra webhook requests by outcome "
    "(signature_rejected, invalid, duplicate, accepted)", ["outcome"],
)
WEBHOOK_PROCESSING = Counter(
    "fittrack_webhook_processing", "Processing attempts of stored Terra deliveries by outcome "
    "(processed, ignored, failed)", ["outcome"],
)
POINTS_CREDITED = Counter("fittrack_points_credited", "Points credited to members by processed Terra deliveries")
POINTS_HELD = Counter("fittrack_points_held", "Points held for admin review by processed Terra deliveries")
HUEY_TASKS = Counter("fittrack_huey_tasks", "Huey task executions by task name and outcome", ["task", "outcome"])
HUEY_DURATION = Histogram(
    "fittrack_huey_task_duration_seconds", "Duration of Huey task attempts (completed or raised) in seconds", ["task"],
)

WEBHOOK_OUTCOMES = ("signature_rejected", "invalid", "duplicate", "accepted")
PROCESSING_OUTCOMES = ("processed", "ignored", "failed")
for _outcome in WEBHOOK_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(_outcome)  # export every outcome at 0 from the start
for _outcome in PROCESSING_OUTCOMES:
    WEBHOOK_PROCESSING.labels(_outcome)


# --- webhook and points hooks (called from app/web/webhooks.py and tasks/webhooks.py) -------------------------------


def webhook_delivery(outcome: str) -> None:
    """Count one `POST /webhooks/terra` answer; `outcome` is one of `WEBHOOK_OUTCOMES`."""
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def delivery_processed(status: str, points_changes: Any = ()) -> None:
    """Count one processing attempt (`status`: processed / ignored / failed) and, after its commit, the points it
    credited and held (`points_changes`: `domain.tracking.ingest.PointsChange` items; amounts in points, never
    negative)."""
    WEBHOOK_PROCESSING.labels(status).inc()
    credited = sum(max(change.credited, 0) for change in points_changes)
    held = sum(max(change.held, 0) for change in points_changes)
    if credited:
        POINTS_CREDITED.inc(credited)
    if held:
        POINTS_HELD.inc(held)


# --- HTTP: middleware and the /metrics route ---------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def route_template(scope: Scope, routes: Any = ()) -> str:
    """The route label of a request: `/_nicegui` for NiceGUI's internal paths, else the template of the route the
    router matched (`scope["route"]`), else of the first of `routes` that fully matches (requests answered before
    routing, e.g. the page guard's redirects), else `<unmatched>`. Templates of routes in included routers get the
    literal prefix they were mounted under (`/api/v1` + `/leaderboards/{period}`)."""
    path = scope.get("path", "")
    if path.startswith(NICEGUI_ROUTE):
        return NICEGUI_ROUTE
    route = scope.get("route")
    if route is None:
        for candidate in routes:
            try:
                match, _ = candidate.matches(scope)
            except Exception:  # noqa: BLE001, S112 - a route that cannot judge this scope is not a match
                continue
            if match is Match.FULL:
                route = candidate
                break
    template = getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED_ROUTE
    return _with_prefix(template, getattr(route, "path_regex", None), path)


def _with_prefix(template: str, regex: re.Pattern[str] | None, path: str) -> str:
    """FastAPI ≥ 0.16x keeps included routers nested: the matched route knows only its own part of the path. The
    prefix is what precedes the longest tail of `path` (starting at a "/") that the route's regex matches."""
    if regex is None or regex.match(path):
        return template
    for index, char in enumerate(path):
        if char == "/" and index and regex.match(path[index:]):
            return path[:index] + template
    return template


class HttpMetricsMiddleware:
    """ASGI middleware: count each HTTP request and observe its latency (until the response body was sent)."""

    def __init__(self, app: ASGIApp, routes: Callable[[], Any] = tuple) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            method = scope.get("method", "GET")
            method = method if method in _METHODS else "OTHER"
            route = route_template(scope, self.routes())
            HTTP_REQUESTS.labels(method, route, f"{status['code'] // 100}xx").inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


def exposition_registry() -> Any:
    """The registry `/metrics` renders: in multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`) a fresh one aggregating
    every process's files, else prometheus-client's default registry of this process."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_endpoint() -> Response:
    """`GET /metrics`: all metrics in the Prometheus text format (runs in a worker thread: it is synchronous)."""
    return Response(generate_latest(exposition_registry()), media_type=CONTENT_TYPE_LATEST)


def install(app: Any) -> None:
    """Add `HttpMetricsMiddleware` and the `GET /metrics` route to the NiceGUI/FastAPI `app` (from app/main.py)."""
    app.add_middleware(HttpMetricsMiddleware, routes=lambda: app.router.routes)
    app.add_api_route(METRICS_PATH, metrics_endpoint, methods=["GET"], include_in_schema=False)


# --- Huey: task signals, and the worker's own metrics server ---------------------------------------------------

_HUEY_OUTCOMES = ("complete", "error", "retrying", "timeout", "locked", "canceled", "expired", "revoked",
                  "rate-limited", "interrupted")
_ATTEMPT_ENDS = frozenset({"complete", "error", "timeout"})
_started = threading.local()  # a worker runs an attempt's signals in its own thread: start time per thread


def _on_executing(signal: str, task: Any, *_args: Any) -> None:
    _started.at = time.perf_counter()


def _on_task_signal(signal: str, task: Any, *_args: Any) -> None:
    name = getattr(task, "name", None) or type(task).__name__
    HUEY_TASKS.labels(name, signal).inc()
    started = getattr(_started, "at", None)
    if signal in _ATTEMPT_ENDS and started is not None:
        HUEY_DURATION.labels(name).observe(time.perf_counter() - started)
        _started.at = None


_server_lock = threading.Lock()
_server: Any = None


def start_worker_metrics_server(settings: Settings) -> int | None:
    """Serve this process's metrics over HTTP on `WORKER_METRICS_PORT` (at `APP_HOST`), once per process; returns the
    port, or None when not wanted: no `REDIS_URL` (tasks then run inside the web app, whose `/metrics` has them),
    `PROMETHEUS_MULTIPROC_DIR` set (the web app aggregates), or `WORKER_METRICS_PORT` unset or invalid (logged)."""
    global _server
    raw = os.environ.get(WORKER_PORT_ENV, "").strip()
    if not raw or not settings.redis_url or os.environ.get(MULTIPROC_ENV):
        return None
    if not raw.isdigit() or int(raw) > 65535:
        _log.error("metrics.worker_port_invalid", variable=WORKER_PORT_ENV, value=raw)
        return None
    with _server_lock:
        if _server is None:
            try:
                server, _thread = start_http_server(int(raw), addr=settings.app_host)
            except OSError as exc:  # e.g. `-k process` workers of one consumer all asking for the same port
                _log.error("metrics.worker_server.failed", port=raw, error=str(exc))
                return None
            _server = server
            _log.info("metrics.worker_server.started", host=settings.app_host, port=server.server_port)
        return int(_server.server_port)


def stop_worker_metrics_server() -> None:
    """Stop the server `start_worker_metrics_server` started (no-op when none runs)."""
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        server.shutdown()
        server.server_close()


def install_huey_signals(huey: Huey, settings: Settings) -> None:
    """Count the task executions of `huey` (`fittrack_huey_tasks_total`, `fittrack_huey_task_duration_seconds`) from
    its signals, and start this process's worker metrics server when its consumer starts
    (`start_worker_metrics_server(settings)`). Call once per Huey instance (`tasks.register_tasks`)."""
    huey.signal("executing")(_on_executing)
    huey.signal(*_HUEY_OUTCOMES)(_on_task_signal)

    @huey.on_startup("fittrack_worker_metrics")
    def _worker_metrics_on_startup() -> None:
        start_worker_metrics_server(settings)
