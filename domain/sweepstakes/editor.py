"""The admin side of drawings before they open (issue 7 §1, PRODUCT.md §6–§7): create a `draft`, edit it (type,
schedule, ticket cost, eligibility, official rules with a version), add / edit / remove prizes, check it is ready and
publish it (`domain.sweepstakes.drawings.publish`: draft → scheduled), delete a draft that was never published, and ask
for an "execute now" once sales have closed. The lifecycle after publishing (open, close, draw, cancel) is
`domain.sweepstakes.drawings` (S1); this module only prepares drawings and reads them for the admin pages.

Rules:
- Editable while `draft` or `scheduled`; from `open` on the drawing, its prizes and its rules are frozen (Conflict).
- Times are timezone-aware UTC. `open_time` defaults to "now" (the drawing opens as soon as it is published);
  `sales_close` defaults to `drawing_time − 5 min`; open_time < sales_close ≤ drawing_time, drawing_time in the future.
- Ticket cost: 1–100,000 points. Name 1–200 characters, description ≤ 4,000, rules ≤ 50,000.
- Eligibility (`validate_eligibility`): `{"tiers": [tier codes], "roles": ["user", "premium", …],
  "min_account_age_days": 0–3650}`; an empty list means "any". Unknown keys, tiers or roles are refused.
- Rules version: starts at 1; every later change of the rules text adds 1 (members see which version applied).
- Prizes: rank 1–50 (unique within a drawing: rank 1 is awarded first), name 1–200, value $0.01–$1,000,000 (cents),
  quantity 1–100, `physical` or `digital`, an optional sponsor that must be active when assigned.
- Publishing needs at least one prize, rules text, and sales that still close in the future.
- Every change is audited in the caller's transaction with target `drawing` (`drawing.create`, `drawing.update`,
  `drawing.delete`, `drawing.execute_requested`, `prize.create`, `prize.update`, `prize.delete`), so one query gives
  a drawing's whole audit record (`drawing_audit`), including the lifecycle steps S1 records.
Services flush, never commit.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit
from domain.accounts.tiers import BOARD_CODES
from domain.models import AuditLog, Drawing, Prize, Sponsor, User
from domain.shared.enums import DrawingStatus, DrawingType, FulfillmentType, Role
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, sponsors

Clock = Callable[[], datetime]

NAME_MAX: Final = 200
DESCRIPTION_MAX: Final = 4000
RULES_MAX: Final = 50_000
COST_MIN, COST_MAX = 1, 100_000
SALES_CLOSE_BEFORE: Final = timedelta(minutes=5)  # PRODUCT.md §6: sales close default drawing time − 5 min
MAX_ACCOUNT_AGE_DAYS: Final = 3650
RANK_MAX: Final = 50
QUANTITY_MAX: Final = 100
VALUE_MAX_USD: Final = 1_000_000
EDITABLE_STATUSES: Final = frozenset({DrawingStatus.draft.value, DrawingStatus.scheduled.value})
ELIGIBILITY_KEYS: Final = ("tiers", "roles", "min_account_age_days")
MEMBER_ROLES: Final = tuple(role.value for role in Role)


@dataclass(frozen=True)
class DrawingFields:
    """What an admin edits on a drawing (times timezone-aware UTC; cost in points)."""

    drawing_type: str
    name: str
    ticket_cost_points: int
    drawing_time: datetime
    open_time: datetime | None = None
    sales_close: datetime | None = None
    description: str | None = None
    eligibility: Mapping[str, Any] | None = None
    rules_text: str | None = None


DRAWING_FIELDS: Final = tuple(f.name for f in fields(DrawingFields))


@dataclass(frozen=True)
class PrizeFields:
    """What an admin edits on a prize (value in US dollars)."""

    name: str
    value_usd: float
    prize_rank: int = 1
    quantity: int = 1
    fulfillment_type: str = FulfillmentType.physical.value
    sponsor_id: uuid.UUID | None = None
    description: str | None = None
    image_url: str | None = None


PRIZE_FIELDS: Final = tuple(f.name for f in fields(PrizeFields))


@dataclass(frozen=True)
class PrizeRow:
    """A prize with its sponsor's name (None for FitTrack's own prizes)."""

    prize: Prize
    sponsor_name: str | None


@dataclass(frozen=True)
class DrawingRow:
    """A drawing in the admin list: prize units, total prize value (US dollars, Σ value × quantity)."""

    drawing: Drawing
    prize_units: int
    prize_value_usd: float


@dataclass(frozen=True)
class DrawingDetail:
    """A drawing with its prizes in rank order and their total value (US dollars)."""

    drawing: Drawing
    prizes: list[PrizeRow]
    prize_value_usd: float


# --------------------------------------------------------------------------------------------------- validation
def validate_eligibility(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The eligibility builder's JSON, checked and normalised: `{"tiers": sorted tier codes (`domain.accounts.tiers`,
    incl. OPEN), "roles": sorted roles, "min_account_age_days": int}`; empty lists mean "any". None → everyone.
    Raises InvalidInput (`field="eligibility"`) for unknown keys, tiers or roles, or an age outside 0–3650 days."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(ELIGIBILITY_KEYS))
    if unknown:
        raise InvalidInput(f"Unknown eligibility setting: {', '.join(unknown)}", field="eligibility")
    tiers = raw.get("tiers") or []
    roles = raw.get("roles") or []
    if not isinstance(tiers, list | tuple) or not all(isinstance(t, str) for t in tiers):
        raise InvalidInput("Eligible tiers must be a list of tier codes", field="eligibility")
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise InvalidInput("Eligible roles must be a list of roles", field="eligibility")
    bad_tiers = sorted({t.strip().upper() for t in tiers} - set(BOARD_CODES))
    if bad_tiers:
        raise InvalidInput(f"Unknown tier: {', '.join(bad_tiers)}", field="eligibility")
    bad_roles = sorted({r.strip().lower() for r in roles} - set(MEMBER_ROLES))
    if bad_roles:
        raise InvalidInput(f"Unknown role: {', '.join(bad_roles)}", field="eligibility")
    age = raw.get("min_account_age_days", 0)
    if age is None or age == "":
        age = 0
    if isinstance(age, bool) or not isinstance(age, int | float) or age != int(age):
        raise InvalidInput("Minimum account age must be a whole number of days", field="eligibility")
    if not 0 <= int(age) <= MAX_ACCOUNT_AGE_DAYS:
        raise InvalidInput(f"Minimum account age must be 0–{MAX_ACCOUNT_AGE_DAYS} days", field="eligibility")
    return {"tiers": sorted({t.strip().upper() for t in tiers}), "roles": sorted({r.strip().lower() for r in roles}),
            "min_account_age_days": int(age)}


def describe_eligibility(eligibility: Mapping[str, Any] | None) -> str:
    """One readable sentence for the eligibility JSON (shown in the editor's preview and the rules)."""
    rule = validate_eligibility(eligibility) if eligibility else validate_eligibility(None)
    parts = []
    if rule["tiers"]:
        parts.append(f"members of tier{'s' if len(rule['tiers']) > 1 else ''} {', '.join(rule['tiers'])}")
    if rule["roles"]:
        parts.append(f"with role {' or '.join(rule['roles'])}")
    if rule["min_account_age_days"]:
        days = rule["min_account_age_days"]
        parts.append(f"whose account is at least {days} day{'s' if days != 1 else ''} old")
    if not parts:
        return "Every eligible active member may enter."
    return "Open to " + (" ".join(parts) if rule["tiers"] else "members " + " ".join(parts)) + "."


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidInput("Times must include a time zone (UTC)", field=field)
    return value


def _text(value: str | None, limit: int, field: str, label: str, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{label} is required", field=field)
        return None
    if len(text) > limit:
        raise InvalidInput(f"{label} must be at most {limit:,} characters", field=field)
    return text


def clean_drawing(values: DrawingFields, now: datetime) -> DrawingFields:
    """Validated, normalised copy of `values` (defaults filled in). Raises InvalidInput naming the field."""
    if values.drawing_type not in {t.value for t in DrawingType}:
        raise InvalidInput("Type must be daily, weekly, monthly or annual", field="drawing_type")
    name = _text(values.name, NAME_MAX, "name", "Name", required=True)
    description = _text(values.description, DESCRIPTION_MAX, "description", "Description")
    rules = _text(values.rules_text, RULES_MAX, "rules_text", "Official rules")
    cost = values.ticket_cost_points
    if isinstance(cost, bool) or not isinstance(cost, int) or not COST_MIN <= cost <= COST_MAX:
        raise InvalidInput(f"Ticket cost must be {COST_MIN}–{COST_MAX:,} points", field="ticket_cost_points")
    drawing_time = _aware(values.drawing_time, "drawing_time")
    if drawing_time is None:
        raise InvalidInput("A drawing time is required", field="drawing_time")
    open_time = _aware(values.open_time, "open_time") or now
    sales_close = _aware(values.sales_close, "sales_close") or drawing_time - SALES_CLOSE_BEFORE
    if drawing_time <= now:
        raise InvalidInput("The drawing time must be in the future", field="drawing_time")
    if sales_close > drawing_time:
        raise InvalidInput("Sales must close at or before the drawing time", field="sales_close")
    if sales_close <= now:
        raise InvalidInput("Sales must close in the future", field="sales_close")
    if open_time >= sales_close:
        raise InvalidInput("The drawing must open before sales close", field="open_time")
    return DrawingFields(drawing_type=values.drawing_type, name=name or "", ticket_cost_points=cost,
                         drawing_time=drawing_time, open_time=open_time, sales_close=sales_close,
                         description=description, eligibility=validate_eligibility(values.eligibility),
                         rules_text=rules)


def clean_prize(values: PrizeFields) -> PrizeFields:
    """Validated, normalised copy of a prize's fields (value rounded to cents). Raises InvalidInput."""
    name = _text(values.name, NAME_MAX, "name", "Prize name", required=True)
    description = _text(values.description, 2000, "description", "Prize description")
    rank, quantity = values.prize_rank, values.quantity
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= RANK_MAX:
        raise InvalidInput(f"Rank must be 1–{RANK_MAX}", field="prize_rank")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= QUANTITY_MAX:
        raise InvalidInput(f"Quantity must be 1–{QUANTITY_MAX}", field="quantity")
    try:
        value = round(float(values.value_usd), 2)
    except (TypeError, ValueError):
        raise InvalidInput("Value must be an amount in US dollars", field="value_usd") from None
    if not math.isfinite(value) or not 0.01 <= value <= VALUE_MAX_USD:
        raise InvalidInput(f"Value must be $0.01–${VALUE_MAX_USD:,}", field="value_usd")
    if values.fulfillment_type not in {t.value for t in FulfillmentType}:
        raise InvalidInput("Delivery must be physical or digital", field="fulfillment_type")
    image = _text(values.image_url, 500, "image_url", "Image URL")
    return replace(values, name=name or "", description=description, value_usd=value, image_url=image)


# --------------------------------------------------------------------------------------------------------- reads
def _editable(session: Session, drawing_id: uuid.UUID) -> Drawing:
    drawing = drawings.get_drawing(session, drawing_id, lock=True)
    if drawing.status not in EDITABLE_STATUSES:
        raise Conflict(f"This drawing is {drawing.status}: its details, prizes and rules are frozen once it opens")
    return drawing


def _prize_totals() -> Any:
    return (select(col(Prize.drawing_id).label("drawing_id"),
                   sa.func.coalesce(sa.func.sum(col(Prize.quantity)), 0).label("units"),
                   sa.func.coalesce(sa.func.sum(col(Prize.value_usd) * col(Prize.quantity)), 0.0).label("value"))
            .group_by(col(Prize.drawing_id)).subquery())


def list_for_admin(
    session: Session, *, status: str | None = None, drawing_type: str | None = None, q: str | None = None,
    page: int = 1, limit: int = 20,
) -> tuple[list[DrawingRow], int]:
    """One page of drawings for the admin list, newest drawing time first, with prize units and total value (one
    aggregate query), and the total count. Filters: exact `status` / `drawing_type`, `q` = name contains."""
    conditions: list[Any] = []
    if status:
        conditions.append(col(Drawing.status) == status)
    if drawing_type:
        conditions.append(col(Drawing.drawing_type) == drawing_type)
    if q and q.strip():
        conditions.append(sa.func.lower(Drawing.name).contains(q.strip().lower(), autoescape=True))
    total = session.exec(select(sa.func.count()).select_from(Drawing).where(*conditions)).one()
    totals = _prize_totals()
    query = (select(Drawing, sa.func.coalesce(totals.c.units, 0), sa.func.coalesce(totals.c.value, 0.0))
             .outerjoin(totals, totals.c.drawing_id == col(Drawing.id)).where(*conditions)
             .order_by(col(Drawing.drawing_time).desc(), col(Drawing.id))
             .offset((max(page, 1) - 1) * limit).limit(limit))
    rows = [DrawingRow(drawing, int(units), round(float(value), 2)) for drawing, units, value in session.exec(query)]
    return rows, int(total)


def drawing_prizes(session: Session, drawing_id: uuid.UUID) -> list[PrizeRow]:
    """The drawing's prizes in award order (rank, then creation), each with its sponsor's name."""
    query = (select(Prize, Sponsor.name).outerjoin(Sponsor, col(Sponsor.id) == col(Prize.sponsor_id))
             .where(col(Prize.drawing_id) == drawing_id)
             .order_by(col(Prize.prize_rank), col(Prize.created_at), col(Prize.id)))
    return [PrizeRow(prize, name) for prize, name in session.exec(query)]


def drawing_detail(session: Session, drawing_id: uuid.UUID) -> DrawingDetail:
    """The drawing, its prizes and their total value (US dollars). Raises NotFound."""
    drawing = drawings.get_drawing(session, drawing_id)
    prizes = drawing_prizes(session, drawing_id)
    value = round(sum(row.prize.value_usd * row.prize.quantity for row in prizes), 2)
    return DrawingDetail(drawing, prizes, value)


def drawing_audit(session: Session, drawing_id: uuid.UUID, *, limit: int = 200) -> list[AuditLog]:
    """The drawing's audit record, newest first: admin edits, prize changes, publish/cancel and the lifecycle steps
    (`drawing.opened`, `drawing.closed`, `drawing.executed`, …) — every entry whose target is this drawing."""
    query = (select(AuditLog).where(col(AuditLog.target_type) == "drawing", col(AuditLog.target_id) == str(drawing_id))
             .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id)).limit(limit))
    return list(session.exec(query).all())


