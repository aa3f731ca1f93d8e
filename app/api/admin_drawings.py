"""Admin JSON API for drawings and their prizes (issue 7 §1, §9; reference plan Checkpoint 7), role `admin` (checked
from the database on every request). Every change is audited by the domain service it calls, in one unit of work
(`system.uow()`); status changes reach open pages through the recorded events. Sponsors are `app.api.admin_sponsors`.

Drawings: `GET/POST /admin/drawings`, `GET/PUT/DELETE /admin/drawings/{id}` (DELETE: a draft is deleted, a
published drawing is cancelled — `?reason=` required), `POST …/{id}/publish`, `POST …/{id}/cancel` `{"reason"}`,
`POST …/{id}/execute` (only once sales have closed: 202, enqueues the same idempotent task the schedule runs),
`GET …/{id}/audit`, prizes `POST …/{id}/prizes`, `PUT/DELETE …/{id}/prizes/{prize_id}`,
`POST/DELETE …/{id}/prizes/{prize_id}/image` (multipart `file`).

Times are ISO 8601 with a time zone (UTC); values are US dollars; costs are points. Errors are RFC 7807 problems:
400 invalid input, 404 unknown, 409 conflict (e.g. frozen drawing, execute before sales close), 403 not an admin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.adapters import images
from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.api.pagination import Page, Paging, page_response
from app.api.uploads import read_upload
from app.services import drawings as drawing_actions
from app.system import System
from domain.models import AuditLog, Drawing, Prize, Sponsor
from domain.shared.enums import DrawingStatus, DrawingType, FulfillmentType
from domain.shared.errors import InvalidInput, NotFound
from domain.sweepstakes import drawings, editor
from domain.sweepstakes.editor import DrawingFields, PrizeFields

router = APIRouter(prefix="/admin", tags=["admin: drawings and sponsors"], route_class=ReleasingRoute)
NOT_ADMIN: dict[int | str, dict[str, Any]] = {403: {"description": "Not an administrator"},
                                              404: {"description": "Unknown drawing / prize"}}


# ------------------------------------------------------------------------------------------------------ schemas
class Eligibility(BaseModel):
    """Who may enter: empty lists mean any tier / any role; `min_account_age_days` 0–3650."""

    tiers: list[str] = Field(default_factory=list, description="Tier codes such as F-30-39-INT, or OPEN")
    roles: list[str] = Field(default_factory=list, description="user, premium, admin")
    min_account_age_days: int = 0


class DrawingIn(BaseModel):
    """A draft's editable fields. `open_time` defaults to now (opens when published); `sales_close` to
    `drawing_time − 5 min`. Times must carry a time zone."""

    drawing_type: DrawingType
    name: str = Field(..., max_length=200)
    description: str | None = Field(None, max_length=4000)
    ticket_cost_points: int = Field(..., ge=1, le=100_000)
    open_time: datetime | None = None
    drawing_time: datetime
    sales_close: datetime | None = None
    eligibility: Eligibility | None = None
    rules_text: str | None = Field(None, max_length=50_000, description="Official rules (Markdown)")

    def fields(self) -> DrawingFields:
        return DrawingFields(
            drawing_type=self.drawing_type.value, name=self.name, description=self.description,
            ticket_cost_points=self.ticket_cost_points, open_time=self.open_time, drawing_time=self.drawing_time,
            sales_close=self.sales_close, rules_text=self.rules_text,
            eligibility=self.eligibility.model_dump() if self.eligibility else None)


class PrizeIn(BaseModel):
    """A prize: rank 1 is awarded first; a quantity of q is q prize units in a row."""

    name: str = Field(..., max_length=200)
    description: str | None = Field(None, max_length=2000)
    prize_rank: int = Field(1, ge=1, le=50)
    value_usd: float = Field(..., gt=0, le=1_000_000)
    quantity: int = Field(1, ge=1, le=100)
    fulfillment_type: FulfillmentType = FulfillmentType.physical
    sponsor_id: uuid.UUID | None = None

    def fields(self, image_url: str | None = None) -> PrizeFields:
        return PrizeFields(name=self.name, description=self.description, prize_rank=self.prize_rank,
                           value_usd=self.value_usd, quantity=self.quantity,
                           fulfillment_type=self.fulfillment_type.value, sponsor_id=self.sponsor_id,
                           image_url=image_url)


class PrizeOut(BaseModel):
    id: uuid.UUID
    drawing_id: uuid.UUID
    sponsor_id: uuid.UUID | None
    sponsor_name: str | None
    prize_rank: int
    name: str
    description: str | None
    value_usd: float
    quantity: int
    fulfillment_type: str
    image_url: str | None
    thumbnail_url: str | None

    @classmethod
    def of(cls, prize: Prize, sponsor_name: str | None = None) -> PrizeOut:
        return cls(id=prize.id, drawing_id=prize.drawing_id, sponsor_id=prize.sponsor_id, sponsor_name=sponsor_name,
                   prize_rank=prize.prize_rank, name=prize.name, description=prize.description,
                   value_usd=prize.value_usd, quantity=prize.quantity, fulfillment_type=prize.fulfillment_type,
                   image_url=prize.image_url, thumbnail_url=images.thumbnail_url(prize.image_url))


class DrawingOut(BaseModel):
    """A drawing as admins see it (no server seed: it stays secret until the draw; the public results have it)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    drawing_type: str
    name: str
    description: str | None
    status: str
    ticket_cost_points: int
    open_time: datetime | None
    sales_close: datetime
    drawing_time: datetime
    eligibility: dict[str, Any] | None
    rules_text: str | None
    rules_version: int
    total_tickets: int
    seed_commitment: str | None
    ticket_list_hash: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    prize_units: int = 0
    prize_value_usd: float = 0.0


