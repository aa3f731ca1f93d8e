"""Moderation use cases shared by the admin API and the admin pages (issue 7 §4): one unit of work per action. The
domain change, its audit entry and the member's email commit together; the live update and the send job follow
from the recorded events (`app.services.effects`). Blocking: call from a worker thread.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from domain.admin import moderation

if TYPE_CHECKING:
    from app.system import System


def change_status(system: System, user_id: uuid.UUID, status: str, *, admin_id: uuid.UUID, reason: str,
                  ip_address: str | None = None) -> moderation.StatusChange:
    """`domain.admin.moderation.set_status` in its own unit of work; when the status changed the member gets the
    matching email (`account_suspended` / `account_banned` / `account_reactivated`; the admin's reason is not in
    it). Raises the domain errors of `set_status`."""
    with system.uow() as uow:
        return moderation.set_status(uow, user_id, status, admin_id=admin_id, reason=reason,
                                     ip_address=ip_address, clock=system.clock)


def adjust_points(system: System, user_id: uuid.UUID, amount: int, *, admin_id: uuid.UUID, reason: str,
                  idempotency_key: str | None = None, ip_address: str | None = None) -> moderation.Adjustment:
    """`domain.admin.moderation.adjust_points` in its own unit of work; the member's open pages show the new balance
    (no leaderboard changes: adjustments are not earned points). Raises its domain errors."""
    with system.uow() as uow:
        return moderation.adjust_points(uow, user_id, amount, admin_id=admin_id, reason=reason,
                                        idempotency_key=idempotency_key, ip_address=ip_address, clock=system.clock)
