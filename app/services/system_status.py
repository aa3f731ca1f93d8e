"""The admin system page's data (issue 7 §8, PRODUCT.md §7 "system: queue depth, last task runs, cache rebuild,
health"): database and Redis pings, the Huey queue (backend, pending and scheduled counts), every periodic task with
its last run (`task_runs`, recorded by `app.services.task_runs`) and schedule, failing tasks, the Terra circuit breaker
(`system.terra_circuit`), the mail queue and the webhook backlog — plus the leaderboard cache rebuild
(`system.boards`) and the circuit reset.

Everything here blocks (network and database calls): call it off the event loop (`run.io_bound`, a worker thread).
A dependency that is down is part of the answer (a failed check with a readable reason), never an exception.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis
import sqlalchemy as sa
import structlog

from app.services import task_runs
from domain import audit
from domain.admin import system_status
from domain.competition.leaderboards import boards_with_members
from domain.models import TaskRun
from domain.shared.calendar import platform_day

if TYPE_CHECKING:
    from app.system import System

_log = structlog.get_logger("fittrack.system_status")
SCHEDULE_HORIZON = timedelta(days=2)  # how far back/forward a periodic task's schedule is searched (minute steps)
OVERDUE_GRACE = timedelta(minutes=10)  # a run started this long after its scheduled minute is not overdue


@dataclass(frozen=True)
class Check:
    """One dependency: `state` "ok", "failed" or "off" (not configured), a one-line `detail`, the round trip in ms."""

    name: str
    state: str
    detail: str
    ms: float | None = None


@dataclass(frozen=True)
class QueueStatus:
    """The Huey queue: `backend` "redis" or "sqlite", tasks `pending` (ready to run) and `scheduled` (delayed or
    retrying), whether this process runs the embedded consumer; `error` when the queue could not be read."""

    backend: str
    pending: int | None
    scheduled: int | None
    embedded_consumer: bool
    error: str | None = None


@dataclass(frozen=True)
class TaskStatus:
    """A task with its last recorded run. `state`: "ok", "error", "running", "overdue" (a scheduled minute more than
    10 minutes ago passed without a start) or "never" (no run recorded). `previous_due` / `next_due`: the
    schedule's last and next minute within two days (None beyond), UTC; None for non-periodic tasks."""

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


@dataclass(frozen=True)
class CircuitInfo:
    """The Terra circuit breaker: `state` closed / open / half_open ("unknown" when it could not be read),
    consecutive `failures` of `threshold`, and when an open circuit lets a probe through (`opened_until`, UTC)."""

    state: str
    failures: int
    threshold: int | None
    opened_until: datetime | None
    error: str | None = None


@dataclass(frozen=True)
class SystemStatus:
    """Everything the system page shows, as of `checked_at` (UTC)."""

    checked_at: datetime
    database: Check
    redis: Check
    queue: QueueStatus
    tasks: list[TaskStatus]
    terra: CircuitInfo
    mail: system_status.MailQueue | None
    webhooks: system_status.WebhookBacklog | None
    leaderboard_cache: str  # "redis" (rebuildable) or "off" (boards are read from the database)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def _timed(name: str, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:  # noqa: BLE001 - a failing dependency is the answer
        _log.warning("system.check_failed", check=name, error=f"{type(exc).__name__}: {exc}"[:300])
        return Check(name, "failed", f"{type(exc).__name__}: {exc}"[:300], round((time.perf_counter() - started)
                                                                                  * 1000, 1))
    return Check(name, "ok", detail, round((time.perf_counter() - started) * 1000, 1))


def check_database(system: System) -> Check:
    """`SELECT 1` on the system's database."""
    def probe() -> str:
        engine = system.db.engine
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1")).scalar_one()
        return f"{engine.dialect.name} answers"
    return _timed("database", probe)


def check_redis(system: System) -> Check:
    """PING on `REDIS_URL` and the circuit breaker of each Redis use (issue 13 §3: "closed" = Redis in use, "open" =
    its fallback in use); "off" when Redis is not configured (the queue and caches then live in-process)."""
    url = system.settings.redis_url
    if not url:
        return Check("redis", "off", "REDIS_URL not set: queue in SQLite, cache in process")

    def probe() -> str:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            if not client.ping():
                raise RuntimeError("PING failed")
            return "PONG"
        finally:
            client.close()
    check = _timed("redis", probe)
    states = system.redis.states()
    on_fallback = [use for use, state in states.items() if state != "closed"]
    circuits = (f"fallback in use for {', '.join(on_fallback)}" if on_fallback
                else f"circuits closed ({', '.join(states)})")
    return Check(check.name, check.state, f"{check.detail}; {circuits}", check.ms)


