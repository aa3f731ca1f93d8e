"""Moderation glue shared by the admin API and the admin pages (issue 7 §4): one write transaction per action
(the domain change, its audit entry and the member's email in the outbox commit together), then the email is
enqueued and a live "points" event goes out after commit. Blocking: call from a worker thread.
"""

from __future__ import annotations

import uuid

from app.db import write_session
from app.mailer import enqueue_outbox, queue_email
from app.pubsub import get_pubsub
from domain import moderation
from domain.types import utcnow


def change_status(user_id: uuid.UUID, status: str, *, admin_id: uuid.UUID, reason: str,
                  ip_address: str | None = None) -> moderation.StatusChange:
    """`domain.moderation.set_status` in its own transaction; when the status changed, the member gets the
    matching email (`account_suspended` / `account_banned` / `account_reactivated`; the admin's reason is not in
    it). Raises the domain errors of `set_status`."""
    message_id = None
    with write_session() as session:
        change = moderation.set_status(session, user_id, status, admin_id=admin_id, reason=reason,
                                       ip_address=ip_address, clock=utcnow)
        if change.changed and change.email_template:
            message_id = queue_email(session, change.user.email, change.email_template, {}).id
    if message_id is not None:
        enqueue_outbox([message_id])
    return change


def adjust_points(user_id: uuid.UUID, amount: int, *, admin_id: uuid.UUID, reason: str,
                  idempotency_key: str | None = None, ip_address: str | None = None) -> moderation.Adjustment:
    """`domain.moderation.adjust_points` in its own transaction, then a `points` event so the member's open pages
    show the new balance (no leaderboard changes: adjustments are not earned points). Raises its domain errors."""
    with write_session() as session:
        result = moderation.adjust_points(session, user_id, amount, admin_id=admin_id, reason=reason,
                                          idempotency_key=idempotency_key, ip_address=ip_address, clock=utcnow)
    if not result.replayed:
        get_pubsub().publish("points", {"user_id": str(user_id), "boards": [],
                                        "point_balance": result.entry.balance_after})
    return result