class DrawingDetailOut(DrawingOut):
    prizes: list[PrizeOut] = Field(default_factory=list)


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str
    target_type: str | None
    target_id: str | None
    before_state: dict[str, Any] | None
    after_state: dict[str, Any] | None
    ip_address: str | None
    created_at: datetime


class ExecutionQueued(BaseModel):
    drawing_id: uuid.UUID
    status: str = Field(description="`queued`: the draw task was enqueued; results appear when it has run")


class CancelIn(BaseModel):
    reason: str = Field("", max_length=500, description="Why (required; kept in the audit log)")


def _drawing_out(drawing: Drawing, units: int = 0, value: float = 0.0) -> DrawingOut:
    return DrawingOut.model_validate(drawing).model_copy(update={"prize_units": units, "prize_value_usd": value})


def _detail(session: Session, drawing_id: uuid.UUID) -> DrawingDetailOut:
    detail = editor.drawing_detail(session, drawing_id)
    base = DrawingOut.model_validate(detail.drawing).model_dump()
    base.update(prize_units=sum(row.prize.quantity for row in detail.prizes), prize_value_usd=detail.prize_value_usd)
    return DrawingDetailOut(**base, prizes=[PrizeOut.of(row.prize, row.sponsor_name) for row in detail.prizes])


def _fresh_detail(system: System, drawing_id: uuid.UUID) -> DrawingDetailOut:
    with system.read() as session:
        return _detail(session, drawing_id)


def _prize_out(session: Session, prize: Prize) -> PrizeOut:
    sponsor = session.get(Sponsor, prize.sponsor_id) if prize.sponsor_id else None
    return PrizeOut.of(prize, sponsor.name if sponsor else None)


# ----------------------------------------------------------------------------------------------------- drawings
@router.get("/drawings", response_model=Page[DrawingOut], summary="Drawings, newest first (admin)")
def list_drawings(
    _admin: AdminUser, session: SessionDep, params: Paging,
    status: DrawingStatus | None = Query(None), drawing_type: DrawingType | None = Query(None, alias="type"),
    q: str | None = Query(None, max_length=200, description="Name contains (case-insensitive)"),
) -> dict[str, Any]:
    rows, total = editor.list_for_admin(
        session, status=status.value if status else None, drawing_type=drawing_type.value if drawing_type else None,
        q=q, page=params.page, limit=params.limit)
    return page_response([_drawing_out(r.drawing, r.prize_units, r.prize_value_usd) for r in rows], total, params)


@router.post("/drawings", response_model=DrawingDetailOut, status_code=201, summary="Create a draft drawing (admin)",
             responses={400: {"description": "Invalid field"}, **NOT_ADMIN})
