"""What the admin system page reads from the database (PRODUCT.md §7 "system: queue depth, last task runs, cache
rebuild, health"; issue 7 §8): the last run of each Huey task (`task_runs`), the mail queue and the webhook backlog,
and the bookkeeping that keeps `task_runs` current (called by `app.services.task_runs` from Huey's signals).

Read-only SQL aggregates for the figures; `record_task_*` flush one row and never commit (the caller's write
transaction does). Times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import OutboxMessage, TaskRun, WebhookDelivery
from domain.shared.enums import DeliveryStatus

STATUS_OK = "ok"
STATUS_ERROR = "error"
STATUS_RUNNING = "running"
ERROR_MAX_CHARS = 1000


def list_task_runs(session: Session) -> list[TaskRun]:
    """Every recorded task, by name."""
    return list(session.exec(select(TaskRun).order_by(col(TaskRun.task_name))).all())


def _row(session: Session, task_name: str) -> TaskRun:
    row = session.get(TaskRun, task_name, with_for_update=True, populate_existing=True)
    if row is None:
        row = TaskRun(task_name=task_name, runs=0, failures=0)
        session.add(row)
    return row


def record_task_start(session: Session, task_name: str, at: datetime) -> TaskRun:
    """Note that `task_name` started at `at` (status "running"); creates its row on first use. Flushes."""
    row = _row(session, task_name)
    row.last_started_at, row.last_status = at, STATUS_RUNNING
    session.flush()
    return row


def record_task_end(session: Session, task_name: str, at: datetime, *, error: str | None = None) -> TaskRun:
    """Note that a run of `task_name` ended at `at`: `runs` + 1, status "ok", or with `error` (a one-line
    description, cut to 1,000 characters) `failures` + 1 and status "error". The last error is kept after a later
    success so the page can show it. Flushes."""
    row = _row(session, task_name)
    row.last_finished_at = at
    row.runs = (row.runs or 0) + 1
    if error is None:
        row.last_status = STATUS_OK
    else:
        row.last_status = STATUS_ERROR
        row.failures = (row.failures or 0) + 1
        row.last_error = error[:ERROR_MAX_CHARS]
    session.flush()
    return row


@dataclass(frozen=True)
class MailQueue:
    """The email outbox: messages `queued` (waiting for the sender), `sent`, `failed` (retried by the sweeper), and
    when the oldest queued one was written (None when nothing waits)."""

    queued: int
    sent: int
    failed: int
    oldest_queued_at: datetime | None


def mail_queue(session: Session) -> MailQueue:
    """Outbox counts by status (one GROUP BY) and the oldest queued message's time (one MIN)."""
    counts = dict(session.exec(select(col(OutboxMessage.status), sa.func.count())
                               .group_by(col(OutboxMessage.status))).all())
    oldest = session.exec(select(sa.func.min(OutboxMessage.created_at))
                          .where(col(OutboxMessage.status) == "queued")).one()
    return MailQueue(int(counts.get("queued", 0)), int(counts.get("sent", 0)), int(counts.get("failed", 0)),
                     _aware(oldest))


@dataclass(frozen=True)
class WebhookBacklog:
    """Terra deliveries stored but not processed yet (`received`), and ones whose processing `failed` (retried by the
    sweeper), with the oldest unprocessed one's arrival time."""

    received: int
    failed: int
    oldest_unprocessed_at: datetime | None


def webhook_backlog(session: Session) -> WebhookBacklog:
    """Counts of received and failed deliveries (one GROUP BY over the status index) and the oldest of them."""
    waiting = [DeliveryStatus.received.value, DeliveryStatus.failed.value]
    counts = dict(session.exec(select(col(WebhookDelivery.status), sa.func.count())
                               .where(col(WebhookDelivery.status).in_(waiting))
                               .group_by(col(WebhookDelivery.status))).all())
    oldest = session.exec(select(sa.func.min(WebhookDelivery.received_at))
                          .where(col(WebhookDelivery.status).in_(waiting))).one()
    return WebhookBacklog(int(counts.get(DeliveryStatus.received.value, 0)),
                          int(counts.get(DeliveryStatus.failed.value, 0)), _aware(oldest))


def _aware(value: datetime | None) -> datetime | None:
    """MIN() over a UTC column comes back without the column type's conversion on some dialects (SQLite: a string
    or a naive datetime): make it an aware UTC datetime."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
