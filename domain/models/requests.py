"""Support requests about a member's profile: `profile_change_requests` (PRODUCT.md §3).

Date of birth and state cannot be changed by the member after registration; a state change goes through support as a
request that admins see and decide.
"""

from __future__ import annotations

from domain.models._base import SQLModel, datetime, fk, id_field, text, ts, uuid, uuid_col


class ProfileChangeRequest(SQLModel, table=True):
    """A member's request to change a locked profile field (today only `state_code`).

    `status` is `pending`, `approved` or `rejected`; `decided_at`/`decided_by` (an admin's user id) are set when an
    admin decides."""

    __tablename__ = "profile_change_requests"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id")
    field: str = text(32)
    requested_value: str = text(64)
    reason: str | None = text(500, nullable=True)
    status: str = text(16, default="pending", index=True)
    created_at: datetime = ts(nullable=False, now=True)
    decided_at: datetime | None = ts()
    decided_by: uuid.UUID | None = uuid_col()
