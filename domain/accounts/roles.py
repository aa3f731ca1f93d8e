"""Roles (issue 4 §8, PRODUCT.md §7): `user`, `premium` (granted by admins for now) and `admin`.

Rules:
- Only an active admin changes roles, always with a reason; every change writes an `AuditLog` row
  (action `user.role`, before/after JSON with the role, the reason in `after_state`).
- The last active admin can never be demoted. To make that race-safe every change first locks all admin rows
  (`SELECT … FOR UPDATE`, ordered by id so concurrent changes lock in the same order) and then the member's row;
  on SQLite the caller's write transaction (`app.adapters.db.write_session`, BEGIN IMMEDIATE) serialises writers
  instead. Two admins demoting each other at once: exactly one succeeds — the other finds it is no longer an admin.

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlmodel import Session, col, select

from domain.models import AuditLog, User
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]

ROLE_ACTION: Final = "user.role"
REASON_MAX_CHARS: Final = 500
ROLES: Final = tuple(role.value for role in Role)


def _lock_admins(session: Session) -> list[User]:
    """All admin rows, locked (FOR UPDATE) and refreshed, in id order."""
    query = select(User).where(User.role == Role.admin.value).order_by(col(User.id)).with_for_update()
    return list(session.exec(query.execution_options(populate_existing=True)).all())


def set_role(
    session: Session, user_id: uuid.UUID, role: str, *, admin_id: uuid.UUID, reason: str,
    clock: Clock = utcnow, ip_address: str | None = None,
) -> User:
    """Give member `user_id` the role `role` (`user` | `premium` | `admin`) on behalf of admin `admin_id`;
    returns the (flushed) user. Setting the role a member already has changes nothing and writes no audit row.

    Raises InvalidInput (`field="role"` for an unknown role, `field="reason"` for a missing or over-500-character
    reason); NotFound for an unknown member; Forbidden when `admin_id` is not an active admin (checked under the
    lock); Conflict for a deleted account, or when it would demote the last active admin."""
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of: {', '.join(ROLES)}", field="role")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required for a role change", field="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(f"Reason must be at most {REASON_MAX_CHARS} characters", field="reason")

    admins = {admin.id: admin for admin in _lock_admins(session)}
    actor = admins.get(admin_id)
    if actor is None or actor.status != UserStatus.active.value:
        raise Forbidden("Only an active administrator can change roles")
    user = admins.get(user_id) or session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    if user.status == UserStatus.deleted.value:
        raise Conflict("A deleted account's role cannot be changed")
    if user.role == role:
        return user
    if user.role == Role.admin.value and user.status == UserStatus.active.value:
        others = [a for a in admins.values() if a.id != user.id and a.status == UserStatus.active.value]
        if not others:
            raise Conflict("This is the last active administrator; promote another admin before demoting this one")

    before = {"role": user.role}
    now = clock()
    user.role, user.updated_at = role, now
    session.add(user)
    session.add(AuditLog(actor_id=admin_id, action=ROLE_ACTION, target_type="user", target_id=str(user.id),
                         before_state=before, after_state={"role": role, "reason": reason},
                         ip_address=ip_address, created_at=now))
    session.flush()
    return user
