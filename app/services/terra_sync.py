"""Polling Terra (issue 5 §3): fetch one connection's `/daily` and `/activity` and feed them through the same
processing path as webhooks (`domain.tracking.ingest.apply_event`), so a day brought by both a webhook and a poll counts
once (daily summaries are upserts keyed by connection + date, activities by connection + `summary_id`).

`sync_connection(system, connection_id, client)` is async (the Terra client is httpx-async); its database work runs
in worker threads, each write in one unit of work (`system.uow()`): the points it credits are recorded as domain
events, and after the commit the effects move the Redis boards and push the members' open pages.
`run_sync(system, connection_id)` is its blocking form for Huey worker threads.

The window comes from `domain.tracking.connections.sync_window`: 30 days until the first backfill succeeded, then
from the last successful sync minus a 2-day overlap. The data is applied with an ordering timestamp of the fetch time
(unix ms): a poll's answer is Terra's latest view of those days, so it may overwrite older webhook payloads and a
later webhook overwrites it.

Outcomes: success → `record_sync_success` (next sync in 15 minutes); Terra asked to wait (429 / `processing`) →
`record_sync_deferred`; Terra down or the circuit open → a transient failure (backoff, status unchanged); Terra
refused (4xx) → a permanent failure (after 3 in a row the member is asked to reconnect). The report carries the
error instead of raising, except for `sync_now` (the member's "sync now"), which raises so the caller can answer 503.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from limits import parse

from app.adapters.terra.client import TerraClient, TerraData, TerraError, TerraRateLimited, TerraUnavailable
from app.security.ratelimit import RateLimited
from domain.models import TrackerConnection
from domain.shared.enums import ConnectionStatus
from domain.shared.errors import Conflict
from domain.tracking import connections
from domain.tracking.ingest import PointsChange, apply_event

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
FORCE_SYNC_LIMIT = parse("3/10 minutes")  # per member and provider ("sync now" button and API)
CALLBACK_PATH = "/connections/callback"  # Terra's success redirect (pages/member/connections.py)
FAILED_PATH = "/connections/failed"


class TerraDataApi(Protocol):
    """What a sync needs from the Terra client (`app.adapters.terra.client.TerraClient`)."""

    async def get_daily(self, terra_user_id: str, start: date, end: date) -> TerraData: ...

    async def get_activity(self, terra_user_id: str, start: date, end: date) -> TerraData: ...


@dataclass
class SyncReport:
    """One sync of one connection: `requests` made to Terra (logical calls; the client's retries not counted),
    `days` daily summaries and `activities` workouts received, `ms` wall time, `outcome` (`synced`, `deferred`,
    `failed`, `skipped`), `error` text when not synced, and the points that landed."""

    connection_id: uuid.UUID
    outcome: str = "synced"
    requests: int = 0
    days: int = 0
    activities: int = 0
    ms: float = 0.0
    start: date | None = None
    end: date | None = None
    error: str | None = None
    points_changes: list[PointsChange] = field(default_factory=list)

    @property
    def credited(self) -> int:
        return sum(change.credited for change in self.points_changes)


@dataclass(frozen=True)
class _Target:
    terra_user_id: str
    provider: str
    start: date
    end: date


def _target(system: System, connection_id: uuid.UUID, today: date) -> _Target | None:
    with system.read() as session:
        conn = session.get(TrackerConnection, connection_id)
        if conn is None or conn.status != ConnectionStatus.connected.value or not conn.terra_user_id:
            return None
        start, end = connections.sync_window(conn, today)
        return _Target(conn.terra_user_id, conn.provider, start, end)


def _event(data: TerraData, target: _Target, kind: str) -> dict[str, Any]:
    """The webhook-shaped body of a fetched answer, always naming the connection's Terra user (the answer's `user`
    may be abbreviated)."""
    user = dict(data.user) if isinstance(data.user, dict) else {}
    user["user_id"] = target.terra_user_id
    user.setdefault("provider", target.provider)
    return {"type": kind, "user": user, "data": data.data}


def _apply(system: System, connection_id: uuid.UUID, events: list[dict[str, Any]], ordering_ts: int,
           clock: Clock) -> list[PointsChange]:
    """Apply the fetched events and record the successful sync in one unit of work; the credited points' effects
    (Redis boards, live `points` messages) follow the commit."""
    changes: list[PointsChange] = []
    with system.uow() as uow:
        for event in events:
            if event["data"]:
                changes += apply_event(uow, event, ordering_ts=ordering_ts, clock=clock,
                                       credit_window_days=system.settings.credit_window_days).points_changes
        connections.record_sync_success(uow, connection_id, clock=clock)
    return changes


def _fail(system: System, connection_id: uuid.UUID, error: str, permanent: bool, clock: Clock) -> None:
    with system.uow() as uow:
        connections.record_sync_failure(uow, connection_id, error, permanent=permanent, clock=clock)


def _defer(system: System, connection_id: uuid.UUID, retry_after: float | None, clock: Clock) -> None:
    with system.uow() as uow:
        connections.record_sync_deferred(uow, connection_id, int(retry_after or 0), clock=clock)


async def sync_connection(system: System, connection_id: uuid.UUID, client: TerraDataApi, *,
                          clock: Clock | None = None, raise_unavailable: bool = False) -> SyncReport:
    """Fetch `/daily` and `/activity` for the connection's window and apply them through `domain.tracking.ingest`
    (`clock` defaults to `system.clock`).

    Returns a `SyncReport`; a connection that is not `connected` (or unknown) is `skipped` without a request.
    With `raise_unavailable`, `TerraUnavailable` (Terra down, circuit open, rate limited) is re-raised after being
    recorded, so an interactive caller can answer 503. Never raises `TerraError` (recorded as a failure)."""
    clock = clock or system.clock
    started = time.perf_counter()
    now = clock()
    report = SyncReport(connection_id=connection_id)
    target = await asyncio.to_thread(_target, system, connection_id, now.astimezone(UTC).date())
    if target is None:
        report.outcome = "skipped"
        return report
    report.start, report.end = target.start, target.end
    try:
        report.requests += 1
        daily = await client.get_daily(target.terra_user_id, target.start, target.end)
        report.requests += 1
        activity = await client.get_activity(target.terra_user_id, target.start, target.end)
    except TerraRateLimited as exc:
        report.outcome, report.error = "deferred", exc.detail
        await asyncio.to_thread(_defer, system, connection_id, exc.retry_after, clock)
        if raise_unavailable:
            raise
    except TerraUnavailable as exc:
        report.outcome, report.error = "failed", "Terra is temporarily unavailable"
        await asyncio.to_thread(_fail, system, connection_id, report.error, False, clock)
        log.warning("sync.unavailable", connection_id=str(connection_id), reason=exc.detail)
        if raise_unavailable:
            raise
    except TerraError as exc:
        report.outcome = "failed"
        report.error = f"Terra refused the request (HTTP {exc.status})" if exc.status else "Terra answered badly"
        await asyncio.to_thread(_fail, system, connection_id, report.error, True, clock)
        log.warning("sync.refused", connection_id=str(connection_id), status=exc.status, reason=exc.detail)
    else:
        report.days, report.activities = len(daily.data), len(activity.data)
        ordering_ts = int(now.timestamp() * 1000)
        events = [_event(daily, target, "daily"), _event(activity, target, "activity")]
        report.points_changes = await asyncio.to_thread(_apply, system, connection_id, events, ordering_ts, clock)
    report.ms = (time.perf_counter() - started) * 1000
    log.info("sync.done", connection_id=str(connection_id), outcome=report.outcome, days=report.days,
             activities=report.activities, requests=report.requests, ms=round(report.ms, 1))
    return report


def client_from_settings(system: System) -> TerraClient:
    """A Terra client for `system.settings`, guarded by the shared circuit breaker (`system.terra_circuit`). Raises
    `TerraNotConfigured` (a `TerraUnavailable`) without `TERRA_DEV_ID` / `TERRA_API_KEY`. Its connection pool belongs
    to the event loop that first uses it: close it there (`async with`)."""
    return TerraClient.from_settings(system.settings, circuit=system.terra_circuit)


def terra_configured(system: System) -> bool:
    """True when Terra credentials (`TERRA_DEV_ID` and `TERRA_API_KEY`) are set."""
    return bool(system.settings.terra_dev_id and system.settings.terra_api_key)


def run_sync(system: System, connection_id: uuid.UUID, *, clock: Clock | None = None) -> SyncReport:
    """Blocking: sync one connection with a client built from the settings, in a fresh event loop (Huey worker
    threads call this). Raises `TerraNotConfigured` when Terra credentials are unset."""

    async def _run() -> SyncReport:
        async with client_from_settings(system) as client:
            return await sync_connection(system, connection_id, client, clock=clock)

    return asyncio.run(_run())


def check_force_sync_allowed(system: System, user_id: uuid.UUID, provider: str) -> None:
    """Count one "sync now" of `provider` by the member; raises `app.security.ratelimit.RateLimited` (detail safe to
    show, `retry_after` seconds) beyond `FORCE_SYNC_LIMIT`. Shared by the API and the page (UI events skip HTTP
    middleware), counted by `system.throttle` like the login limits (memory, or Redis when `REDIS_URL` is set)."""
    key = (str(user_id), provider.upper())
    if not system.throttle.hit(FORCE_SYNC_LIMIT, "terra-sync", *key):
        raise RateLimited("You synced this tracker a few times just now. Try again in a few minutes.",
                          system.throttle.retry_after(FORCE_SYNC_LIMIT, "terra-sync", *key))


async def sync_now(system: System, user_id: uuid.UUID, provider: str, client: TerraDataApi, *,
                   clock: Clock | None = None) -> SyncReport:
    """The member's "sync now" for their `provider` connection: rate-limited (`check_force_sync_allowed`), then
    `sync_connection` with `raise_unavailable`. Raises NotFound (no such connection), Conflict (not connected),
    RateLimited, TerraUnavailable (Terra down / circuit open → 503)."""
    def _find() -> TrackerConnection:
        with system.read() as session:
            return connections.get_connection(session, user_id, provider)

    conn = await asyncio.to_thread(_find)
    if conn.status != ConnectionStatus.connected.value:
        raise Conflict(f"{conn.provider} is {conn.status}; connect it first")
    check_force_sync_allowed(system, user_id, conn.provider)
    return await sync_connection(system, conn.id, client, clock=clock, raise_unavailable=True)


def offered_providers(system: System) -> tuple[str, ...]:
    """The providers members may connect (`TERRA_PROVIDERS`)."""
    return connections.parse_providers(system.settings.terra_providers)


def redirect_urls(base_url: str, provider: str) -> tuple[str, str]:
    """Where Terra sends the browser back after the widget (success, failure), on this site: `base_url` is the
    configured `Settings.site_url`, never a request's Host (issue 13 §1)."""
    base = base_url.rstrip("/")
    return f"{base}{CALLBACK_PATH}", f"{base}{FAILED_PATH}?resource={provider}"