def queue_status(system: System) -> QueueStatus:
    """Pending and scheduled task counts of the Huey queue (`system.jobs`, read from its storage)."""
    jobs = system.jobs
    backend = "redis" if system.settings.redis_url else "sqlite"
    try:
        return QueueStatus(backend, jobs.pending_count(), int(jobs.huey.scheduled_count()), jobs.consumer_running)
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        return QueueStatus(backend, None, None, jobs.consumer_running, f"{type(exc).__name__}: {exc}"[:300])


def periodic_tasks(system: System) -> dict[str, Any]:
    """The periodic tasks registered on `system.jobs` by name (instances; `validate_datetime(naive datetime)` is
    their crontab)."""
    registry = system.jobs.huey._registry  # noqa: SLF001 - Huey has no public list
    return {task.name: task for task in registry.periodic_tasks}


def _schedule(task: Any, now: datetime, utc: bool) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The task's last scheduled minute ≤ now, its last one ≤ now − `OVERDUE_GRACE` (the run that must have started
    by now), and its next one > now — each within `SCHEDULE_HORIZON` (minute steps), else None."""
    minute = now.replace(second=0, microsecond=0)
    steps = int(SCHEDULE_HORIZON / timedelta(minutes=1))

    def runs_at(moment: datetime) -> bool:
        stamp = moment.astimezone(UTC).replace(tzinfo=None) if utc else moment.astimezone().replace(tzinfo=None)
        return bool(task.validate_datetime(stamp))

    previous = owed = None
    for i in range(steps):
        moment = minute - timedelta(minutes=i)
        if runs_at(moment):
            previous = previous or moment
            if now - moment > OVERDUE_GRACE:
                owed = moment
                break
    upcoming = next((minute + timedelta(minutes=i) for i in range(1, steps)
                     if runs_at(minute + timedelta(minutes=i))), None)
    return previous, owed, upcoming


def _task_state(row: TaskRun | None, owed: datetime | None) -> str:
    if row is None or row.last_started_at is None and row.last_finished_at is None:
        return "never"
    if row.last_status == system_status.STATUS_ERROR:
        return "error"
    if row.last_status == system_status.STATUS_RUNNING:
        return "running"
    if owed is not None and (row.last_started_at is None or row.last_started_at < owed - timedelta(minutes=1)):
        return "overdue"
    return "ok"


def task_statuses(system: System, rows: list[TaskRun], now: datetime) -> list[TaskStatus]:
    """Every periodic task of `system.jobs` (recorded or not), then every other task with a recorded failure; by
    name."""
    by_name = {row.task_name: row for row in rows}
    out: list[TaskStatus] = []
    utc = bool(system.jobs.huey.utc)
    for name, task in sorted(periodic_tasks(system).items()):
        row = by_name.get(name)
        previous, owed, upcoming = _schedule(task, now, utc)
        out.append(TaskStatus(name, True, _task_state(row, owed), row.last_started_at if row else None,
                              row.last_finished_at if row else None, row.last_error if row else None,
                              row.runs if row else 0, row.failures if row else 0, previous, upcoming))
    periodic = {status.name for status in out}
    for row in rows:
        if row.task_name not in periodic:
            out.append(TaskStatus(row.task_name, False, _task_state(row, None), row.last_started_at,
                                  row.last_finished_at, row.last_error, row.runs, row.failures, None, None))
    return out


def terra_circuit(system: System) -> CircuitInfo:
    """The state of the Terra circuit breaker (`system.terra_circuit`), or "unknown" with the reason."""
    try:
        status = system.terra_circuit.status()
    except Exception as exc:  # noqa: BLE001 - the cache (Redis) may be down: show it
        return CircuitInfo("unknown", 0, None, None, f"{type(exc).__name__}: {exc}"[:300])
    state = getattr(status.state, "value", status.state)
    return CircuitInfo(str(state), int(status.failures), getattr(status, "threshold", None), status.opened_until)


def collect(system: System, now: datetime | None = None) -> SystemStatus:
    """Check everything once as of `now` (default `system.clock()`; blocking: about 5 database queries, one Redis
    PING, two queue reads)."""
    now = now or system.clock()
    database = check_database(system)
    redis_check = check_redis(system)
    rows: list[TaskRun] = []
    mail = webhooks = None
    if database.state == "ok":
        try:
            with system.read() as session:
                rows = system_status.list_task_runs(session)
                mail = system_status.mail_queue(session)
                webhooks = system_status.webhook_backlog(session)
        except Exception as exc:  # noqa: BLE001 - e.g. the migration that adds task_runs has not run yet
            database = Check("database", "failed", f"{type(exc).__name__}: {exc}"[:300], database.ms)
    tasks = task_statuses(system, rows, now)
    status = SystemStatus(
        checked_at=now, database=database, redis=redis_check, queue=queue_status(system), tasks=tasks,
        terra=terra_circuit(system), mail=mail, webhooks=webhooks, leaderboard_cache=cache_backend(system),
    )
    status.problems.extend(_problems(status))
    return status


def _problems(status: SystemStatus) -> list[str]:
    """One sentence per thing that needs an admin's attention (empty when all is well)."""
    found = [f"{check.name.capitalize()} check failed: {check.detail}" for check in (status.database, status.redis)
             if check.state == "failed"]
    if status.queue.error:
        found.append(f"The task queue could not be read: {status.queue.error}")
    found += [f"Task {task.name} failed: {task.last_error or 'see the worker log'}" for task in status.tasks
              if task.state == "error"]
    found += [f"Task {task.name} is overdue (last run {task.last_started_at:%b %-d %H:%M} UTC)"
              for task in status.tasks if task.state == "overdue" and task.last_started_at]
    if status.terra.state in {"open", "half_open"}:
        found.append(f"Terra circuit is {status.terra.state.replace('_', '-')}: calls to Terra fail fast")
    if status.mail and status.mail.failed:
        found.append(f"{status.mail.failed:,} email(s) failed to send")
    if status.webhooks and status.webhooks.failed:
        found.append(f"{status.webhooks.failed:,} webhook deliveries failed processing")
    return found


