"""Sponsors (issue 7 §2, PRODUCT.md §6–§7): the companies that donate prizes. Admins list, create, edit, deactivate
and reactivate them; each sponsor's page shows its prizes and their total value.

Rules:
- name required (1–128 characters), unique ignoring case; contact name ≤ 128; contact email a plausible address;
  phone ≤ 32; website an http(s) URL ≤ 500; logo a URL ≤ 500 (normally `/static/media/sponsors/…`,
  app/adapters/images.py); notes ≤ 2,000.
- Deactivating never deletes: past prizes keep their sponsor. An inactive sponsor cannot be given new prizes
  (`domain.sweepstakes.editor` checks `assignable`).
- Total value = Σ value_usd × quantity over the sponsor's prizes in drawings that are not cancelled (US dollars).
- Every change writes an audit entry (`sponsor.create`, `sponsor.update`, `sponsor.deactivate`, `sponsor.activate`;
  target `sponsor`) in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit
from domain.models import Drawing, Prize, Sponsor
from domain.shared.enums import DrawingStatus, SponsorStatus
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]

NAME_MAX: Final = 128
NOTES_MAX: Final = 2000
URL_MAX: Final = 500
PHONE_MAX: Final = 32
_EMAIL: Final = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
_URL: Final = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class SponsorFields:
    """What an admin edits. Strings are trimmed; empty optional strings are stored as None."""

    name: str
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    website_url: str | None = None
    logo_url: str | None = None
    notes: str | None = None


EDITABLE: Final = tuple(f.name for f in fields(SponsorFields))


@dataclass(frozen=True)
class SponsorRow:
    """A sponsor in the admin list with `prize_count` (prize rows) and `total_value_usd` (Σ value × quantity) over
    drawings that are not cancelled."""

    sponsor: Sponsor
    prize_count: int
    total_value_usd: float


@dataclass(frozen=True)
class SponsorPrize:
    """One of a sponsor's prizes with its drawing (times UTC, value in US dollars)."""

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


