"""Admin JSON API for drawings, prizes and sponsors (issue 7 §1, §2, §9; reference plan Checkpoint 7), role `admin`
(checked from the database on every request). Every change is audited by the domain service it calls.

Drawings: `GET/POST /admin/drawings`, `GET/PUT/DELETE /admin/drawings/{id}` (DELETE: a draft is deleted, a
published drawing is cancelled — `?reason=` required), `POST …/{id}/publish`, `POST …/{id}/cancel` `{"reason"}`,
`POST …/{id}/execute` (only once sales have closed: 202, enqueues the same idempotent task the schedule runs),
`GET …/{id}/audit`, prizes `POST …/{id}/prizes`, `PUT/DELETE …/{id}/prizes/{prize_id}`,
`POST/DELETE …/{id}/prizes/{prize_id}/image` (multipart `file`).
Sponsors: `GET/POST /admin/sponsors`, `GET/PUT /admin/sponsors/{id}`, `POST …/{id}/deactivate|activate`,
`POST/DELETE …/{id}/logo` (multipart `file`).

Times are ISO 8601 with a time zone (UTC); values are US dollars; costs are points. Errors are RFC 7807 problems:
400 invalid input, 404 unknown, 409 conflict (e.g. frozen drawing, execute before sales close), 403 not an admin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import images
from app.api.deps import get_session, require_admin
from app.api.pagination import Page, PageParams, page_response
from app.db import read_session, write_session
from domain import drawing_editor, sponsors
from domain.drawing_editor import DrawingFields, PrizeFields
from domain.enums import DrawingStatus, DrawingType, FulfillmentType, SponsorStatus
from domain.errors import InvalidInput, NotFound
from domain.models import AuditLog, Drawing, Prize, Sponsor, User
from domain.sponsors import SponsorFields

router = APIRouter(prefix="/admin", tags=["admin: drawings and sponsors"])
NOT_ADMIN: dict[int | str, dict[str, Any]] = {403: {"description": "Not an administrator"},
                                              404: {"description": "Unknown drawing / prize"}}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def enqueue_execution(drawing_id: uuid.UUID) -> None:
    """Enqueue S1's idempotent `tasks.drawings.execute_drawing_task` (the one the every-minute schedule runs)."""
    from tasks.drawings import execute_drawing_task

    execute_drawing_task(str(drawing_id))


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
    detail = drawing_editor.drawing_detail(session, drawing_id)
    base = DrawingOut.model_validate(detail.drawing).model_dump()
    base.update(prize_units=sum(row.prize.quantity for row in detail.prizes), prize_value_usd=detail.prize_value_usd)
    return DrawingDetailOut(**base, prizes=[PrizeOut.of(row.prize, row.sponsor_name) for row in detail.prizes])


def _fresh_detail(drawing_id: uuid.UUID) -> DrawingDetailOut:
    with read_session() as session:
        return _detail(session, drawing_id)


async def _upload_bytes(file: UploadFile) -> bytes:
    data = await file.read(images.MAX_UPLOAD_BYTES + 1)
    if len(data) > images.MAX_UPLOAD_BYTES:
        raise InvalidInput(f"The picture is larger than {images.MAX_UPLOAD_BYTES // 1_048_576} MB", field="image")
    return data


# ----------------------------------------------------------------------------------------------------- drawings
@router.get("/drawings", response_model=Page[DrawingOut], summary="Drawings, newest first (admin)")
def list_drawings(
    status: DrawingStatus | None = Query(None), drawing_type: DrawingType | None = Query(None, alias="type"),
    q: str | None = Query(None, max_length=200, description="Name contains (case-insensitive)"),
    params: PageParams = Depends(), _admin: User = Depends(require_admin), session: Session = Depends(get_session),
) -> dict[str, Any]:
    rows, total = drawing_editor.list_for_admin(
        session, status=status.value if status else None, drawing_type=drawing_type.value if drawing_type else None,
        q=q, page=params.page, limit=params.limit)
    return page_response([_drawing_out(r.drawing, r.prize_units, r.prize_value_usd) for r in rows], total, params)


@router.post("/drawings", response_model=DrawingDetailOut, status_code=201, summary="Create a draft drawing (admin)",
             responses={400: {"description": "Invalid field"}, **NOT_ADMIN})