def cache_backend(system: System) -> str:
    """Where leaderboard reads are served from: "redis" (the rebuildable copy, `system.boards`) or "off" (the
    database)."""
    return "redis" if system.boards is not None else "off"


REBUILD_TASK = "rebuild_leaderboard_cache"  # the periodic task whose run an on-demand rebuild is recorded as


def rebuild_cache(system: System) -> int:
    """Rebuild every board with members for today's periods (platform day of `system.clock()`) in the Redis copy
    (`system.boards`) from the database. Returns the number of board entries written; 0 (no-op) without Redis."""
    if system.boards is None:
        return 0
    with system.read() as session:
        written = system.boards.rebuild(session, boards_with_members(session), day=platform_day(system.clock()))
    _log.info("leaderboards.cache_rebuilt", entries=written)
    return written


def rebuild_leaderboards(system: System, admin_id: uuid.UUID, ip_address: str | None = None) -> int:
    """Rebuild the Redis leaderboards from the database now (`rebuild_cache`; 0 without Redis), record the run in
    `task_runs` like the periodic `rebuild_leaderboard_cache`, and audit it (`system.rebuild_leaderboards`).
    Returns the number of board entries written. Raises whatever the rebuild raises (after recording the failure)."""
    task_runs.record_start(system, REBUILD_TASK)
    try:
        written = rebuild_cache(system)
    except Exception as exc:
        task_runs.record_end(system, REBUILD_TASK, exc)
        raise
    task_runs.record_end(system, REBUILD_TASK)
    with system.uow() as uow:
        audit.record(uow, actor_id=admin_id, action="system.rebuild_leaderboards", target_type="system",
                     target_id="leaderboard_cache", after={"entries": written, "cache": cache_backend(system)},
                     ip_address=ip_address, clock=system.clock)
    return written


def reset_terra_circuit(system: System, admin_id: uuid.UUID, ip_address: str | None = None) -> CircuitInfo:
    """Close the Terra circuit breaker (`system.terra_circuit`) and forget its failures (after an admin fixed the
    cause of an outage), and audit it (`system.reset_terra_circuit`, with the state before). Returns the state after
    the reset. Raises whatever the cache (Redis) raises."""
    breaker = system.terra_circuit
    previous = breaker.status()
    breaker.reset()
    with system.uow() as uow:
        audit.record(uow, actor_id=admin_id, action="system.reset_terra_circuit", target_type="system",
                     target_id="terra_circuit",
                     before={"state": previous.state, "failures": previous.failures,
                             "opened_until": previous.opened_until},
                     after={"state": "closed", "failures": 0}, ip_address=ip_address, clock=system.clock)
    return terra_circuit(system)
