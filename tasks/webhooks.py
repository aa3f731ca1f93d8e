"""Processing of stored Terra deliveries (issue 2 §7): one task per delivery, and a sweeper so nothing is lost.

- `process_webhook_delivery(delivery_id)` applies a delivery in one unit of work (`run_delivery`; Huey retries it 3
  times, 5 s apart). What follows from the points and connections it changed — the live `points` messages, the Redis
  boards, the backfill of a tracker just connected — comes from the domain events recorded in that unit of work and
  runs after its commit (`app.services.effects`), never from here.
- A delivery whose processing keeps failing stays `failed` with its error (visible to admins); the sweeper re-enqueues
  it with exponential backoff (2, 4, 8 … up to 60 minutes) until `MAX_ATTEMPTS`.
- A delivery still `received` `STUCK_AFTER` (20 s) after arrival while the queue is empty lost its enqueue or its
  worker (a crash between storing and enqueueing, a worker killed mid-task): the sweeper enqueues it again (processing
  is idempotent, so a slow delivery enqueued twice still credits once). While the queue has a backlog it waits its
  turn. The sweeper runs every minute and once more half a minute later, so a lost in-flight delivery is re-enqueued
  within 20 + 30 s of arriving or of the queue draining (issue 13 §3: "re-swept in under 60 s").
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from huey import crontab
from sqlmodel import col, or_, select

from app.adapters import metrics
from domain.models import WebhookDelivery
from domain.shared.enums import DeliveryStatus
from domain.tracking import ingest

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)
STUCK_AFTER = timedelta(seconds=20)
HALF_MINUTE_SECONDS = 30
MAX_ATTEMPTS = 20
SWEEP_BATCH = 500


def run_delivery(system: System, delivery_id: uuid.UUID) -> str:
    """Apply a stored delivery in one unit of work (`domain.tracking.ingest.process_delivery`); returns its final
    status (`processed` / `ignored`). The effects of what it changed run after the commit. On error the delivery is
    marked `failed` (attempts + 1, the error, `processed_at` = this attempt) in a transaction of its own and the
    exception propagates (Huey retries)."""
    try:
        with system.uow() as uow:
            outcome = ingest.process_delivery(uow, delivery_id, clock=system.clock,
                                              credit_window_days=system.settings.credit_window_days)
    except Exception as exc:
        with system.uow() as uow:
            delivery = uow.get(WebhookDelivery, delivery_id)
            if delivery is not None:
                delivery.status = DeliveryStatus.failed.value
                delivery.error = f"{type(exc).__name__}: {exc}"[:1000]
                delivery.attempts += 1
                delivery.processed_at = system.clock()
                uow.add(delivery)
        log.exception("webhook.processing_failed", delivery_id=str(delivery_id))
        metrics.delivery_processed("failed")
        raise
    metrics.delivery_processed(outcome.status, outcome.points_changes)
    return outcome.status


def backoff(attempts: int) -> timedelta:
    """How long a failed delivery waits before its next attempt: 2^attempts minutes, at most 60."""
    return timedelta(minutes=min(2 ** max(attempts, 1), 60))


def deliveries_to_sweep(system: System, now_pending: int) -> list[uuid.UUID]:
    """Ids of deliveries to enqueue again: failed ones whose backoff has passed (below MAX_ATTEMPTS), and — only when
    the queue is empty (`now_pending` == 0) — ones still `received` after STUCK_AFTER. At most SWEEP_BATCH."""
    now = system.clock()
    with system.read() as session:
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


def sweep_deliveries(system: System) -> int:
    """Enqueue `process_webhook_delivery` for each id `deliveries_to_sweep` names (given the queue's backlog);
    returns how many."""
    ids = deliveries_to_sweep(system, system.jobs.pending_count())
    for delivery_id in ids:
        system.jobs.enqueue("process_webhook_delivery", str(delivery_id))
    if ids:
        log.warning("webhook.swept", count=len(ids))
    return len(ids)


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.task(retries=3, retry_delay=5, name="process_webhook_delivery")
    def process_webhook_delivery(delivery_id: str) -> str:
        """Process one stored delivery (`run_delivery`); returns its final status (`processed` / `ignored`)."""
        return run_delivery(system, uuid.UUID(delivery_id))

    @system.jobs.add
    @huey.periodic_task(crontab(minute="*"), name="sweep_deliveries")
    @huey.lock_task("webhook-sweeper")
    def sweep_deliveries_task() -> int:
        """Every minute: `sweep_deliveries`, and the same again `HALF_MINUTE_SECONDS` later
        (`sweep_deliveries_again`); returns how many deliveries were re-enqueued now."""
        swept = sweep_deliveries(system)
        sweep_deliveries_again.schedule(delay=HALF_MINUTE_SECONDS)
        return swept

    @system.jobs.add
    @huey.task(name="sweep_deliveries_again")
    @huey.lock_task("webhook-sweeper")
    def sweep_deliveries_again() -> int:
        """The half-minute sweep between two periodic ones (`sweep_deliveries`)."""
        return sweep_deliveries(system)