def create_drawing(body: DrawingIn, request: Request, admin: AdminUser, system: SystemDep) -> DrawingDetailOut:
    with system.uow() as uow:
        drawing = editor.create_draft(uow, body.fields(), admin_id=admin.id, ip_address=client_ip(request),
                                      clock=system.clock)
    return _fresh_detail(system, drawing.id)


@router.get("/drawings/{drawing_id}", response_model=DrawingDetailOut, summary="A drawing with prizes (admin)",
            responses=NOT_ADMIN)
def get_drawing(drawing_id: uuid.UUID, _admin: AdminUser, session: SessionDep) -> DrawingDetailOut:
    return _detail(session, drawing_id)


@router.put("/drawings/{drawing_id}", response_model=DrawingDetailOut, summary="Edit a draft or scheduled drawing",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen: open or later"},
                       **NOT_ADMIN})
def update_drawing(drawing_id: uuid.UUID, body: DrawingIn, request: Request, admin: AdminUser,
                   system: SystemDep) -> DrawingDetailOut:
    with system.uow() as uow:
        editor.update_drawing(uow, drawing_id, body.fields(), admin_id=admin.id, ip_address=client_ip(request),
                              clock=system.clock)
    return _fresh_detail(system, drawing_id)


def _cancel(system: System, drawing_id: uuid.UUID, reason: str, admin_id: uuid.UUID, ip: str | None) -> None:
    if not reason.strip():
        raise InvalidInput("A reason is required to cancel a drawing", field="reason")
    with system.uow() as uow:
        drawings.cancel(uow, drawing_id, admin_id=admin_id, reason=reason.strip(), ip_address=ip, clock=system.clock)


@router.delete("/drawings/{drawing_id}", status_code=204, summary="Delete a draft, or cancel a published drawing",
               responses={400: {"description": "Reason missing (published drawing)"},
                          409: {"description": "Already completed or cancelled"}, **NOT_ADMIN})
def delete_drawing(drawing_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep,
                   reason: str = Query("", max_length=500, description="Required unless the drawing is a draft"),
                   ) -> Response:
    with system.uow() as uow:
        if drawings.get_drawing(uow, drawing_id).status == DrawingStatus.draft.value:
            editor.delete_draft(uow, drawing_id, admin_id=admin.id, ip_address=client_ip(request),
                                clock=system.clock)
            return Response(status_code=204)
    _cancel(system, drawing_id, reason, admin.id, client_ip(request))
    return Response(status_code=204)


@router.post("/drawings/{drawing_id}/publish", response_model=DrawingDetailOut, summary="Publish: draft → scheduled",
             responses={400: {"description": "Not ready (no prize, no rules, past schedule)"},
                        409: {"description": "Not a draft"}, **NOT_ADMIN})
def publish_drawing(drawing_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep) -> DrawingDetailOut:
    with system.uow() as uow:
        drawings.publish(uow, drawing_id, admin_id=admin.id, ip_address=client_ip(request), clock=system.clock)
    return _fresh_detail(system, drawing_id)


@router.post("/drawings/{drawing_id}/cancel", response_model=DrawingDetailOut, summary="Cancel a drawing (admin)",
             responses={400: {"description": "Reason missing"}, 409: {"description": "Completed or cancelled"},
                        **NOT_ADMIN})
def cancel_drawing(drawing_id: uuid.UUID, body: CancelIn, request: Request, admin: AdminUser,
                   system: SystemDep) -> DrawingDetailOut:
    _cancel(system, drawing_id, body.reason, admin.id, client_ip(request))
    return _fresh_detail(system, drawing_id)


@router.post("/drawings/{drawing_id}/execute", response_model=ExecutionQueued, status_code=202,
             summary="Execute now (only once sales have closed)",
             responses={409: {"description": "Sales still open, already drawn, or cancelled"}, **NOT_ADMIN})
def execute_drawing(drawing_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep) -> ExecutionQueued:
    drawing_actions.request_execution(system, drawing_id, admin_id=admin.id, ip_address=client_ip(request))
    return ExecutionQueued(drawing_id=drawing_id, status="queued")


@router.get("/drawings/{drawing_id}/audit", response_model=list[AuditEntryOut],
            summary="The drawing's audit record, newest first (admin)", responses=NOT_ADMIN)
def drawing_audit(drawing_id: uuid.UUID, _admin: AdminUser, session: SessionDep) -> list[AuditLog]:
    drawings.get_drawing(session, drawing_id)
    return editor.drawing_audit(session, drawing_id)