def create_drawing(body: DrawingIn, request: Request, admin: User = Depends(require_admin)) -> DrawingDetailOut:
    with write_session() as session:
        drawing = drawing_editor.create_draft(session, body.fields(), admin_id=admin.id, ip_address=_ip(request))
    return _fresh_detail(drawing.id)


@router.get("/drawings/{drawing_id}", response_model=DrawingDetailOut, summary="A drawing with prizes (admin)",
            responses=NOT_ADMIN)
def get_drawing(drawing_id: uuid.UUID, _admin: User = Depends(require_admin),
                session: Session = Depends(get_session)) -> DrawingDetailOut:
    return _detail(session, drawing_id)


@router.put("/drawings/{drawing_id}", response_model=DrawingDetailOut, summary="Edit a draft or scheduled drawing",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen: open or later"},
                       **NOT_ADMIN})
def update_drawing(drawing_id: uuid.UUID, body: DrawingIn, request: Request,
                   admin: User = Depends(require_admin)) -> DrawingDetailOut:
    with write_session() as session:
        drawing_editor.update_drawing(session, drawing_id, body.fields(), admin_id=admin.id, ip_address=_ip(request))
    return _fresh_detail(drawing_id)


def _cancel(drawing_id: uuid.UUID, reason: str, admin: User, request: Request) -> None:
    from domain import drawings

    if not reason.strip():
        raise InvalidInput("A reason is required to cancel a drawing", field="reason")
    with write_session() as session:
        drawings.cancel(session, drawing_id, admin_id=admin.id, reason=reason.strip(), ip_address=_ip(request))


@router.delete("/drawings/{drawing_id}", status_code=204, summary="Delete a draft, or cancel a published drawing",
               responses={400: {"description": "Reason missing (published drawing)"},
                          409: {"description": "Already completed or cancelled"}, **NOT_ADMIN})
def delete_drawing(drawing_id: uuid.UUID, request: Request,
                   reason: str = Query("", max_length=500, description="Required unless the drawing is a draft"),
                   admin: User = Depends(require_admin)) -> Response:
    with write_session() as session:
        status = drawing_editor.get_drawing(session, drawing_id).status
        if status == DrawingStatus.draft.value:
            drawing_editor.delete_draft(session, drawing_id, admin_id=admin.id, ip_address=_ip(request))
            return Response(status_code=204)
    _cancel(drawing_id, reason, admin, request)
    return Response(status_code=204)


@router.post("/drawings/{drawing_id}/publish", response_model=DrawingDetailOut, summary="Publish: draft → scheduled",
             responses={400: {"description": "Not ready (no prize, no rules, past schedule)"},
                        409: {"description": "Not a draft"}, **NOT_ADMIN})
def publish_drawing(drawing_id: uuid.UUID, request: Request, admin: User = Depends(require_admin)) -> DrawingDetailOut:
    with write_session() as session:
        drawing_editor.publish(session, drawing_id, admin_id=admin.id, ip_address=_ip(request))
    return _fresh_detail(drawing_id)


@router.post("/drawings/{drawing_id}/cancel", response_model=DrawingDetailOut, summary="Cancel a drawing (admin)",
             responses={400: {"description": "Reason missing"}, 409: {"description": "Completed or cancelled"},
                        **NOT_ADMIN})
def cancel_drawing(drawing_id: uuid.UUID, body: CancelIn, request: Request,
                   admin: User = Depends(require_admin)) -> DrawingDetailOut:
    _cancel(drawing_id, body.reason, admin, request)
    return _fresh_detail(drawing_id)


@router.post("/drawings/{drawing_id}/execute", response_model=ExecutionQueued, status_code=202,
             summary="Execute now (only once sales have closed)",
             responses={409: {"description": "Sales still open, already drawn, or cancelled"}, **NOT_ADMIN})
def execute_drawing(drawing_id: uuid.UUID, request: Request, admin: User = Depends(require_admin)) -> ExecutionQueued:
    with write_session() as session:
        drawing_editor.request_execution(session, drawing_id, admin_id=admin.id, ip_address=_ip(request))
    enqueue_execution(drawing_id)
    return ExecutionQueued(drawing_id=drawing_id, status="queued")


