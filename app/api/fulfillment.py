"""The winner's prizes (PRODUCT.md §6; issue 6 §6): `GET /api/v1/fulfillments/mine`, `GET /api/v1/fulfillments/{id}`,
`POST /api/v1/fulfillments/{id}/address` (confirm or correct the shipping address of a physical prize) and
`POST /api/v1/fulfillments/{id}/reveal` (show the code of a digital prize; marks it delivered).

Only the winner sees their prizes: another member's fulfillment is a 404. Thin: `domain.sweepstakes.fulfillment`
decides, in one unit of work (`system.uow()`) with the emails it calls for (queued by the recorded events)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.system import System
from domain.sweepstakes import fulfillment

router = APIRouter(prefix="/fulfillments", tags=["prizes"], route_class=ReleasingRoute)


class ShippingAddress(BaseModel):
    """A US shipping address. Required: full_name, line1, city, state (two-letter code of an eligible state),
    postal_code (ZIP or ZIP+4); optional: line2, phone. Problems are 400 problem details naming the `field`."""

    full_name: str = Field("", max_length=200)
    line1: str = Field("", max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str = Field("", max_length=200)
    state: str = Field("", max_length=20)
    postal_code: str = Field("", max_length=20)
    phone: str | None = Field(None, max_length=40)


class PrizeOut(BaseModel):
    """One of the member's prizes. `status`: winner_notified, address_confirmed, address_invalid, shipped, delivered
    or forfeited; `deadline_at` (UTC) is the last moment to confirm an address (physical prizes still waiting for
    one); `digital_code` only for a revealed digital prize; `value_usd` in US dollars."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
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
    address_confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    forfeit_at: datetime | None
    shipping_address: dict[str, Any] | None
    carrier: str | None
    tracking_number: str | None
    digital_code: str | None
    awaiting_address: bool


def _mine(system: System, user_id: uuid.UUID, fulfillment_id: uuid.UUID) -> PrizeOut:
    with system.read() as session:
        return PrizeOut.model_validate(fulfillment.get_for_member(session, fulfillment_id, user_id))


@router.get("/mine", response_model=list[PrizeOut], summary="My prizes, newest first")
def my_prizes(user: CurrentUser, session: SessionDep) -> list[PrizeOut]:
    return [PrizeOut.model_validate(view) for view in fulfillment.for_member(session, user.id)]


@router.get("/{fulfillment_id}", response_model=PrizeOut, summary="One of my prizes",
            responses={404: {"description": "Unknown, or another member's prize"}})
def my_prize(fulfillment_id: uuid.UUID, user: CurrentUser, system: SystemDep) -> PrizeOut:
    return _mine(system, user.id, fulfillment_id)


@router.post("/{fulfillment_id}/address", response_model=PrizeOut, summary="Confirm my shipping address",
             responses={400: {"description": "Invalid address (the problem names the field)"},
                        404: {"description": "Unknown, or another member's prize"},
                        409: {"description": "Digital prize, already shipped or forfeited, or the deadline passed"}})
def confirm_address(fulfillment_id: uuid.UUID, body: ShippingAddress, user: CurrentUser,
                    system: SystemDep) -> PrizeOut:
    with system.uow() as uow:
        fulfillment.confirm_address(uow, fulfillment_id, user_id=user.id, address=body.model_dump(),
                                    clock=system.clock)
    return _mine(system, user.id, fulfillment_id)


@router.post("/{fulfillment_id}/reveal", response_model=PrizeOut, summary="Reveal the code of my digital prize",
             responses={404: {"description": "Unknown, or another member's prize"},
                        409: {"description": "Not a digital prize, or forfeited"}})
def reveal_code(fulfillment_id: uuid.UUID, user: CurrentUser, system: SystemDep) -> PrizeOut:
    with system.uow() as uow:
        fulfillment.reveal_code(uow, fulfillment_id, user_id=user.id, clock=system.clock)
    return _mine(system, user.id, fulfillment_id)