# ------------------------------------------------------------------------------------------------------- prizes
@router.post("/drawings/{drawing_id}/prizes", response_model=PrizeOut, status_code=201, summary="Add a prize",
             responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen / rank taken / "
                                                                                    "inactive sponsor"}, **NOT_ADMIN})
def add_prize(drawing_id: uuid.UUID, body: PrizeIn, request: Request, admin: AdminUser, system: SystemDep) -> PrizeOut:
    with system.uow() as uow:
        prize = editor.add_prize(uow, drawing_id, body.fields(), admin_id=admin.id, ip_address=client_ip(request),
                                 clock=system.clock)
        return _prize_out(uow, prize)


@router.put("/drawings/{drawing_id}/prizes/{prize_id}", response_model=PrizeOut, summary="Edit a prize",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen / rank taken"},
                       **NOT_ADMIN})
def update_prize(drawing_id: uuid.UUID, prize_id: uuid.UUID, body: PrizeIn, request: Request, admin: AdminUser,
                 system: SystemDep) -> PrizeOut:
    with system.uow() as uow:
        current = uow.get(Prize, prize_id)
        prize = editor.update_prize(uow, drawing_id, prize_id,
                                    body.fields(image_url=current.image_url if current else None),
                                    admin_id=admin.id, ip_address=client_ip(request), clock=system.clock)
        return _prize_out(uow, prize)


@router.delete("/drawings/{drawing_id}/prizes/{prize_id}", status_code=204, summary="Remove a prize",
               responses={409: {"description": "Frozen"}, **NOT_ADMIN})
def remove_prize(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request, admin: AdminUser,
                 system: SystemDep) -> Response:
    with system.uow() as uow:
        prize = editor.remove_prize(uow, drawing_id, prize_id, admin_id=admin.id, ip_address=client_ip(request),
                                    clock=system.clock)
    images.delete_image(system.settings.media_dir, prize.image_url)
    return Response(status_code=204)


def _check_prize(system: System, drawing_id: uuid.UUID, prize_id: uuid.UUID) -> None:
    with system.read() as session:
        existing = session.get(Prize, prize_id)
    if existing is None or existing.drawing_id != drawing_id:
        raise NotFound("No such prize in this drawing")


def _set_prize_image(system: System, drawing_id: uuid.UUID, prize_id: uuid.UUID, url: str | None,
                     admin_id: uuid.UUID, ip: str | None) -> tuple[PrizeOut, str | None]:
    with system.uow() as uow:
        prize, previous = editor.set_prize_image(uow, drawing_id, prize_id, url, admin_id=admin_id, ip_address=ip,
                                                 clock=system.clock)
        return _prize_out(uow, prize), previous


@router.post("/drawings/{drawing_id}/prizes/{prize_id}/image", response_model=PrizeOut,
             summary="Upload a prize picture (JPEG/PNG/WebP/GIF ≤ 5 MB; resized to ≤ 800 px + a thumbnail)",
             responses={400: {"description": "Not a picture, too large"}, 409: {"description": "Frozen"},
                        **NOT_ADMIN})
async def upload_prize_image(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request, admin: AdminUser,
                             system: SystemDep, file: UploadFile = File(...)) -> PrizeOut:
    data = await read_upload(file)
    # refuse early (before storing a file) for an unknown prize
    await run_in_threadpool(_check_prize, system, drawing_id, prize_id)
    stored = await run_in_threadpool(images.store_image, system.settings.media_dir, data, kind="prizes")
    try:
        out, previous = await run_in_threadpool(_set_prize_image, system, drawing_id, prize_id, stored.url,
                                                admin.id, client_ip(request))
    except Exception:
        images.delete_image(system.settings.media_dir, stored.url)
        raise
    images.delete_image(system.settings.media_dir, previous)
    return out


@router.delete("/drawings/{drawing_id}/prizes/{prize_id}/image", response_model=PrizeOut,
               summary="Remove a prize picture", responses={409: {"description": "Frozen"}, **NOT_ADMIN})
def delete_prize_image(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request, admin: AdminUser,
                       system: SystemDep) -> PrizeOut:
    prize, previous = _set_prize_image(system, drawing_id, prize_id, None, admin.id, client_ip(request))
    images.delete_image(system.settings.media_dir, previous)
    return prize
