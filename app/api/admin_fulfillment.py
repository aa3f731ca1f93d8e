"""Admin prize fulfillment queue (PRODUCT.md §6, §7; issue 7 §3): `GET /api/v1/admin/fulfillments` (filter by
status, address deadline and tax-form flag), `GET …/{id}`, `POST …/{id}/ship` `{"carrier", "tracking_number"}`,
`POST …/{id}/deliver`, `POST …/{id}/address-invalid` `{"reason"}`, `POST …/{id}/forfeit` `{"reason"}` (an alternate
winner is drawn). Role `admin` (from the database) on every request; every action is audited with the caller's IP,
in one unit of work with the winner's email and notification (queued by the recorded events); illegal transitions
are 409 problem details. Digital prize codes are never shown here (only to the winner)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.api.pagination import Page, Paging, page_response
from app.system import System
from domain.sweepstakes import fulfillment

router = APIRouter(prefix="/admin/fulfillments", tags=["admin"], route_class=ReleasingRoute)

StatusFilter = Literal["open", "pending", "winner_notified", "address_confirmed", "address_invalid", "shipped",
                       "delivered", "forfeited"]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Missing or invalid field"}, 403: {"description": "Administrator role required"},
    404: {"description": "Unknown fulfillment"}, 409: {"description": "Not allowed in the prize's current status"}}


class FulfillmentOut(BaseModel):
    """A fulfillment in the admin queue (times ISO 8601 UTC, value in USD; no digital code)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    user_id: uuid.UUID
    display_name: str
    email: str
    prize_id: uuid.UUID
    prize_name: str
    prize_value_usd: float
    prize_rank: int
    fulfillment_type: str
    drawing_id: uuid.UUID
    drawing_name: str
    ticket_number: int
    tax_form_needed: bool
    deadline_at: datetime | None
    notified_at: datetime | None
    reminder_sent_at: datetime | None
    address_confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    forfeit_at: datetime | None
    shipping_address: dict[str, Any] | None
    carrier: str | None
    tracking_number: str | None
    notes: str | None
    created_at: datetime


class ShipBody(BaseModel):
    carrier: str = Field(..., max_length=200, description="Carrier name, e.g. UPS (1–64 characters)")
    tracking_number: str = Field(..., max_length=300, description="Tracking number (1–128 characters)")


class ReasonBody(BaseModel):
    reason: str = Field("", max_length=2000, description="Why (required, at most 500 characters; audited and told "
                                                         "to the winner)")


class ForfeitOut(BaseModel):
    """The forfeited fulfillment and the alternate winner's new one (null when no eligible ticket was left)."""

    fulfillment: FulfillmentOut
    alternate: FulfillmentOut | None


def _out(system: System, fulfillment_id: uuid.UUID) -> FulfillmentOut:
    with system.read() as session:
        return FulfillmentOut.model_validate(fulfillment.get_fulfillment(session, fulfillment_id))


@router.get("", response_model=Page[FulfillmentOut], summary="Fulfillment queue (admin)")
def admin_fulfillments(
    _admin: AdminUser,
    session: SessionDep,
    params: Paging,
    status: StatusFilter | None = Query(None, description="A status, or `open` (not delivered/forfeited); all when "
                                                          "omitted"),
    due_before: datetime | None = Query(None, description="Only prizes waiting for an address whose deadline is "
                                                          "before this time (ISO 8601)"),
    tax_form: bool | None = Query(None, description="Only prizes with (true) or without (false) the tax-form flag"),
) -> dict[str, Any]:
    rows, total = fulfillment.list_fulfillments(session, status=status, due_before=due_before, tax_form=tax_form,
                                                page=params.page, limit=params.limit)
    return page_response([FulfillmentOut.model_validate(row) for row in rows], total, params)


@router.get("/{fulfillment_id}", response_model=FulfillmentOut, summary="One fulfillment (admin)", responses=_ERRORS)
def admin_fulfillment(fulfillment_id: uuid.UUID, _admin: AdminUser, system: SystemDep) -> FulfillmentOut:
    return _out(system, fulfillment_id)


@router.post("/{fulfillment_id}/ship", response_model=FulfillmentOut, summary="Mark shipped (admin)",
             responses=_ERRORS)
def admin_ship(fulfillment_id: uuid.UUID, body: ShipBody, request: Request, admin: AdminUser,
               system: SystemDep) -> FulfillmentOut:
    with system.uow() as uow:
        fulfillment.ship(uow, fulfillment_id, admin_id=admin.id, carrier=body.carrier,
                         tracking_number=body.tracking_number, ip_address=client_ip(request), clock=system.clock)
    return _out(system, fulfillment_id)


@router.post("/{fulfillment_id}/deliver", response_model=FulfillmentOut, summary="Mark delivered (admin)",
             responses=_ERRORS)
def admin_deliver(fulfillment_id: uuid.UUID, request: Request, admin: AdminUser,
                  system: SystemDep) -> FulfillmentOut:
    with system.uow() as uow:
        fulfillment.mark_delivered(uow, fulfillment_id, admin_id=admin.id, ip_address=client_ip(request),
                                   clock=system.clock)
    return _out(system, fulfillment_id)


@router.post("/{fulfillment_id}/address-invalid", response_model=FulfillmentOut,
             summary="Mark the address invalid: the winner is asked again with a new 14-day deadline (admin)",
             responses=_ERRORS)
def admin_address_invalid(fulfillment_id: uuid.UUID, body: ReasonBody, request: Request, admin: AdminUser,
                          system: SystemDep) -> FulfillmentOut:
    with system.uow() as uow:
        fulfillment.mark_address_invalid(uow, fulfillment_id, admin_id=admin.id, reason=body.reason,
                                         ip_address=client_ip(request), clock=system.clock)
    return _out(system, fulfillment_id)


@router.post("/{fulfillment_id}/forfeit", response_model=ForfeitOut,
             summary="Forfeit the prize and draw an alternate winner (admin)", responses=_ERRORS)
def admin_forfeit(fulfillment_id: uuid.UUID, body: ReasonBody, request: Request, admin: AdminUser,
                  system: SystemDep) -> ForfeitOut:
    with system.uow() as uow:
        outcome = fulfillment.forfeit_with_alternate(uow, fulfillment_id, admin_id=admin.id, reason=body.reason,
                                                     ip_address=client_ip(request), clock=system.clock)
    alternate = _out(system, outcome.alternate.id) if outcome.alternate is not None else None
    return ForfeitOut(fulfillment=_out(system, fulfillment_id), alternate=alternate)
