"""Processing of stored Terra deliveries (issue 2 §7): one task per delivery, plus a sweeper that re-enqueues
deliveries whose enqueue was lost (e.g. a crash between storing and enqueueing), so nothing is lost.

After a delivery's transaction commits, the members whose points moved get their Redis leaderboard entries refreshed
(no-op without Redis) and a `points` event is published for live pages (PRODUCT.md §5).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

import structlog
from huey import crontab
from sqlmodel import col, select

from app.db import read_session, write_session
from app.jobs import huey
from domain import ingest
from domain.enums import DeliveryStatus
from domain.models import Profile, User, WebhookDelivery
from domain.tiers import boards_for
from domain.types import utcnow

log = structlog.get_logger(__name__)
STUCK_AFTER = timedelta(minutes=10)


@huey.task(retries=5, retry_delay=2)
def process_webhook_delivery(delivery_id: str) -> str:
    """Huey task: process one stored delivery; returns its final status (`processed` / `ignored`)."""
    return run_delivery(uuid.UUID(delivery_id))


def run_delivery(delivery_id: uuid.UUID) -> str:
    """Apply a stored delivery in one write transaction, then publish what changed. On error the delivery is marked
    `failed` with the error (visible to admins) and the exception propagates so Huey retries it."""
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
                session.add(delivery)
        log.exception("webhook.processing_failed", delivery_id=str(delivery_id))
        raise
    publish_points_changes(outcome.points_changes)
    return outcome.status


def publish_points_changes(changes: list[ingest.PointsChange]) -> None:
    """Refresh Redis leaderboards for the members whose points moved and publish one `points` event per member."""
    from app.leaderboard_store import refresh_member
    from app.pubsub import get_pubsub

    days_by_user: dict[uuid.UUID, set[date]] = defaultdict(set)
    for change in changes:
        if change.credited:
            days_by_user[change.user_id].add(change.platform_day)
    if not days_by_user:
        return
    pubsub = get_pubsub()
    with read_session() as session:
        for user_id, days in days_by_user.items():
            refresh_member(session, user_id, sorted(days))
            user = session.get(User, user_id)
            profile = session.get(Profile, user_id)
            if user is None:
                continue
            boards = boards_for(profile.tier_code, profile.open_tier_opt_in) if profile else []
            pubsub.publish("points", {
                "user_id": str(user_id), "boards": boards, "platform_day": max(days).isoformat(),
                "point_balance": user.point_balance, "points_earned": user.points_earned,
            })


@huey.periodic_task(crontab(minute="*/5"))
@huey.lock_task("webhook-sweeper")
def requeue_stuck_deliveries() -> int:
    """Every 5 minutes: re-enqueue deliveries still `received` 10 minutes after arrival (at most 500 per run)."""
    cutoff = utcnow() - STUCK_AFTER
    with read_session() as session:
        ids = session.exec(select(WebhookDelivery.id).where(
            WebhookDelivery.status == DeliveryStatus.received.value, WebhookDelivery.received_at < cutoff
        ).order_by(col(WebhookDelivery.received_at)).limit(500)).all()
    for delivery_id in ids:
        process_webhook_delivery(str(delivery_id))
    if ids:
        log.warning("webhook.requeued_stuck", count=len(ids))
    return len(ids)
