"""Capacity of one web process (issue 12 §1 "No collapse"): the thread limits and the admission limit, set together
from the settings (README "Capacity").

- Thread limits, applied at start-up: anyio's default thread limiter (sync FastAPI endpoints and dependencies, the
  page guard's session read) gets `WEB_THREADS` tokens; NiceGUI's `run.io_bound` pool gets `IO_THREADS` workers. The
  database pool is sized for all of them (`Settings.capacity_pool_size`, `app.system.build_system`), so a thread
  never waits for a connection.
- `AdmissionLimit`, a small ASGI middleware: at most `MAX_CONCURRENT_REQUESTS` HTTP requests are served at once; the
  next `ADMISSION_QUEUE` wait in arrival order for at most `ADMISSION_WAIT_SECONDS`. A request beyond the queue, or
  one that waited too long, gets a fast `503` problem with `Retry-After: RETRY_AFTER_SECONDS` instead of stalling
  behind the threads (where nothing bounds the wait). Liveness/readiness probes, static files and NiceGUI's own
  assets and Socket.IO traffic (long polls) are never limited, so `/health/live` answers while the server is
  saturated and HAProxy keeps the instance in rotation.

    install_capacity(app, settings)   # app.main.install, inside the request-id middleware
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog

from app.settings import Settings
from app.web.problems import problem_response

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Never limited: probes, static files, NiceGUI's assets and Socket.IO (its long polls hold a request open).
EXEMPT_PREFIXES: tuple[str, ...] = ("/health/", "/_nicegui", "/assets/", "/static/", "/favicon.ico", "/metrics")

_log = structlog.get_logger("fittrack.capacity")


class AdmissionLimit:
    """ASGI middleware: at most `limit` HTTP requests in the app at once, `queue` more waiting (FIFO) for at most
    `wait_seconds`; the rest answered at once with a 503 problem (`code: "at-capacity"`) carrying `Retry-After:
    retry_after` (seconds). Paths starting with one of `exempt` and non-HTTP scopes (websockets, lifespan) pass
    untouched. `active`, `waiting` and `rejected` are counters for tests and the metrics."""

    def __init__(self, app: ASGIApp, *, limit: int, queue: int, wait_seconds: float, retry_after: int,
                 exempt: tuple[str, ...] = EXEMPT_PREFIXES) -> None:
        self.app = app
        self.limit = limit
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self.exempt = exempt
        self.active = 0
        self.waiting = 0
        self.rejected = 0
        self._slots: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created inside the running loop (asyncio primitives bind to it on first use)
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        slots = self._semaphore()
        if slots.locked() or self.waiting:  # no free slot (or others are already waiting): queue or refuse
            if self.waiting >= self.queue:
                await self._refuse(scope, send, "queue full")
                return
            self.waiting += 1
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.wait_seconds):  # Semaphore.acquire gives a slot back if cancelled
                    await slots.acquire()
            except TimeoutError:
                await self._refuse(scope, send, f"waited {time.monotonic() - started:.1f} s")
                return
            finally:
                self.waiting -= 1
        else:
            await slots.acquire()
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1
            slots.release()

    async def _refuse(self, scope: Scope, send: Send, why: str) -> None:
        self.rejected += 1
        _log.warning("capacity.refused", path=scope.get("path"), why=why, active=self.active, waiting=self.waiting)
        response = problem_response(
            503, "Service at capacity",
            f"The server is busy; retry in {self.retry_after} s.", code="at-capacity",
            headers={"Retry-After": str(self.retry_after)},
        )
        await response(scope, _no_body, send)


async def _no_body() -> MutableMapping[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def apply_thread_limits(settings: Settings) -> None:
    """Give anyio's default thread limiter `WEB_THREADS` tokens and NiceGUI's `run.io_bound` pool `IO_THREADS`
    workers. Must run inside the server's event loop (anyio's limiter is per loop): a start-up hook."""
    import anyio.to_thread
    from nicegui import run

    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
    previous = run.thread_pool
    run.thread_pool = ThreadPoolExecutor(max_workers=settings.io_threads, thread_name_prefix="nicegui-io")
    previous.shutdown(wait=False)


def install_capacity(app: Any, settings: Settings) -> None:
    """Add `AdmissionLimit` (from `MAX_CONCURRENT_REQUESTS`, `ADMISSION_QUEUE`, `ADMISSION_WAIT_SECONDS`,
    `RETRY_AFTER_SECONDS`) to the NiceGUI/FastAPI `app` and apply the thread limits at start-up (issue 12 §1)."""
    app.add_middleware(AdmissionLimit, limit=settings.max_concurrent_requests, queue=settings.admission_queue,
                       wait_seconds=settings.admission_wait_seconds, retry_after=settings.retry_after_seconds)
    app.on_startup(lambda: apply_thread_limits(settings))