@router.get("/drawings/{drawing_id}/audit", response_model=list[AuditEntryOut],
            summary="The drawing's audit record, newest first (admin)", responses=NOT_ADMIN)
def drawing_audit(drawing_id: uuid.UUID, _admin: User = Depends(require_admin),
                  session: Session = Depends(get_session)) -> list[AuditLog]:
    drawing_editor.get_drawing(session, drawing_id)
    return drawing_editor.drawing_audit(session, drawing_id)


# ------------------------------------------------------------------------------------------------------- prizes
@router.post("/drawings/{drawing_id}/prizes", response_model=PrizeOut, status_code=201, summary="Add a prize",
             responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen / rank taken / "
                                                                                    "inactive sponsor"}, **NOT_ADMIN})
def add_prize(drawing_id: uuid.UUID, body: PrizeIn, request: Request, admin: User = Depends(require_admin)) -> PrizeOut:
    with write_session() as session:
        prize = drawing_editor.add_prize(session, drawing_id, body.fields(), admin_id=admin.id,
                                         ip_address=_ip(request))
        sponsor = session.get(Sponsor, prize.sponsor_id) if prize.sponsor_id else None
        return PrizeOut.of(prize, sponsor.name if sponsor else None)


@router.put("/drawings/{drawing_id}/prizes/{prize_id}", response_model=PrizeOut, summary="Edit a prize",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Frozen / rank taken"},
                       **NOT_ADMIN})
def update_prize(drawing_id: uuid.UUID, prize_id: uuid.UUID, body: PrizeIn, request: Request,
                 admin: User = Depends(require_admin)) -> PrizeOut:
    with write_session() as session:
        current = session.get(Prize, prize_id)
        prize = drawing_editor.update_prize(session, drawing_id, prize_id,
                                            body.fields(image_url=current.image_url if current else None),
                                            admin_id=admin.id, ip_address=_ip(request))
        sponsor = session.get(Sponsor, prize.sponsor_id) if prize.sponsor_id else None
        return PrizeOut.of(prize, sponsor.name if sponsor else None)


@router.delete("/drawings/{drawing_id}/prizes/{prize_id}", status_code=204, summary="Remove a prize",
               responses={409: {"description": "Frozen"}, **NOT_ADMIN})
def remove_prize(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request,
                 admin: User = Depends(require_admin)) -> Response:
    with write_session() as session:
        prize = drawing_editor.remove_prize(session, drawing_id, prize_id, admin_id=admin.id, ip_address=_ip(request))
    images.delete_image(prize.image_url)
    return Response(status_code=204)


@router.post("/drawings/{drawing_id}/prizes/{prize_id}/image", response_model=PrizeOut,
             summary="Upload a prize picture (JPEG/PNG/WebP/GIF ≤ 5 MB; resized to ≤ 800 px + a thumbnail)",
             responses={400: {"description": "Not a picture, too large"}, 409: {"description": "Frozen"},
                        **NOT_ADMIN})
async def upload_prize_image(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request,
                             file: UploadFile = File(...), admin: User = Depends(require_admin)) -> PrizeOut:
    data = await _upload_bytes(file)
    with read_session() as session:  # refuse early (before storing a file) for an unknown or frozen prize
        existing = session.get(Prize, prize_id)
        if existing is None or existing.drawing_id != drawing_id:
            raise NotFound("No such prize in this drawing")
    stored = await run_in_threadpool(images.store_image, data, kind="prizes")
    try:
        out, previous = await run_in_threadpool(_set_prize_image, drawing_id, prize_id, stored.url, admin.id,
                                                _ip(request))
    except Exception:
        images.delete_image(stored.url)
        raise
    images.delete_image(previous)
    return out


def _set_prize_image(drawing_id: uuid.UUID, prize_id: uuid.UUID, url: str | None, admin_id: uuid.UUID,
                     ip: str | None) -> tuple[PrizeOut, str | None]:
    with write_session() as session:
        prize, previous = drawing_editor.set_prize_image(session, drawing_id, prize_id, url, admin_id=admin_id,
                                                         ip_address=ip)
        sponsor = session.get(Sponsor, prize.sponsor_id) if prize.sponsor_id else None
        return PrizeOut.of(prize, sponsor.name if sponsor else None), previous


