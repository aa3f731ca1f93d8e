"""Admin JSON API for sponsors (issue 7 §2, §9), role `admin` (checked from the database on every request). Every
change is audited by `domain.sweepstakes.sponsors`, in one unit of work (`system.uow()`).

`GET/POST /admin/sponsors`, `GET/PUT /admin/sponsors/{id}`, `POST …/{id}/deactivate|activate`,
`POST/DELETE …/{id}/logo` (multipart `file`). A sponsor is never deleted: deactivated, it keeps its past prizes and
gets no new ones. Values are US dollars; times ISO 8601 UTC. Errors are RFC 7807 problems: 400 invalid input,
404 unknown sponsor, 409 name taken, 403 not an admin.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.adapters import images
from app.api.deps import AdminUser, ReleasingRoute, SessionDep, SystemDep, client_ip
from app.api.pagination import Page, Paging, page_response
from app.api.uploads import read_upload
from app.system import System
from domain.shared.enums import SponsorStatus
from domain.sweepstakes import sponsors
from domain.sweepstakes.sponsors import SponsorFields

# their tag in the OpenAPI document
router = APIRouter(prefix="/admin", tags=["admin: drawings and sponsors"], route_class=ReleasingRoute)
SPONSOR_ERRORS: dict[int | str, dict[str, Any]] = {403: {"description": "Not an administrator"},
                                                   404: {"description": "Unknown sponsor"}}


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


def _sponsor_detail(system: System, sponsor_id: uuid.UUID) -> SponsorDetailOut:
    with system.read() as session:
        base = SponsorOut.of(sponsors.sponsor_summary(session, sponsor_id)).model_dump()
        prizes = [SponsorPrizeOut.model_validate(p) for p in sponsors.sponsor_prizes(session, sponsor_id)]
    return SponsorDetailOut(**base, prizes=prizes)


@router.get("/sponsors", response_model=Page[SponsorOut], summary="Sponsors by name, with prize totals (admin)")
def list_sponsors(
    _admin: AdminUser, session: SessionDep, params: Paging,
    status: SponsorStatus | None = Query(None), q: str | None = Query(None, max_length=128),
) -> dict[str, Any]:
    rows, total = sponsors.list_sponsors(session, status=status.value if status else None, q=q, page=params.page,
                                         limit=params.limit)
    return page_response([SponsorOut.of(row) for row in rows], total, params)


@router.post("/sponsors", response_model=SponsorDetailOut, status_code=201, summary="Create a sponsor (admin)",
             responses={400: {"description": "Invalid field"}, 409: {"description": "Name taken"},
                        **SPONSOR_ERRORS})
def create_sponsor(body: SponsorIn, request: Request, admin: AdminUser, system: SystemDep) -> SponsorDetailOut:
    with system.uow() as uow:
        sponsor = sponsors.create_sponsor(uow, body.fields(), admin_id=admin.id, ip_address=client_ip(request),
                                          clock=system.clock)
    return _sponsor_detail(system, sponsor.id)


@router.get("/sponsors/{sponsor_id}", response_model=SponsorDetailOut, summary="A sponsor with its prizes (admin)",
            responses=SPONSOR_ERRORS)
def get_sponsor(sponsor_id: uuid.UUID, _admin: AdminUser, system: SystemDep) -> SponsorDetailOut:
    return _sponsor_detail(system, sponsor_id)


@router.put("/sponsors/{sponsor_id}", response_model=SponsorDetailOut, summary="Edit a sponsor (admin)",
            responses={400: {"description": "Invalid field"}, 409: {"description": "Name taken"}, **SPONSOR_ERRORS})
def update_sponsor(sponsor_id: uuid.UUID, body: SponsorIn, request: Request, admin: AdminUser,
                   system: SystemDep) -> SponsorDetailOut:
    with system.uow() as uow:
        current = sponsors.get_sponsor(uow, sponsor_id)
        sponsors.update_sponsor(uow, sponsor_id, body.fields(logo_url=current.logo_url), admin_id=admin.id,
                                ip_address=client_ip(request), clock=system.clock)
    return _sponsor_detail(system, sponsor_id)


def _set_sponsor_status(system: System, sponsor_id: uuid.UUID, status: str, admin_id: uuid.UUID,
                        ip: str | None) -> SponsorDetailOut:
    with system.uow() as uow:
        sponsors.set_status(uow, sponsor_id, status, admin_id=admin_id, ip_address=ip, clock=system.clock)
    return _sponsor_detail(system, sponsor_id)


@router.post("/sponsors/{sponsor_id}/deactivate", response_model=SponsorDetailOut,
             summary="Deactivate a sponsor (kept with its past prizes; no new prizes)", responses=SPONSOR_ERRORS)
def deactivate_sponsor(sponsor_id: uuid.UUID, request: Request, admin: AdminUser,
                       system: SystemDep) -> SponsorDetailOut:
    return _set_sponsor_status(system, sponsor_id, SponsorStatus.inactive.value, admin.id, client_ip(request))


@router.post("/sponsors/{sponsor_id}/activate", response_model=SponsorDetailOut, summary="Reactivate a sponsor",
             responses=SPONSOR_ERRORS)
def activate_sponsor(sponsor_id: uuid.UUID, request: Request, admin: AdminUser,
                     system: SystemDep) -> SponsorDetailOut:
    return _set_sponsor_status(system, sponsor_id, SponsorStatus.active.value, admin.id, client_ip(request))


def _check_sponsor(system: System, sponsor_id: uuid.UUID) -> None:
    with system.read() as session:
        sponsors.get_sponsor(session, sponsor_id)


def _set_logo(system: System, sponsor_id: uuid.UUID, url: str | None, admin_id: uuid.UUID,
              ip: str | None) -> str | None:
    """Store `url` as the sponsor's logo (audited); returns the previous logo URL to delete (None when unchanged)."""
    with system.uow() as uow:
        current = sponsors.get_sponsor(uow, sponsor_id)
        previous = current.logo_url
        values = SponsorFields(**{**sponsors.as_dict(current), "logo_url": url})
        sponsors.update_sponsor(uow, sponsor_id, values, admin_id=admin_id, ip_address=ip, clock=system.clock)
    return previous if previous != url else None