def drawing_audit_with_actors(session: Session, drawing_id: uuid.UUID, *, limit: int = 200
                              ) -> list[tuple[AuditLog, str | None]]:
    """`drawing_audit` with each entry's actor email (None for system steps such as `drawing.opened`)."""
    entries = drawing_audit(session, drawing_id, limit=limit)
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    emails = dict(session.exec(select(User.id, User.email).where(col(User.id).in_(actor_ids))).all()) \
        if actor_ids else {}
    return [(entry, emails.get(entry.actor_id) if entry.actor_id else None) for entry in entries]


def execution_refusal(drawing: Drawing, now: datetime) -> str | None:
    """Why "execute now" is not allowed for `drawing` at `now` (None = allowed: sales have closed and it has not been
    drawn). PRODUCT.md §6 / issue 7 §1: only drawings whose sales have closed."""
    status = drawing.status
    if status == DrawingStatus.completed.value:
        return "This drawing has already been drawn."
    if status == DrawingStatus.cancelled.value:
        return "This drawing was cancelled."
    if status in (DrawingStatus.draft.value, DrawingStatus.scheduled.value):
        return "Ticket sales have not even opened yet."
    if status == DrawingStatus.open.value and now < drawing.sales_close:
        return f"Ticket sales are still open until {drawing.sales_close:%b %-d, %Y %H:%M} UTC."
    return None