@router.delete("/drawings/{drawing_id}/prizes/{prize_id}/image", response_model=PrizeOut,
               summary="Remove a prize picture", responses={409: {"description": "Frozen"}, **NOT_ADMIN})
def delete_prize_image(drawing_id: uuid.UUID, prize_id: uuid.UUID, request: Request,
                       admin: User = Depends(require_admin)) -> PrizeOut:
    prize, previous = _set_prize_image(drawing_id, prize_id, None, admin.id, _ip(request))
    images.delete_image(previous)
    return prize


# ----------------------------------------------------------------------------------------------------- sponsors
class SponsorIn(BaseModel):
    name: str = Field(..., max_length=128)
    contact_name: str | None = Field(None, max_length=128)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=32)
    website_url: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=2000)

    def fields(self, logo_url: str | None = None) -> SponsorFields:
        return SponsorFields(name=self.name, contact_name=self.contact_name, contact_email=self.contact_email,
                             contact_phone=self.contact_phone, website_url=self.website_url, notes=self.notes,
                             logo_url=logo_url)


class SponsorOut(BaseModel):
    id: uuid.UUID
    name: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    website_url: str | None
    logo_url: str | None
    logo_thumbnail_url: str | None
    status: str
    notes: str | None
    created_at: datetime
    updated_at: datetime
    prize_count: int = Field(0, description="Prizes in drawings that are not cancelled")
    total_value_usd: float = Field(0.0, description="Σ value × quantity of those prizes, US dollars")

    @classmethod
    def of(cls, row: sponsors.SponsorRow) -> SponsorOut:
        s = row.sponsor
        return cls(id=s.id, name=s.name, contact_name=s.contact_name, contact_email=s.contact_email,
                   contact_phone=s.contact_phone, website_url=s.website_url, logo_url=s.logo_url,
                   logo_thumbnail_url=images.thumbnail_url(s.logo_url), status=s.status, notes=s.notes,
                   created_at=s.created_at, updated_at=s.updated_at, prize_count=row.prize_count,
                   total_value_usd=row.total_value_usd)


class SponsorPrizeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    prize_id: uuid.UUID
    name: str
    prize_rank: int
    value_usd: float
    quantity: int
    fulfillment_type: str
    image_url: str | None
    drawing_id: uuid.UUID
    drawing_name: str
    drawing_type: str
    drawing_status: str
    drawing_time: datetime


class SponsorDetailOut(SponsorOut):
    prizes: list[SponsorPrizeOut] = Field(default_factory=list)


def _sponsor_detail(sponsor_id: uuid.UUID) -> SponsorDetailOut:
    with read_session() as session:
        base = SponsorOut.of(sponsors.sponsor_summary(session, sponsor_id)).model_dump()
        prizes = [SponsorPrizeOut.model_validate(p) for p in sponsors.sponsor_prizes(session, sponsor_id)]
    return SponsorDetailOut(**base, prizes=prizes)


SPONSOR_ERRORS: dict[int | str, dict[str, Any]] = {403: {"description": "Not an administrator"},
                                                   404: {"description": "Unknown sponsor"}}


@router.get("/sponsors", response_model=Page[SponsorOut], summary="Sponsors by name, with prize totals (admin)")
def list_sponsors(
    status: SponsorStatus | None = Query(None), q: str | None = Query(None, max_length=128),
    params: PageParams = Depends(), _admin: User = Depends(require_admin), session: Session = Depends(get_session),
) -> dict[str, Any]:
    rows, total = sponsors.list_sponsors(session, status=status.value if status else None, q=q, page=params.page,
                                         limit=params.limit)
    return page_response([SponsorOut.of(row) for row in rows], total, params)


@router.post("/sponsors", response_model=SponsorDetailOut, status_code=201, summary="Create a sponsor (admin)",
             responses={400: {"description": "Invalid field"}, 409: {"description": "Name taken"},
                        **SPONSOR_ERRORS})
def create_sponsor(body: SponsorIn, request: Request, admin: User = Depends(require_admin)) -> SponsorDetailOut:
    with write_session() as session:
        sponsor = sponsors.create_sponsor(session, body.fields(), admin_id=admin.id, ip_address=_ip(request))
    return _sponsor_detail(sponsor.id)


