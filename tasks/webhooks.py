"""Processing of stored Terra deliveries (issue 2 §7): one task per delivery, and a sweeper so nothing is lost.

- `process_webhook_delivery` applies a delivery in one write transaction (Huey retries it a few times).
- A delivery whose processing keeps failing stays `failed` with its error (visible to admins); the sweeper re-enqueues
  it with exponential backoff (2, 4, 8 … up to 60 minutes) until `MAX_ATTEMPTS`.
- A delivery still `received` 10 minutes after arrival while the queue is empty lost its enqueue (e.g. a crash
  between storing and enqueueing): the sweeper enqueues it. While the queue has a backlog it waits its turn.
- After commit, points changes are published for live pages and Redis boards (`app.points_events`); if that fails it
  is retried as its own task, since the delivery itself is already processed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import structlog
from huey import crontab
from sqlmodel import col, or_, select

from app import metrics
from app.db import read_session, write_session
from app.jobs import huey
from app.points_events import publish_points_changes
from domain import ingest
from domain.enums import DeliveryStatus
from domain.models import WebhookDelivery
from domain.types import utcnow
from tasks.sync import after_connection_event

log = structlog.get_logger(__name__)
STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 20
SWEEP_BATCH = 500


@huey.task(retries=3, retry_delay=5)
def process_webhook_delivery(delivery_id: str) -> str:
    """Huey task: process one stored delivery; returns its final status (`processed` / `ignored`)."""
    return run_delivery(uuid.UUID(delivery_id))


def run_delivery(delivery_id: uuid.UUID) -> str:
    """Apply a stored delivery in one write transaction, then publish what changed. On error the delivery is marked
    `failed` (attempts + 1, the error, `processed_at` = this attempt) and the exception propagates (Huey retries)."""
    try:
        with write_session() as session:
            outcome = ingest.process_delivery(session, delivery_id)
    except Exception as exc:
        with write_session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is not None:
                delivery.status = DeliveryStatus.failed.value
                delivery.error = f"{type(exc).__name__}: {exc}"[:1000]
                delivery.attempts += 1
                delivery.processed_at = utcnow()
                session.add(delivery)
        log.exception("webhook.processing_failed", delivery_id=str(delivery_id))
        metrics.delivery_processed("failed")
        raise
    metrics.delivery_processed(outcome.status, outcome.points_changes)
    if outcome.event_type in {"auth", "user_reauth"} and outcome.status == DeliveryStatus.processed.value:
        after_connection_event(delivery_id)  # issue 5: backfill the connection just made (tasks/sync.py)
    try:
        publish_points_changes(outcome.points_changes)
    except Exception:  # noqa: BLE001 - the points are committed; only the notification is retried
        log.exception("webhook.publish_failed", delivery_id=str(delivery_id))
        publish_later([_as_message(change) for change in outcome.points_changes])
    return outcome.status


def _as_message(change: ingest.PointsChange) -> dict[str, object]:
    return {"user_id": str(change.user_id), "platform_day": change.platform_day.isoformat(),
            "credited": change.credited, "held": change.held}


@huey.task(retries=5, retry_delay=10)
def publish_later(changes: list[dict]) -> int:
    """Huey task: publish points changes whose first publication failed (dicts as made by `_as_message`)."""
    return publish_points_changes([
        ingest.PointsChange(uuid.UUID(c["user_id"]), date.fromisoformat(c["platform_day"]), c["credited"], c["held"])
        for c in changes
    ])


def backoff(attempts: int) -> timedelta:
    """How long a failed delivery waits before its next attempt: 2^attempts minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts, 1), 60))


def deliveries_to_sweep(now_pending: int) -> list[uuid.UUID]:
    """Ids of deliveries to enqueue again: failed ones whose backoff has passed (below MAX_ATTEMPTS), and — only when
    the queue is empty (`now_pending` == 0) — ones still `received` after STUCK_AFTER. At most SWEEP_BATCH."""
    now = utcnow()
    with read_session() as session:
        failed = session.exec(select(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.failed.value, WebhookDelivery.attempts < MAX_ATTEMPTS,
        ).order_by(col(WebhookDelivery.received_at)).limit(SWEEP_BATCH)).all()
        due = [d.id for d in failed if d.processed_at is None or d.processed_at + backoff(d.attempts) <= now]
        if now_pending == 0:
            stuck = session.exec(select(WebhookDelivery.id).where(
                WebhookDelivery.status == DeliveryStatus.received.value,
                col(WebhookDelivery.received_at) < now - STUCK_AFTER,
                or_(col(WebhookDelivery.attempts) == 0, col(WebhookDelivery.processed_at).is_(None)),
            ).order_by(col(WebhookDelivery.received_at)).limit(SWEEP_BATCH)).all()
            due.extend(stuck)
    return due[:SWEEP_BATCH]


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("webhook-sweeper")
def sweep_deliveries() -> int:
    """Every minute: re-enqueue the deliveries `deliveries_to_sweep` names; returns how many."""
    ids = deliveries_to_sweep(huey.pending_count())
    for delivery_id in ids:
        process_webhook_delivery(str(delivery_id))
    if ids:
        log.warning("webhook.swept", count=len(ids))
    return len(ids)