def start_connection(system: System, user_id: uuid.UUID, provider: str) -> TrackerConnection:
    """Mark the member's `provider` connection `pending` while they are in Terra's widget
    (`domain.tracking.connections.start_connection`), in its own unit of work. Raises NotFound (provider not
    offered)."""
    with system.uow() as uow:
        return connections.start_connection(uow, user_id, provider, offered_providers(system), clock=system.clock)


def set_primary(system: System, user_id: uuid.UUID, provider: str) -> TrackerConnection:
    """Make the member's `provider` connection the primary tracker (`domain.tracking.connections.set_primary`), in
    its own unit of work. Raises NotFound, Conflict (not connected)."""
    with system.uow() as uow:
        return connections.set_primary(uow, user_id, provider, clock=system.clock)


async def disconnect_tracker(system: System, user_id: uuid.UUID, provider: str, client: TerraClient) -> None:
    """Deauthenticate the member's `provider` at Terra (a 404 there means Terra already forgot the user), then mark
    it disconnected. Raises NotFound / Conflict (domain), `TerraError` / `TerraUnavailable` (nothing changed)."""
    def _load() -> tuple[str | None, str]:
        with system.read() as session:
            conn = connections.get_connection(session, user_id, provider)
            return conn.terra_user_id, conn.status

    terra_user_id, status = await asyncio.to_thread(_load)
    if terra_user_id and status not in connections.INACTIVE:
        try:
            await client.deauthenticate_user(terra_user_id)
        except TerraError as exc:
            if isinstance(exc, TerraUnavailable) or exc.status != 404:
                raise

    def _disconnect() -> None:
        with system.uow() as uow:
            connections.disconnect(uow, user_id, provider, clock=system.clock)

    await asyncio.to_thread(_disconnect)