# -------------------------------------------------------------------------------------------------------- writes
def _drawing_state(drawing: Drawing) -> dict[str, Any]:
    return {name: getattr(drawing, name) for name in DRAWING_FIELDS}


def create_draft(
    session: Session, values: DrawingFields, *, admin_id: uuid.UUID, ip_address: str | None = None,
    clock: Clock = utcnow,
) -> Drawing:
    """Create a drawing in `draft` (rules version 1); audit `drawing.create`. Raises InvalidInput."""
    now = clock()
    cleaned = clean_drawing(values, now)
    drawing = Drawing(**asdict(cleaned), status=DrawingStatus.draft.value, rules_version=1, created_by=admin_id,
                      created_at=now, updated_at=now)
    drawing.eligibility = dict(cleaned.eligibility or {})
    session.add(drawing)
    session.flush()
    audit.record(session, actor_id=admin_id, action="drawing.create", target_type="drawing", target_id=drawing.id,
                 after={**_drawing_state(drawing), "status": drawing.status}, ip_address=ip_address, clock=clock)
    return drawing


def update_drawing(
    session: Session, drawing_id: uuid.UUID, values: DrawingFields, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> Drawing:
    """Replace the editable fields of a `draft` or `scheduled` drawing; a changed rules text adds 1 to the rules
    version. Audit `drawing.update` with only the changed fields (nothing changed → no entry).
    Raises NotFound, Conflict (frozen: open or later), InvalidInput."""
    now = clock()
    drawing = _editable(session, drawing_id)
    cleaned = asdict(clean_drawing(values, now))
    changed = [name for name in DRAWING_FIELDS if getattr(drawing, name) != cleaned[name]]
    if not changed:
        return drawing
    before = {name: getattr(drawing, name) for name in changed}
    after = {name: cleaned[name] for name in changed}
    for name in changed:
        setattr(drawing, name, dict(cleaned[name]) if name == "eligibility" else cleaned[name])
    if "rules_text" in changed:
        before["rules_version"] = drawing.rules_version
        drawing.rules_version += 1
        after["rules_version"] = drawing.rules_version
    drawing.updated_at = now
    session.add(drawing)
    session.flush()
    audit.record(session, actor_id=admin_id, action="drawing.update", target_type="drawing", target_id=drawing.id,
                 before=before, after=after, ip_address=ip_address, clock=clock)
    return drawing


def delete_draft(
    session: Session, drawing_id: uuid.UUID, *, admin_id: uuid.UUID, ip_address: str | None = None,
    clock: Clock = utcnow,
) -> None:
    """Delete a drawing that was never published (status `draft`) with its prizes; audit `drawing.delete` keeps
    what it was. Published drawings are cancelled instead (`domain.sweepstakes.drawings.cancel`). Raises NotFound,
    Conflict."""
    drawing = drawings.get_drawing(session, drawing_id, lock=True)
    if drawing.status != DrawingStatus.draft.value:
        raise Conflict("Only a draft can be deleted; cancel a published drawing instead")
    prizes = drawing_prizes(session, drawing_id)
    before = {**_drawing_state(drawing), "status": drawing.status,
              "prizes": [{"name": row.prize.name, "rank": row.prize.prize_rank, "value_usd": row.prize.value_usd,
                          "quantity": row.prize.quantity} for row in prizes]}
    for row in prizes:
        session.delete(row.prize)
    session.flush()
    session.delete(drawing)
    session.flush()
    audit.record(session, actor_id=admin_id, action="drawing.delete", target_type="drawing", target_id=drawing_id,
                 before=before, ip_address=ip_address, clock=clock)


def request_execution(
    session: Session, drawing_id: uuid.UUID, *, admin_id: uuid.UUID, ip_address: str | None = None,
    clock: Clock = utcnow,
) -> Drawing:
    """Record an admin's "execute now" (audit `drawing.execute_requested`) after checking `execution_refusal`; the
    caller enqueues the "execute_drawing" task after commit (the same idempotent task the schedule runs).
    Raises NotFound, Conflict (sales not closed, already drawn, cancelled)."""
    drawing = drawings.get_drawing(session, drawing_id, lock=True)
    refusal = execution_refusal(drawing, clock())
    if refusal:
        raise Conflict(refusal)
    audit.record(session, actor_id=admin_id, action="drawing.execute_requested", target_type="drawing",
                 target_id=drawing.id, before={"status": drawing.status}, ip_address=ip_address, clock=clock)
    return drawing


def _prize_state(prize: Prize) -> dict[str, Any]:
    return {"prize_id": prize.id, **{name: getattr(prize, name) for name in PRIZE_FIELDS}}


def _check_rank_free(session: Session, drawing_id: uuid.UUID, rank: int, except_id: uuid.UUID | None = None) -> None:
    query = select(Prize.id).where(col(Prize.drawing_id) == drawing_id, col(Prize.prize_rank) == rank)
    if except_id is not None:
        query = query.where(col(Prize.id) != except_id)
    if session.exec(query).first() is not None:
        raise Conflict(f"Another prize already has rank {rank}; each rank is awarded once, in order",
                       field="prize_rank")


def add_prize(
    session: Session, drawing_id: uuid.UUID, values: PrizeFields, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> Prize:
    """Add a prize to a `draft`/`scheduled` drawing; audit `prize.create` (target: the drawing).
    Raises NotFound (drawing or sponsor), Conflict (frozen drawing, rank taken, inactive sponsor), InvalidInput."""
    cleaned = clean_prize(values)
    _editable(session, drawing_id)
    if cleaned.sponsor_id is not None:
        sponsors.assignable(session, cleaned.sponsor_id)
    _check_rank_free(session, drawing_id, cleaned.prize_rank)
    prize = Prize(drawing_id=drawing_id, **asdict(cleaned), created_at=clock())
    session.add(prize)
    session.flush()
    audit.record(session, actor_id=admin_id, action="prize.create", target_type="drawing", target_id=drawing_id,
                 after=_prize_state(prize), ip_address=ip_address, clock=clock)
    return prize


def _prize_of(session: Session, drawing_id: uuid.UUID, prize_id: uuid.UUID) -> Prize:
    prize = session.get(Prize, prize_id, with_for_update=True, populate_existing=True)
    if prize is None or prize.drawing_id != drawing_id:
        raise NotFound("No such prize in this drawing")
    return prize


def update_prize(
    session: Session, drawing_id: uuid.UUID, prize_id: uuid.UUID, values: PrizeFields, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> Prize:
    """Replace a prize's fields (drawing `draft`/`scheduled`); audit `prize.update` with the changed fields only.
    Keeping an inactive sponsor is allowed; switching to one is not. Raises NotFound, Conflict, InvalidInput."""
    cleaned = asdict(clean_prize(values))
    _editable(session, drawing_id)
    prize = _prize_of(session, drawing_id, prize_id)
    if cleaned["sponsor_id"] is not None and cleaned["sponsor_id"] != prize.sponsor_id:
        sponsors.assignable(session, cleaned["sponsor_id"])
    if cleaned["prize_rank"] != prize.prize_rank:
        _check_rank_free(session, drawing_id, cleaned["prize_rank"], except_id=prize.id)
    changed = [name for name in PRIZE_FIELDS if getattr(prize, name) != cleaned[name]]
    if not changed:
        return prize
    before = {"prize_id": prize.id, **{name: getattr(prize, name) for name in changed}}
    for name in changed:
        setattr(prize, name, cleaned[name])
    session.add(prize)
    session.flush()
    audit.record(session, actor_id=admin_id, action="prize.update", target_type="drawing", target_id=drawing_id,
                 before=before, after={"prize_id": prize.id, **{name: cleaned[name] for name in changed}},
                 ip_address=ip_address, clock=clock)
    return prize


def set_prize_image(
    session: Session, drawing_id: uuid.UUID, prize_id: uuid.UUID, image_url: str | None, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> tuple[Prize, str | None]:
    """Set (or clear) a prize's picture; returns the prize and the previous URL (the caller may delete that file).
    Audit `prize.update`. Raises NotFound, Conflict (frozen drawing)."""
    _editable(session, drawing_id)
    prize = _prize_of(session, drawing_id, prize_id)
    previous = prize.image_url
    if previous == image_url:
        return prize, None
    prize.image_url = image_url
    session.add(prize)
    session.flush()
    audit.record(session, actor_id=admin_id, action="prize.update", target_type="drawing", target_id=drawing_id,
                 before={"prize_id": prize.id, "image_url": previous},
                 after={"prize_id": prize.id, "image_url": image_url}, ip_address=ip_address, clock=clock)
    return prize, previous


def remove_prize(
    session: Session, drawing_id: uuid.UUID, prize_id: uuid.UUID, *, admin_id: uuid.UUID,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> Prize:
    """Remove a prize from a `draft`/`scheduled` drawing (no tickets or wins can refer to it yet); audit
    `prize.delete` keeps what it was. Returns the removed prize. Raises NotFound, Conflict (frozen drawing)."""
    _editable(session, drawing_id)
    prize = _prize_of(session, drawing_id, prize_id)
    before = _prize_state(prize)
    session.delete(prize)
    session.flush()
    audit.record(session, actor_id=admin_id, action="prize.delete", target_type="drawing", target_id=drawing_id,
                 before=before, ip_address=ip_address, clock=clock)
    return prize