def _optional(value: str | None, limit: int, field: str, label: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(f"{label} must be at most {limit:,} characters", field=field)
    return text


def clean_fields(values: SponsorFields) -> SponsorFields:
    """Trimmed and validated copy of `values`. Raises InvalidInput naming the first bad field."""
    name = (values.name or "").strip()
    if not name:
        raise InvalidInput("A sponsor needs a name", field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"Name must be at most {NAME_MAX} characters", field="name")
    email = _optional(values.contact_email, 254, "contact_email", "Contact email")
    if email and not _EMAIL.match(email):
        raise InvalidInput("Enter a valid contact email, like name@example.com", field="contact_email")
    website = _optional(values.website_url, URL_MAX, "website_url", "Website")
    if website and not _URL.match(website):
        raise InvalidInput("The website must be an http:// or https:// address", field="website_url")
    logo = _optional(values.logo_url, URL_MAX, "logo_url", "Logo URL")
    if logo and not (logo.startswith("/static/media/") or _URL.match(logo)):
        raise InvalidInput("The logo must be an uploaded picture or an http(s) address", field="logo_url")
    return SponsorFields(
        name=name,
        contact_name=_optional(values.contact_name, NAME_MAX, "contact_name", "Contact name"),
        contact_email=email.lower() if email else None,
        contact_phone=_optional(values.contact_phone, PHONE_MAX, "contact_phone", "Phone"),
        website_url=website,
        logo_url=logo,
        notes=_optional(values.notes, NOTES_MAX, "notes", "Notes"),
    )


def _check_unique_name(session: Session, name: str, except_id: uuid.UUID | None = None) -> None:
    query = select(Sponsor.id).where(sa.func.lower(Sponsor.name) == name.lower())
    if except_id is not None:
        query = query.where(col(Sponsor.id) != except_id)
    if session.exec(query).first() is not None:
        raise Conflict(f"A sponsor named “{name}” already exists", field="name")


def get_sponsor(session: Session, sponsor_id: uuid.UUID) -> Sponsor:
    """The sponsor with `sponsor_id`. Raises NotFound."""
    sponsor = session.get(Sponsor, sponsor_id)
    if sponsor is None:
        raise NotFound("No such sponsor")
    return sponsor


def _locked(session: Session, sponsor_id: uuid.UUID) -> Sponsor:
    sponsor = session.get(Sponsor, sponsor_id, with_for_update=True, populate_existing=True)
    if sponsor is None:
        raise NotFound("No such sponsor")
    return sponsor


def _flush_unique_name(session: Session, name: str) -> None:
    """Flush; the unique `name_key` turns a same-name sponsor created concurrently (after our check) into Conflict.
    The caller's transaction is then unusable and is rolled back with the error."""
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        if "name_key" not in str(exc.orig).lower() and "uq_sponsors" not in str(exc.orig).lower():
            raise
        raise Conflict(f"A sponsor named “{name}” already exists", field="name") from exc


def create_sponsor(
    session: Session, values: SponsorFields, *, admin_id: uuid.UUID, ip_address: str | None = None,
    clock: Clock = utcnow,
) -> Sponsor:
    """Create an active sponsor (audit `sponsor.create`). Raises InvalidInput (bad field), Conflict (name taken)."""
    cleaned = clean_fields(values)
    _check_unique_name(session, cleaned.name)
    now = clock()
    sponsor = Sponsor(**asdict(cleaned), status=SponsorStatus.active.value, created_at=now, updated_at=now)
    session.add(sponsor)
    _flush_unique_name(session, cleaned.name)
    audit.record(session, actor_id=admin_id, action="sponsor.create", target_type="sponsor", target_id=sponsor.id,
                 after={**asdict(cleaned), "status": sponsor.status}, ip_address=ip_address, clock=clock)
    return sponsor


def update_sponsor(
    session: Session, sponsor_id: uuid.UUID, values: SponsorFields, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> Sponsor:
    """Replace the editable fields of a sponsor (active or not). Only changed fields go into the audit entry
    (`sponsor.update`, before/after); no change writes nothing. Raises NotFound, InvalidInput, Conflict."""
    cleaned = clean_fields(values)
    sponsor = _locked(session, sponsor_id)
    if cleaned.name.lower() != sponsor.name.lower():
        _check_unique_name(session, cleaned.name, except_id=sponsor.id)
    new = asdict(cleaned)
    changed = [name for name in EDITABLE if getattr(sponsor, name) != new[name]]
    if not changed:
        return sponsor
    before = {name: getattr(sponsor, name) for name in changed}
    for name in changed:
        setattr(sponsor, name, new[name])
    sponsor.updated_at = clock()
    session.add(sponsor)
    _flush_unique_name(session, cleaned.name)
    audit.record(session, actor_id=admin_id, action="sponsor.update", target_type="sponsor", target_id=sponsor.id,
                 before=before, after={name: new[name] for name in changed}, ip_address=ip_address, clock=clock)
    return sponsor


def set_status(
    session: Session, sponsor_id: uuid.UUID, status: str, *, admin_id: uuid.UUID, ip_address: str | None = None,
    clock: Clock = utcnow,
) -> Sponsor:
    """Deactivate (`inactive`) or reactivate (`active`) a sponsor; audit `sponsor.deactivate` / `sponsor.activate`.
    Setting the status it already has changes nothing. Raises InvalidInput (unknown status), NotFound."""
    if status not in {s.value for s in SponsorStatus}:
        raise InvalidInput("Status must be active or inactive", field="status")
    sponsor = _locked(session, sponsor_id)
    if sponsor.status == status:
        return sponsor
    before = {"status": sponsor.status}
    sponsor.status, sponsor.updated_at = status, clock()
    session.add(sponsor)
    session.flush()
    action = "sponsor.activate" if status == SponsorStatus.active.value else "sponsor.deactivate"
    audit.record(session, actor_id=admin_id, action=action, target_type="sponsor", target_id=sponsor.id,
                 before=before, after={"status": status}, ip_address=ip_address, clock=clock)
    return sponsor


def _value_expr() -> Any:
    return sa.func.coalesce(sa.func.sum(col(Prize.value_usd) * col(Prize.quantity)), 0.0)


def _totals_subquery() -> Any:
    return (
        select(col(Prize.sponsor_id).label("sponsor_id"), sa.func.count(col(Prize.id)).label("prizes"),
               _value_expr().label("total"))
        .join(Drawing, col(Drawing.id) == col(Prize.drawing_id))
        .where(col(Drawing.status) != DrawingStatus.cancelled.value, col(Prize.sponsor_id).is_not(None))
        .group_by(col(Prize.sponsor_id))
        .subquery()
    )


def list_sponsors(
    session: Session, *, status: str | None = None, q: str | None = None, page: int = 1, limit: int = 20,
) -> tuple[list[SponsorRow], int]:
    """One page of sponsors ordered by name (case-insensitive), with prize counts and total value (one aggregate
    query), and the total count. `status`: active | inactive | None (all); `q`: name contains, case-insensitive."""
    conditions: list[Any] = []
    if status:
        conditions.append(col(Sponsor.status) == status)
    if q and q.strip():
        conditions.append(sa.func.lower(Sponsor.name).contains(q.strip().lower(), autoescape=True))
    totals = _totals_subquery()
    total = session.exec(select(sa.func.count()).select_from(Sponsor).where(*conditions)).one()
    query = (
        select(Sponsor, sa.func.coalesce(totals.c.prizes, 0), sa.func.coalesce(totals.c.total, 0.0))
        .outerjoin(totals, totals.c.sponsor_id == col(Sponsor.id))
        .where(*conditions)
        .order_by(sa.func.lower(Sponsor.name), col(Sponsor.id))
        .offset((max(page, 1) - 1) * limit).limit(limit)
    )
    rows = [SponsorRow(sponsor, int(count), round(float(value), 2)) for sponsor, count, value in session.exec(query)]
    return rows, int(total)


def sponsor_summary(session: Session, sponsor_id: uuid.UUID) -> SponsorRow:
    """One sponsor with its prize count and total value. Raises NotFound."""
    sponsor = get_sponsor(session, sponsor_id)
    totals = _totals_subquery()
    row = session.exec(select(totals.c.prizes, totals.c.total).where(totals.c.sponsor_id == sponsor_id)).first()
    count, value = row if row is not None else (0, 0.0)
    return SponsorRow(sponsor, int(count or 0), round(float(value or 0.0), 2))


def sponsor_prizes(session: Session, sponsor_id: uuid.UUID) -> list[SponsorPrize]:
    """Every prize the sponsor gives (cancelled drawings included, marked by `drawing_status`), newest drawing first.
    Raises NotFound for an unknown sponsor."""
    get_sponsor(session, sponsor_id)
    query = (
        select(Prize, Drawing)
        .join(Drawing, col(Drawing.id) == col(Prize.drawing_id))
        .where(col(Prize.sponsor_id) == sponsor_id)
        .order_by(col(Drawing.drawing_time).desc(), col(Prize.prize_rank), col(Prize.id))
    )
    return [
        SponsorPrize(prize.id, prize.name, prize.prize_rank, float(prize.value_usd), prize.quantity,
                     prize.fulfillment_type, prize.image_url, drawing.id, drawing.name, drawing.drawing_type,
                     drawing.status, drawing.drawing_time)
        for prize, drawing in session.exec(query)
    ]


def sponsor_options(session: Session, *, include: uuid.UUID | None = None) -> dict[str, str]:
    """Active sponsors for a prize's sponsor picker, `{id: name}` ordered by name; `include` adds that sponsor even
    when inactive (the prize being edited already has it)."""
    condition: Any = col(Sponsor.status) == SponsorStatus.active.value
    if include is not None:
        condition = sa.or_(condition, col(Sponsor.id) == include)
    rows = session.exec(select(Sponsor.id, Sponsor.name).where(condition).order_by(sa.func.lower(Sponsor.name)))
    return {str(sponsor_id): name for sponsor_id, name in rows}


def assignable(session: Session, sponsor_id: uuid.UUID) -> Sponsor:
    """The sponsor, if a prize may be given to it now (it exists and is active). Raises NotFound, Conflict."""
    sponsor = get_sponsor(session, sponsor_id)
    if sponsor.status != SponsorStatus.active.value:
        raise Conflict(f"Sponsor “{sponsor.name}” is inactive; reactivate it before giving it new prizes",
                       field="sponsor_id")
    return sponsor


def as_dict(sponsor: Sponsor) -> Mapping[str, Any]:
    """The editable fields of a sponsor (for forms)."""
    return {name: getattr(sponsor, name) for name in EDITABLE}
