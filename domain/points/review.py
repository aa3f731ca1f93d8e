"""The admin review queue (PRODUCT.md §4, §7): held points (approve → credited through the ledger, or reject),
lowered daily totals and plausibility flags (acknowledge). Every decision is written to the audit log."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import Activity, AuditLog, DailySummary, Profile, ReviewItem, User, WebhookDelivery
from domain.points import ledger
from domain.points.ledger import Clock
from domain.shared.enums import ReviewKind, ReviewStatus, TransactionType
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.events import PointsCredited
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork


def list_review_items(session: Session, *, status: str | None = ReviewStatus.pending.value, kind: str | None = None,
                      page: int = 1, limit: int = 20) -> tuple[list[ReviewItem], int]:
    """Review items newest first, filtered by `status` and `kind`; returns (items of the page, total count).
    Raises InvalidInput for `page` < 1 or `limit` outside 1..100."""
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    query = select(ReviewItem)
    if status:
        query = query.where(ReviewItem.status == status)
    if kind:
        query = query.where(ReviewItem.kind == kind)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(ReviewItem.created_at).desc(), col(ReviewItem.id))
                         .offset((page - 1) * limit).limit(limit)).all()
    return list(items), int(total)


def _pending(session: Session, item_id: uuid.UUID, kinds: set[ReviewKind]) -> ReviewItem:
    """The pending item, locked. The member's row is locked first — the same order as
    `domain.points.engine.recompute_day` (member, then their review items) — so a decision racing a recompute waits
    instead of deadlocking."""
    found = session.get(ReviewItem, item_id)
    if found is None:
        raise NotFound(f"review item {item_id} does not exist")
    ledger.lock_user(session, found.user_id)
    item = session.get(ReviewItem, item_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist")
    if item.kind not in {k.value for k in kinds}:
        raise Conflict(f"review item {item_id} is a {item.kind} item")
    if item.status != ReviewStatus.pending.value:
        raise Conflict(f"review item {item_id} was already {item.status}")
    return item


def _decide(session: Session, item: ReviewItem, status: ReviewStatus, admin_id: uuid.UUID, clock: Clock,
            ip_address: str | None) -> ReviewItem:
    before = {"status": item.status, "amount": item.amount}
    item.status, item.decided_by, item.decided_at = status.value, admin_id, clock()
    item.updated_at = item.decided_at
    session.add(item)
    session.add(AuditLog(actor_id=admin_id, action=f"review.{status.value}", target_type="review_item",
                         target_id=str(item.id), before_state=before,
                         after_state={"status": item.status, "amount": item.amount}, ip_address=ip_address,
                         created_at=item.decided_at))
    session.flush()
    return item


def approve_hold(session: UnitOfWork, item_id: uuid.UUID, admin_id: uuid.UUID, clock: Clock = utcnow,
                 ip_address: str | None = None) -> ReviewItem:
    """Credit held points: an `earn` entry (idempotency key `hold:{item_id}`) for the item's platform day.
    Records `PointsCredited` (leaderboards move). Raises NotFound, or Conflict when the item is not a pending
    held-points item."""
    item = _pending(session, item_id, {ReviewKind.held_points})
    ledger.post(session, user_id=item.user_id, transaction_type=TransactionType.earn, amount=item.amount,
                idempotency_key=f"hold:{item.id}", reference_type="review_item", reference_id=str(item.id),
                description=f"Held points approved for {item.platform_day.isoformat()}",
                platform_day=item.platform_day, clock=clock)
    session.record(PointsCredited(item.user_id, item.platform_day, item.amount, 0))
    return _decide(session, item, ReviewStatus.approved, admin_id, clock, ip_address)


def reject_hold(session: Session, item_id: uuid.UUID, admin_id: uuid.UUID, clock: Clock = utcnow,
                ip_address: str | None = None) -> ReviewItem:
    """Refuse held points: nothing is credited, and the amount stays accounted so recomputes don't re-hold it."""
    item = _pending(session, item_id, {ReviewKind.held_points})
    return _decide(session, item, ReviewStatus.rejected, admin_id, clock, ip_address)