@router.get("/sponsors/{sponsor_id}", response_model=SponsorDetailOut, summary="A sponsor with its prizes (admin)",
            responses=SPONSOR_ERRORS)
def get_sponsor(sponsor_id: uuid.UUID, _admin: User = Depends(require_admin)) -> SponsorDetailOut:
    return _sponsor_detail(sponsor_id)


@router.put("/sponsors/{sponsor_id}", response_model=SponsorDetailOut, summary="Edit a sponsor (admin)",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Name taken"}, **SPONSOR_ERRORS})
def update_sponsor(sponsor_id: uuid.UUID, body: SponsorIn, request: Request,
                   admin: User = Depends(require_admin)) -> SponsorDetailOut:
    with write_session() as session:
        current = sponsors.get_sponsor(session, sponsor_id)
        sponsors.update_sponsor(session, sponsor_id, body.fields(logo_url=current.logo_url), admin_id=admin.id,
                                ip_address=_ip(request))
    return _sponsor_detail(sponsor_id)


def _set_sponsor_status(sponsor_id: uuid.UUID, status: str, admin: User, request: Request) -> SponsorDetailOut:
    with write_session() as session:
        sponsors.set_status(session, sponsor_id, status, admin_id=admin.id, ip_address=_ip(request))
    return _sponsor_detail(sponsor_id)


@router.post("/sponsors/{sponsor_id}/deactivate", response_model=SponsorDetailOut,
             summary="Deactivate a sponsor (kept with its past prizes; no new prizes)", responses=SPONSOR_ERRORS)
def deactivate_sponsor(sponsor_id: uuid.UUID, request: Request,
                       admin: User = Depends(require_admin)) -> SponsorDetailOut:
    return _set_sponsor_status(sponsor_id, SponsorStatus.inactive.value, admin, request)


@router.post("/sponsors/{sponsor_id}/activate", response_model=SponsorDetailOut, summary="Reactivate a sponsor",
             responses=SPONSOR_ERRORS)
def activate_sponsor(sponsor_id: uuid.UUID, request: Request,
                     admin: User = Depends(require_admin)) -> SponsorDetailOut:
    return _set_sponsor_status(sponsor_id, SponsorStatus.active.value, admin, request)


def _set_logo(sponsor_id: uuid.UUID, url: str | None, admin_id: uuid.UUID, ip: str | None) -> str | None:
    with write_session() as session:
        current = sponsors.get_sponsor(session, sponsor_id)
        previous = current.logo_url
        values = SponsorFields(**{**sponsors.as_dict(current), "logo_url": url})
        sponsors.update_sponsor(session, sponsor_id, values, admin_id=admin_id, ip_address=ip)
    return previous if previous != url else None


@router.post("/sponsors/{sponsor_id}/logo", response_model=SponsorDetailOut,
             summary="Upload a sponsor logo (JPEG/PNG/WebP/GIF ≤ 5 MB; resized)",
             responses={400: {"description": "Not a picture, too large"}, **SPONSOR_ERRORS})
async def upload_sponsor_logo(sponsor_id: uuid.UUID, request: Request, file: UploadFile = File(...),
                              admin: User = Depends(require_admin)) -> SponsorDetailOut:
    data = await _upload_bytes(file)
    with read_session() as session:
        sponsors.get_sponsor(session, sponsor_id)
    stored = await run_in_threadpool(images.store_image, data, kind="sponsors")
    try:
        previous = await run_in_threadpool(_set_logo, sponsor_id, stored.url, admin.id, _ip(request))
    except Exception:
        images.delete_image(stored.url)
        raise
    images.delete_image(previous)
    return await run_in_threadpool(_sponsor_detail, sponsor_id)


@router.delete("/sponsors/{sponsor_id}/logo", response_model=SponsorDetailOut, summary="Remove a sponsor logo",
               responses=SPONSOR_ERRORS)
def delete_sponsor_logo(sponsor_id: uuid.UUID, request: Request,
                        admin: User = Depends(require_admin)) -> SponsorDetailOut:
    images.delete_image(_set_logo(sponsor_id, None, admin.id, _ip(request)))
    return _sponsor_detail(sponsor_id)
