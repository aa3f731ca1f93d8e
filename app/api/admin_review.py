"""Admin JSON API for the review queue (issue 7 §5, PRODUCT.md §4 and §7), admin role required:

- `GET /api/v1/admin/review?status=&kind=&page=&limit=` — items newest first (default: pending), paginated.
- `GET /api/v1/admin/review/{id}` — one item with its evidence: the daily summary, the webhook delivery body and
  the day's workouts it rests on.
- `POST /api/v1/admin/review/{id}/approve` / `reject` (held points) and `acknowledge` (lowered totals, plausibility
  flags). Each decision is audited (`review.<status>`); a decided item or the wrong kind is a 409 problem. An approval
  credits the points in the decision's unit of work; the leaderboards and the member's open pages follow from the
  recorded events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.api.pagination import Page, Paging, page_response
from app.system import System
from domain.accounts import users
from domain.models import ReviewItem, User
from domain.points import review
from domain.shared.enums import ReviewKind, ReviewStatus

router = APIRouter(prefix="/admin/review", tags=["admin"], route_class=ReleasingRoute)


class ReviewItemOut(BaseModel):
    """A review queue entry: `kind` held_points / lowered_total / plausibility, `amount` in points (held points),
    `evidence` the numbers the flag was raised on (steps, active seconds, problems, payload ids); times UTC."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    member_name: str | None = None
    member_email: str | None = None
    platform_day: date
    kind: str
    status: str
    amount: int
    reason: str
    evidence: dict[str, Any] | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    created_at: datetime


class PayloadOut(BaseModel):
    kind: str  # daily_summary | webhook_delivery | activity
    id: str
    title: str
    fields: dict[str, Any]
    body: Any
    truncated: bool


class ReviewDetailOut(ReviewItemOut):
    """The item plus `payloads`: the stored Terra data behind it."""

    payloads: list[PayloadOut]


def _out(item: ReviewItem, labels: dict[uuid.UUID, tuple[str, str]]) -> ReviewItemOut:
    name, email = labels.get(item.user_id, (None, None))
    return ReviewItemOut.model_validate(item).model_copy(update={"member_name": name, "member_email": email})


@router.get("", response_model=Page[ReviewItemOut], summary="Review queue, newest first (admin)")
def admin_review_list(
    _admin: AdminUser,
    session: SessionDep,
    params: Paging,
    status: ReviewStatus | None = Query(ReviewStatus.pending, description="Default pending"),
    kind: ReviewKind | None = Query(None, description="All kinds when omitted"),
    all_statuses: bool = Query(False, alias="all", description="true: every status (ignores `status`)"),
) -> dict[str, Any]:
    items, total = review.list_review_items(
        session, status=None if all_statuses or status is None else status.value,
        kind=kind.value if kind else None, page=params.page, limit=params.limit)
    labels = users.member_labels(session, [item.user_id for item in items])
    return page_response([_out(item, labels) for item in items], total, params)


@router.get("/{item_id}", response_model=ReviewDetailOut, summary="A review item with its evidence payloads (admin)",
            responses={404: {"description": "Unknown item"}})
def admin_review_detail(item_id: uuid.UUID, _admin: AdminUser, session: SessionDep) -> ReviewDetailOut:
    found = review.review_evidence(session, item_id)
    base = ReviewItemOut.model_validate(found.item).model_dump()
    base.update(member_name=found.member_name, member_email=found.member_email)
    return ReviewDetailOut(**base, payloads=[PayloadOut(**asdict(p)) for p in found.payloads])


Decision = Callable[..., ReviewItem]  # review.approve_hold / reject_hold / acknowledge


def _decided(system: System, decision: Decision, item_id: uuid.UUID, admin: User, request: Request) -> ReviewItemOut:
    """`decision(uow, item_id, admin_id, …)` in its own unit of work; an approval's credited points move the boards
    and the member's balance live after the commit (`PointsCredited`, `BalanceChanged`)."""
    with system.uow() as uow:
        item = decision(uow, item_id, admin.id, clock=system.clock, ip_address=client_ip(request))
    return ReviewItemOut.model_validate(item)


_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown item"}, 409: {"description": "Already decided, or the wrong kind of item"}}


@router.post("/{item_id}/approve", response_model=ReviewItemOut, responses=_DECISION_ERRORS,
             summary="Approve held points: credited through the ledger (admin, audited)")
def admin_review_approve(item_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep) -> ReviewItemOut:
    return _decided(system, review.approve_hold, item_id, admin, request)


@router.post("/{item_id}/reject", response_model=ReviewItemOut, responses=_DECISION_ERRORS,
             summary="Reject held points: nothing is credited (admin, audited)")
def admin_review_reject(item_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep) -> ReviewItemOut:
    return _decided(system, review.reject_hold, item_id, admin, request)


@router.post("/{item_id}/acknowledge", response_model=ReviewItemOut, responses=_DECISION_ERRORS,
             summary="Close a lowered-total or plausibility flag; no points move (admin, audited)")
def admin_review_acknowledge(item_id: uuid.UUID, request: Request, admin: AdminUser,
                             system: SystemDep) -> ReviewItemOut:
    return _decided(system, review.acknowledge, item_id, admin, request)
