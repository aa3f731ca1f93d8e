"""Admin JSON API (`/api/v1/admin/...`, role `admin` checked from the database on every request, PRODUCT.md §7)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep
from app.api.pagination import Page, Paging, page_response
from app.api.schemas import UserOut
from domain.accounts import roles
from domain.accounts.change_requests import list_change_requests_page
from domain.accounts.users import get_user_summary, list_users
from domain.messaging.outbox import list_outbox
from domain.shared.enums import Role, UserStatus

router = APIRouter(prefix="/admin", tags=["admin"], route_class=ReleasingRoute)


@router.get("/users", response_model=Page[UserOut], summary="Search users (admin)")
def admin_users(
    _admin: AdminUser,
    session: SessionDep,
    params: Paging,
    q: str | None = Query(None, max_length=254, description="Contains, case-insensitive: email or display name"),
    role: Role | None = Query(None),
    status: UserStatus | None = Query(None),
) -> dict[str, Any]:
    rows, total = list_users(session, q=q, role=role.value if role else None,
                             status=status.value if status else None, page=params.page, limit=params.limit)
    return page_response([UserOut.model_validate(row) for row in rows], total, params)


class RoleChange(BaseModel):
    """`PUT /admin/users/{id}/role` body: the new role and the (required) reason kept in the audit log."""

    role: Role
    reason: str = Field("", description="Why the role changes (required, at most 500 characters; kept in the audit "
                       "log); a missing or blank reason is a 400 problem")


@router.put("/users/{user_id}/role", response_model=UserOut, summary="Change a user's role (admin)",
            responses={400: {"description": "Missing reason"}, 404: {"description": "Unknown user"},
                       409: {"description": "Would demote the last active admin"}})
def admin_set_role(user_id: uuid.UUID, body: RoleChange, request: Request, admin: AdminUser,
                   system: SystemDep) -> UserOut:
    with system.uow() as uow:
        roles.set_role(uow, user_id, body.role.value, admin_id=admin.id, reason=body.reason, clock=system.clock,
                       ip_address=request.client.host if request.client else None)
    with system.read() as session:
        return UserOut.model_validate(get_user_summary(session, user_id))


class ChangeRequestOut(BaseModel):
    """A profile change request in the support queue (times ISO 8601 UTC)."""

    model_config = ConfigDict(from_attributes=True)

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


@router.get("/profile-change-requests", response_model=Page[ChangeRequestOut],
            summary="Profile change requests, oldest first (admin)")
def admin_change_requests(
    _admin: AdminUser,
    session: SessionDep,
    params: Paging,
    status: Literal["pending", "approved", "rejected"] | None = Query(None, description="All when omitted"),
) -> dict[str, Any]:
    rows, total = list_change_requests_page(session, status=status, page=params.page, limit=params.limit)
    return page_response([ChangeRequestOut.model_validate(row) for row in rows], total, params)


class OutboxMessageOut(BaseModel):
    """An email in the outbox: `status` is queued, sent or failed (with `last_error`); times ISO 8601 UTC."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    to_address: str
    subject: str
    template: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get("/outbox", response_model=Page[OutboxMessageOut], summary="Email outbox, newest first (admin)")
def admin_outbox(
    _admin: AdminUser,
    session: SessionDep,
    params: Paging,
    status: Literal["queued", "sent", "failed"] | None = Query(None, description="All when omitted"),
) -> dict[str, Any]:
    rows, total = list_outbox(session, status=status, page=params.page, limit=params.limit)
    return page_response([OutboxMessageOut.model_validate(row) for row in rows], total, params)