def acknowledge(session: Session, item_id: uuid.UUID, admin_id: uuid.UUID, clock: Clock = utcnow,
                ip_address: str | None = None) -> ReviewItem:
    """Close a lowered-total or plausibility flag after review (no points move)."""
    item = _pending(session, item_id, {ReviewKind.lowered_total, ReviewKind.plausibility})
    return _decide(session, item, ReviewStatus.acknowledged, admin_id, clock, ip_address)


# --- evidence: the payloads behind a flag (issue 7 §5) ---------------------------------------------------------

BODY_MAX_CHARS = 200_000  # a stored webhook body longer than this is shown cut (Terra days with samples can be big)


@dataclass(frozen=True)
class Payload:
    """One stored payload behind a review item: `kind` "daily_summary", "webhook_delivery" or "activity", its `id`,
    a short `title`, facts (`fields`: small scalar values) and the JSON `body` (parsed when it is JSON, else the raw
    text), `truncated` when the raw body was longer than `BODY_MAX_CHARS`."""

    kind: str
    id: str
    title: str
    fields: dict[str, Any]
    body: Any
    truncated: bool = False


@dataclass(frozen=True)
class ReviewEvidence:
    """A review item with the member's name and email and the payloads its decision rests on: the daily summary
    named by `evidence.summary_id` (its latest stored Terra data), the webhook delivery named by
    `evidence.delivery_id` (the raw body as received), and the member's workout sessions of that platform day."""

    item: ReviewItem
    member_name: str
    member_email: str
    payloads: list[Payload]


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _body(raw: str | None) -> tuple[Any, bool]:
    if raw is None:
        return None, False
    truncated = len(raw) > BODY_MAX_CHARS
    try:
        return json.loads(raw), False
    except ValueError:
        return raw[:BODY_MAX_CHARS], truncated


def review_evidence(session: Session, item_id: uuid.UUID) -> ReviewEvidence:
    """The item and its payloads (see `ReviewEvidence`); missing payloads (e.g. a summary id that no longer exists)
    are left out. Raises NotFound for an unknown item. Read-only: about 5 primary-key or indexed queries."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"review item {item_id} does not exist")
    member = session.get(User, item.user_id)
    profile = session.exec(select(Profile).where(Profile.user_id == item.user_id)).first()
    evidence = item.evidence or {}
    payloads: list[Payload] = []
    summary_id = _uuid(evidence.get("summary_id"))
    summary = session.get(DailySummary, summary_id) if summary_id else None
    if summary is not None:
        payloads.append(Payload(
            "daily_summary", str(summary.id), f"Daily summary {summary.summary_date.isoformat()}",
            {"steps": summary.steps, "distance_meters": summary.distance_meters,
             "vigorous_seconds": summary.vigorous_seconds, "moderate_seconds": summary.moderate_seconds,
             "low_seconds": summary.low_seconds, "activity_seconds": summary.activity_seconds,
             "upload_type": summary.upload_type, "updated_at": summary.updated_at.isoformat()},
            summary.data))
    delivery_id = _uuid(evidence.get("delivery_id")) or (summary.delivery_id if summary else None)
    delivery = session.get(WebhookDelivery, delivery_id) if delivery_id else None
    if delivery is not None:
        body, truncated = _body(delivery.body)
        payloads.append(Payload(
            "webhook_delivery", str(delivery.id), f"Terra {delivery.event_type} webhook",
            {"event_type": delivery.event_type, "status": delivery.status, "attempts": delivery.attempts,
             "received_at": delivery.received_at.isoformat(), "trace_id": delivery.trace_id,
             "terra_user_id": delivery.terra_user_id},
            body, truncated))
    activities = session.exec(select(Activity).where(Activity.user_id == item.user_id,
                                                     Activity.platform_day == item.platform_day)
                              .order_by(col(Activity.start_time))).all()
    for activity in activities:
        payloads.append(Payload(
            "activity", str(activity.id), f"Workout {activity.name or activity.summary_id}",
            {"start_time": activity.start_time.isoformat(), "duration_seconds": activity.duration_seconds,
             "steps": activity.steps, "upload_type": activity.upload_type},
            activity.data))
    name = profile.display_name if profile is not None else (member.email if member else str(item.user_id))
    return ReviewEvidence(item, name, member.email if member else "", payloads)
