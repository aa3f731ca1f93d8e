"""The admins' support queue of profile change requests (PRODUCT.md §3: a state change goes through support), one
page at a time with the member's name and email. Members create requests with
`domain.accounts.profiles.request_state_change`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.accounts.users import member_labels
from domain.models import ProfileChangeRequest
from domain.shared.errors import InvalidInput

STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class ChangeRequestRow:
    """One request as admin screens show it (`display_name`/`email` of the member; times UTC)."""

    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    email: str
    field: str
    requested_value: str
    reason: str | None
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: uuid.UUID | None


def list_change_requests_page(session: Session, *, status: str | None = "pending", page: int = 1,
                              limit: int = 20) -> tuple[list[ChangeRequestRow], int]:
    """Requests with `status` (`pending` | `approved` | `rejected`; all when None), oldest first like
    `domain.accounts.profiles.list_change_requests`; returns (rows of the page, total count).
    Raises InvalidInput for an unknown status, `page` < 1 or `limit` outside 1..100."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of: {', '.join(STATUSES)}", field="status")
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    query = select(ProfileChangeRequest)
    if status is not None:
        query = query.where(ProfileChangeRequest.status == status)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(ProfileChangeRequest.created_at), col(ProfileChangeRequest.id))
                         .offset((page - 1) * limit).limit(limit)).all()
    labels = member_labels(session, [item.user_id for item in items])
    rows = [ChangeRequestRow(id=item.id, user_id=item.user_id, display_name=labels.get(item.user_id, ("?", "?"))[0],
                             email=labels.get(item.user_id, ("?", "?"))[1], field=item.field,
                             requested_value=item.requested_value, reason=item.reason, status=item.status,
                             created_at=item.created_at, decided_at=item.decided_at, decided_by=item.decided_by)
            for item in items]
    return rows, int(total)
