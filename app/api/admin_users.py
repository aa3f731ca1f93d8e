"""Admin JSON API for member moderation and the audit log (issue 7 §4, §6, §9; PRODUCT.md §7), role `admin` read
from the database on every request (`require_admin`):

- `GET /api/v1/admin/users/{id}` — member detail (profile, connections, ticket totals, flags);
  `GET …/{id}/ledger`, `GET …/{id}/tickets` — their ledger entries and tickets per drawing, paginated;
- `PUT /api/v1/admin/users/{id}/status` `{"status": "suspended"|"banned"|"active", "reason"}` — suspend, ban or
  reactivate (the member is emailed; tickets stay valid; sessions and refresh tokens end);
- `POST /api/v1/admin/users/{id}/adjust-points` `{"amount", "reason", "idempotency_key"?}` — a ledger `adjust`;
- `GET /api/v1/admin/audit-logs` — the audit log, newest first, filterable and paginated. Read-only: there is no
  route that edits or deletes an audit entry.

A missing `reason` is a 422 (validation), a blank one a 400 problem (`field: "reason"`); every action is audited.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.api.pagination import Page, Paging, page_response
from app.api.schemas import UserOut
from app.services import moderation as moderation_actions
from app.web.deps import AuditFilterDep
from domain import audit
from domain.accounts.users import get_user_summary
from domain.admin import moderation

router = APIRouter(prefix="/admin", tags=["admin"], route_class=ReleasingRoute)


class ConnectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider: str
    status: str
    is_primary: bool
    terra_user_id: str | None
    connected_at: datetime | None
    last_sync_at: datetime | None
    status_message: str | None


class FlagOut(BaseModel):
    """A review-queue item (`review:<kind>`), a prize needing a tax form (`tax_form_needed`) or a lockout."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    status: str
    detail: str
    amount: int
    created_at: datetime | None


class MemberDetailOut(BaseModel):
    """One member as admins see them. Points are whole points; times ISO 8601 UTC."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: str
    status: str
    email_verified_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    point_balance: int
    points_earned: int
    active_days: int
    display_name: str | None
    date_of_birth: str | None
    state_code: str | None
    tier_code: str | None
    fitness_level: str | None
    leaderboard_privacy: str | None
    tickets: int = Field(description="Tickets held in all drawings (free entries included)")
    drawings_entered: int
    wins: int
    connections: list[ConnectionOut]
    flags: list[FlagOut]


@router.get("/users/{user_id}", response_model=MemberDetailOut, summary="Member detail (admin)",
            responses={404: {"description": "Unknown user"}})
def admin_user_detail(user_id: uuid.UUID, _admin: AdminUser, session: SessionDep) -> MemberDetailOut:
    return MemberDetailOut.model_validate(moderation.member_detail(session, user_id))


class LedgerEntryOut(BaseModel):
    """One ledger entry: signed whole points, balances before/after, ISO 8601 UTC time."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    entry_seq: int
    transaction_type: str
    amount: int
    balance_before: int
    balance_after: int
    reference_type: str | None
    reference_id: str | None
    description: str | None
    platform_day: date | None
    created_at: datetime


@router.get("/users/{user_id}/ledger", response_model=Page[LedgerEntryOut],
            summary="A member's ledger, newest first (admin)")
def admin_user_ledger(user_id: uuid.UUID, params: Paging, _admin: AdminUser, session: SessionDep) -> dict[str, Any]:
    rows, total = moderation.member_ledger(session, user_id, page=params.page, limit=params.limit)
    return page_response([LedgerEntryOut.model_validate(row) for row in rows], total, params)


class TicketSummaryOut(BaseModel):
    """A member's entries in one drawing (free entries included; ticket numbers from first to last)."""

    model_config = ConfigDict(from_attributes=True)

    drawing_id: uuid.UUID
    drawing_name: str
    drawing_type: str
    drawing_status: str
    drawing_time: datetime
    tickets: int
    free_entries: int
    wins: int
    first_ticket: int
    last_ticket: int


@router.get("/users/{user_id}/tickets", response_model=Page[TicketSummaryOut],
            summary="A member's tickets per drawing, latest drawing first (admin)")
def admin_user_tickets(user_id: uuid.UUID, params: Paging, _admin: AdminUser,
                       session: SessionDep) -> dict[str, Any]:
    rows, total = moderation.member_tickets(session, user_id, page=params.page, limit=params.limit)
    return page_response([TicketSummaryOut.model_validate(row) for row in rows], total, params)