@router.post("/sponsors/{sponsor_id}/logo", response_model=SponsorDetailOut,
             summary="Upload a sponsor logo (JPEG/PNG/WebP/GIF ≤ 5 MB; resized)",
             responses={400: {"description": "Not a picture, too large"}, **SPONSOR_ERRORS})
async def upload_sponsor_logo(sponsor_id: uuid.UUID, request: Request, admin: AdminUser, system: SystemDep,
                              file: UploadFile = File(...)) -> SponsorDetailOut:
    data = await read_upload(file)
    await run_in_threadpool(_check_sponsor, system, sponsor_id)  # refuse an unknown sponsor before storing a file
    stored = await run_in_threadpool(images.store_image, system.settings.media_dir, data, kind="sponsors")
    try:
        previous = await run_in_threadpool(_set_logo, system, sponsor_id, stored.url, admin.id, client_ip(request))
    except Exception:
        images.delete_image(system.settings.media_dir, stored.url)
        raise
    images.delete_image(system.settings.media_dir, previous)
    return await run_in_threadpool(_sponsor_detail, system, sponsor_id)


@router.delete("/sponsors/{sponsor_id}/logo", response_model=SponsorDetailOut, summary="Remove a sponsor logo",
               responses=SPONSOR_ERRORS)
def delete_sponsor_logo(sponsor_id: uuid.UUID, request: Request, admin: AdminUser,
                        system: SystemDep) -> SponsorDetailOut:
    images.delete_image(system.settings.media_dir, _set_logo(system, sponsor_id, None, admin.id, client_ip(request)))
    return _sponsor_detail(system, sponsor_id)
