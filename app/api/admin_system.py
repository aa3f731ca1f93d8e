"""Admin JSON API for the system page and the analytics (issue 7 §7–§9, PRODUCT.md §7), admin role required:

- `GET /api/v1/admin/system` — health of the database, Redis, the Huey queue (depth, each periodic task's last run,
  failures), the Terra circuit breaker, the mail queue and the webhook backlog.
- `POST /api/v1/admin/system/rebuild-leaderboards` — rebuild the Redis leaderboards from the database now (audited).
- `POST /api/v1/admin/system/reset-terra-circuit` — close the Terra circuit breaker after an outage (audited).
- `GET /api/v1/admin/analytics` — the chart data of the admin overview (SQL aggregates).
- `GET /api/v1/admin/analytics/overview` — the overview counts (members, points, sweepstakes …).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.services import system_status
from domain.admin import overview
from domain.shared.calendar import platform_day

router = APIRouter(prefix="/admin", tags=["admin"], route_class=ReleasingRoute)


class CheckOut(BaseModel):
    name: str
    state: str  # ok | failed | off
    detail: str
    ms: float | None


class QueueOut(BaseModel):
    backend: str  # redis | sqlite
    pending: int | None
    scheduled: int | None
    embedded_consumer: bool
    error: str | None


class TaskOut(BaseModel):
    """A Huey task and its last recorded run (UTC). `state`: ok, error, running, overdue or never."""

    name: str
    periodic: bool
    state: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_error: str | None
    runs: int
    failures: int
    previous_due: datetime | None
    next_due: datetime | None


class CircuitOut(BaseModel):
    state: str  # closed | open | half_open | unknown
    failures: int
    threshold: int | None
    opened_until: datetime | None
    error: str | None


class MailQueueOut(BaseModel):
    queued: int
    sent: int
    failed: int
    oldest_queued_at: datetime | None


class WebhookBacklogOut(BaseModel):
    received: int
    failed: int
    oldest_unprocessed_at: datetime | None


class SystemOut(BaseModel):
    """The system page's data; `healthy` is false when `problems` lists anything needing attention."""

    checked_at: datetime
    healthy: bool
    problems: list[str]
    database: CheckOut
    redis: CheckOut
    queue: QueueOut
    tasks: list[TaskOut]
    terra_circuit: CircuitOut
    mail: MailQueueOut | None
    webhooks: WebhookBacklogOut | None
    leaderboard_cache: str  # redis | off


def system_out(status: system_status.SystemStatus) -> SystemOut:
    """The API shape of a `SystemStatus`."""
    return SystemOut(
        checked_at=status.checked_at, healthy=status.healthy, problems=status.problems,
        database=CheckOut(**asdict(status.database)), redis=CheckOut(**asdict(status.redis)),
        queue=QueueOut(**asdict(status.queue)), tasks=[TaskOut(**asdict(task)) for task in status.tasks],
        terra_circuit=CircuitOut(**asdict(status.terra)),
        mail=MailQueueOut(**asdict(status.mail)) if status.mail else None,
        webhooks=WebhookBacklogOut(**asdict(status.webhooks)) if status.webhooks else None,
        leaderboard_cache=status.leaderboard_cache,
    )


@router.get("/system", response_model=SystemOut, summary="System health: database, Redis, queue, tasks (admin)")
def admin_system(_admin: AdminUser, system: SystemDep) -> SystemOut:
    return system_out(system_status.collect(system))


class RebuildOut(BaseModel):
    """`entries`: leaderboard entries written to Redis; `cache` "off" (nothing to rebuild) without Redis."""

    entries: int
    cache: str


@router.post("/system/rebuild-leaderboards", response_model=RebuildOut,
             summary="Rebuild the Redis leaderboard cache from the database now (admin, audited)")
def admin_rebuild_leaderboards(request: Request, admin: AdminUser, system: SystemDep) -> RebuildOut:
    entries = system_status.rebuild_leaderboards(system, admin.id, client_ip(request))
    return RebuildOut(entries=entries, cache=system_status.cache_backend(system))


@router.post("/system/reset-terra-circuit", response_model=CircuitOut,
             summary="Close the Terra circuit breaker and forget its failures (admin, audited)")
def admin_reset_terra_circuit(request: Request, admin: AdminUser, system: SystemDep) -> CircuitOut:
    return CircuitOut(**asdict(system_status.reset_terra_circuit(system, admin.id, client_ip(request))))


class AnalyticsOut(BaseModel):
    """Chart data (issue 7 §7). Days are platform days (America/New_York); money in US dollars; points integer.
    `registration_threshold_usd`: the NY/FL registration threshold the series are compared with."""

    today: date
    members: list[dict[str, Any]]  # day, members (registered by end of day), new_members, active
    points: list[dict[str, Any]]  # day, earned (activity day), spent (purchase day)
    points_window_is_current: bool  # false: no points lately, the window shows the latest days with points
    tickets_by_type: list[dict[str, Any]]  # drawing_type, bought, free, drawings
    fulfillments_by_status: list[dict[str, Any]]  # status, count, value_usd
    prize_liability: dict[str, Any]  # to_award, awarded_unshipped, awarded_count, in_transit, …, outstanding
    prize_series: list[dict[str, Any]]  # drawing_type, name, year, drawings, announced, planned, total, over_…
    series_year: int
    registration_threshold_usd: float
    registration_states: list[str]
    registration_states_excluded: bool


def analytics_out(data: overview.Analytics) -> AnalyticsOut:
    """The API shape of `overview.Analytics`."""
    liability = {**asdict(data.liability), "outstanding": data.liability.outstanding}
    series = [{**asdict(s), "total": s.total, "over_threshold": s.over_threshold, "would_exceed": s.would_exceed}
              for s in data.series]
    return AnalyticsOut(
        today=data.today, members=[asdict(p) for p in data.members], points=[asdict(p) for p in data.points.days],
        points_window_is_current=data.points.is_current,
        tickets_by_type=[asdict(t) for t in data.tickets],
        fulfillments_by_status=[asdict(f) for f in data.fulfillments], prize_liability=liability,
        prize_series=series, series_year=data.series_year,
        registration_threshold_usd=overview.REGISTRATION_THRESHOLD_USD,
        registration_states=list(overview.REGISTRATION_STATES),
        registration_states_excluded=data.registration_states_excluded,
    )


@router.get("/analytics", response_model=AnalyticsOut, summary="Analytics chart data (admin)")
def admin_analytics(
    _admin: AdminUser,
    session: SessionDep,
    system: SystemDep,
    days: int = Query(overview.SERIES_DAYS, ge=7, le=366, description="Days of the daily series"),
    year: int | None = Query(None, ge=2000, le=2100, description="Year of the prize series (default: this year)"),
) -> AnalyticsOut:
    return analytics_out(overview.analytics(session, platform_day(system.clock()), days=days, year=year))


@router.get("/analytics/overview", summary="Dashboard counts (admin)")
def admin_analytics_overview(_admin: AdminUser, session: SessionDep, system: SystemDep) -> dict[str, Any]:
    counts = overview.overview(session, platform_day(system.clock()))
    return asdict(counts)