class StatusChangeIn(BaseModel):
    """`PUT /admin/users/{id}/status` body."""

    status: Literal["active", "suspended", "banned"] = Field(
        description="`suspended` or `banned` (the member cannot sign in; tickets stay valid) or `active` "
                    "(reactivate)")
    reason: str = Field(description="Why (required, 1–500 characters; kept in the audit log, not sent to the "
                                    "member). Missing → 422, blank → 400")


class StatusChangeOut(UserOut):
    """The member after the change; `changed` is false when they already had that status (nothing recorded)."""

    previous_status: str
    changed: bool
    sessions_ended: int
    refresh_tokens_revoked: int


@router.put("/users/{user_id}/status", response_model=StatusChangeOut,
            summary="Suspend, ban or reactivate a member (admin)",
            responses={400: {"description": "Blank reason"}, 404: {"description": "Unknown user"},
                       409: {"description": "Own account, deleted account, or unverified email"}})
def admin_set_status(user_id: uuid.UUID, body: StatusChangeIn, request: Request, admin: AdminUser,
                     system: SystemDep) -> StatusChangeOut:
    change = moderation_actions.change_status(system, user_id, body.status, admin_id=admin.id, reason=body.reason,
                                              ip_address=client_ip(request))
    with system.read() as session:
        summary = UserOut.model_validate(get_user_summary(session, user_id))
    return StatusChangeOut(**summary.model_dump(), previous_status=change.before, changed=change.changed,
                           sessions_ended=change.sessions_ended, refresh_tokens_revoked=change.refresh_tokens_revoked)


class AdjustPointsIn(BaseModel):
    """`POST /admin/users/{id}/adjust-points` body."""

    amount: int = Field(description="Whole points to add (> 0) or remove (< 0); not 0, at most 1,000,000 either way")
    reason: str = Field(description="Why (required, 1–500 characters; audited and in the ledger description). "
                                    "Missing → 422, blank → 400")
    idempotency_key: str | None = Field(None, max_length=100,
                                        description="Send the same key to retry safely (same key + same request = "
                                                    "the original adjustment; different request = 409)")


class AdjustmentOut(BaseModel):
    transaction_id: uuid.UUID
    user_id: uuid.UUID
    amount: int
    balance_before: int
    balance_after: int
    description: str | None
    created_at: datetime
    replayed: bool


@router.post("/users/{user_id}/adjust-points", response_model=AdjustmentOut, status_code=201,
             summary="Adjust a member's points with a reason (admin)",
             responses={200: {"description": "Replay of an earlier request with the same idempotency key"},
                        400: {"description": "Blank reason, zero amount, or not enough points"},
                        404: {"description": "Unknown user"}, 409: {"description": "Idempotency key reused"}})
def admin_adjust_points(user_id: uuid.UUID, body: AdjustPointsIn, request: Request, response: Response,
                        admin: AdminUser, system: SystemDep) -> AdjustmentOut:
    result = moderation_actions.adjust_points(system, user_id, body.amount, admin_id=admin.id, reason=body.reason,
                                              idempotency_key=body.idempotency_key, ip_address=client_ip(request))
    if result.replayed:
        response.status_code = 200
    entry = result.entry
    return AdjustmentOut(transaction_id=entry.id, user_id=entry.user_id, amount=entry.amount,
                         balance_before=entry.balance_before, balance_after=entry.balance_after,
                         description=entry.description, created_at=entry.created_at, replayed=result.replayed)


class AuditEntryOut(BaseModel):
    """One audit entry: who (`actor_id`, null for the system), what (`action`, target), when (ISO 8601 UTC),
    before/after JSON and the admin's IP address."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before_state: dict[str, Any] | None
    after_state: dict[str, Any] | None
    ip_address: str | None


@router.get("/audit-logs", response_model=Page[AuditEntryOut], summary="The audit log, newest first (admin)",
            responses={400: {"description": "Bad period (naive time, or start not before end)"}})
def admin_audit_logs(filters: AuditFilterDep, params: Paging, _admin: AdminUser,
                     session: SessionDep) -> dict[str, Any]:
    rows, total = audit.list_entries(session, filters, page=params.page, limit=params.limit)
    return page_response([AuditEntryOut.model_validate(row) for row in rows], total, params)
