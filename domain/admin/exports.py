"""Data exports for admins (PRODUCT.md §7 "Lists are … exportable as CSV"; issue 7 §10): users, the points ledger,
tickets, winners (the state filing format: name, address, prize, value) and the audit log.

Each export is a header plus a generator of row chunks. Rows are read with keyset pagination (`WHERE key > last
key ORDER BY key LIMIT n`) so a chunk is one bounded query and nothing ever holds a whole table in memory, on every
database (the comparisons are spelled out column by column, which Oracle also accepts). Cells are plain values
ready for `csv.writer`: text, whole numbers, floats, "" for missing; times ISO 8601 UTC; JSON as compact text.
The CSV encoding and HTTP streaming live in `app.web.downloads`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session, col

from domain.audit import AuditFilter
from domain.models import (
    AuditLog,
    Drawing,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    Ticket,
    User,
)
from domain.shared.enums import FulfillmentStatus
from domain.shared.errors import InvalidInput

CHUNK_ROWS: Final = 500
Cell = str | int | float
Chunk = list[tuple[Cell, ...]]

HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "users": ("id", "email", "display_name", "role", "status", "state", "tier", "fitness_level", "point_balance",
              "points_earned", "active_days", "email_verified_at", "created_at", "last_login_at"),
    "ledger": ("id", "created_at", "user_id", "email", "entry_seq", "type", "amount", "balance_before",
               "balance_after", "reference_type", "reference_id", "description", "platform_day"),
    "tickets": ("drawing_id", "drawing_name", "drawing_type", "drawing_status", "ticket_number", "user_id", "email",
                "display_name", "free_entry", "winner", "prize", "created_at"),
    # State filing format (NY/FL winners lists): who won what, where to, worth how much.
    "winners": ("winner_name", "address_line1", "address_line2", "city", "state", "postal_code", "country",
                "prize", "prize_value_usd", "prize_rank", "drawing_name", "drawing_date", "ticket_number", "email",
                "fulfillment_status", "tax_form_needed", "fulfillment_id"),
    "audit": ("id", "created_at", "actor_id", "actor_email", "action", "target_type", "target_id", "before",
              "after", "ip_address"),
}
KINDS: Final = tuple(HEADERS)

# Keys a confirmed shipping address may use (the claim form's names first), per winners column.
ADDRESS_KEYS: Final = {
    "name": ("full_name", "name", "recipient"),
    "line1": ("line1", "address_line1", "address1", "street"),
    "line2": ("line2", "address_line2", "address2"),
    "city": ("city",),
    "state": ("state", "state_code", "region"),
    "postal_code": ("postal_code", "zip", "zip_code"),
    "country": ("country",),
}


def cell(value: Any) -> Cell:
    """One CSV cell: None → "", bool → "true"/"false", datetime/date → ISO 8601, UUID → str, dict/list → compact
    JSON (keys sorted), numbers unchanged, anything else → str."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)


def _select(*columns: Any) -> Any:
    """`sa.select` over many columns (typed loosely: the typed overloads stop at a few columns)."""
    return sa.select(*columns)


def _after(keys: Sequence[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`(k1, k2, …) > (v1, v2, …)` spelled out so an index on the keys serves it as a range scan:
    k1 >= v1 AND (k1 > v1 OR (k2 >= v2 AND (k2 > v2 OR …)))."""
    if len(keys) == 1:
        return keys[0] > values[0]
    return sa.and_(keys[0] >= values[0], sa.or_(keys[0] > values[0], _after(keys[1:], values[1:])))


def _keyset(session: Session, query: Any, keys: Sequence[Any], chunk_rows: int) -> Iterator[Sequence[Any]]:
    """Chunks of `query` ordered by `keys` (unique together); each row starts with the key values."""
    last: tuple[Any, ...] | None = None
    while True:
        page = query if last is None else query.where(_after(keys, last))
        rows = session.connection().execute(page.order_by(*keys).limit(chunk_rows)).all()  # Core: no ORM rows
        if not rows:
            return
        yield rows
        if len(rows) < chunk_rows:
            return
        last = tuple(rows[-1][: len(keys)])


def _chunks(rows: Iterator[Sequence[Any]], to_row: Callable[[Any], Sequence[Any]]) -> Iterator[Chunk]:
    for chunk in rows:
        yield [tuple(cell(value) for value in to_row(row)) for row in chunk]


def user_rows(session: Session, *, q: str | None = None, role: str | None = None, status: str | None = None,
              chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Every account (optionally only those whose email or display name contains `q`, case-insensitive, as the
    admin users list searches; one `role` / `status`), by email (the unique email index serves the keyset);
    columns `HEADERS["users"]`."""
    query = (
        _select(User.email, User.id, Profile.display_name, User.role, User.status, Profile.state_code,
                Profile.tier_code, Profile.fitness_level, User.point_balance, User.points_earned, User.active_days,
                User.email_verified_at, User.created_at, User.last_login_at)
        .select_from(User).join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
    )
    if q and q.strip():
        needle = q.strip().lower()
        query = query.where(sa.or_(sa.func.lower(User.email).contains(needle, autoescape=True),
                                   sa.func.lower(Profile.display_name).contains(needle, autoescape=True)))
    if role:
        query = query.where(col(User.role) == role)
    if status:
        query = query.where(col(User.status) == status)
    yield from _chunks(_keyset(session, query, (col(User.email),), chunk_rows),
                       lambda r: (r[1], r[0], r[2], r[3], r[4], r[5], r[6] or "OPEN", *r[7:]))


def ledger_rows(session: Session, *, user_id: uuid.UUID | None = None, since: datetime | None = None,
                until: datetime | None = None, chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Every ledger entry (optionally one member's, or `since` ≤ created_at < `until`, UTC), member by member in
    entry order (each member's chain of balances reads top to bottom); columns `HEADERS["ledger"]`. Amounts are
    signed whole points."""
    query = (
        _select(PointTransaction.user_id, PointTransaction.entry_seq, PointTransaction.id, PointTransaction.created_at,
               User.email, PointTransaction.transaction_type, PointTransaction.amount,
               PointTransaction.balance_before, PointTransaction.balance_after, PointTransaction.reference_type,
               PointTransaction.reference_id, PointTransaction.description, PointTransaction.platform_day)
        .select_from(PointTransaction).join(User, col(User.id) == col(PointTransaction.user_id))
    )
    if user_id is not None:
        query = query.where(col(PointTransaction.user_id) == user_id)
    if since is not None:
        query = query.where(col(PointTransaction.created_at) >= since)
    if until is not None:
        query = query.where(col(PointTransaction.created_at) < until)
    keys = (col(PointTransaction.user_id), col(PointTransaction.entry_seq))  # the unique (user_id, entry_seq) index
    yield from _chunks(_keyset(session, query, keys, chunk_rows),
                       lambda r: (r[2], r[3], r[0], r[4], r[1], *r[5:]))


def ticket_rows(session: Session, *, drawing_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Every ticket (optionally one drawing's and/or one member's), by drawing then ticket number; columns
    `HEADERS["tickets"]`. Free alternate entries are tickets too (`free_entry` = true)."""
    query = (
        _select(Ticket.drawing_id, Ticket.ticket_number, Drawing.name, Drawing.drawing_type,
               Drawing.status, Ticket.user_id, User.email, Profile.display_name, Ticket.is_free_entry,
               Ticket.is_winner, Prize.name, Ticket.created_at)
        .select_from(Ticket)
        .join(Drawing, col(Drawing.id) == col(Ticket.drawing_id))
        .join(User, col(User.id) == col(Ticket.user_id))
        .join(Profile, col(Profile.user_id) == col(Ticket.user_id), isouter=True)
        .join(Prize, col(Prize.id) == col(Ticket.prize_id), isouter=True)
    )
    if drawing_id is not None:
        query = query.where(col(Ticket.drawing_id) == drawing_id)
    if user_id is not None:
        query = query.where(col(Ticket.user_id) == user_id)
    keys = (col(Ticket.drawing_id), col(Ticket.ticket_number))
    yield from _chunks(_keyset(session, query, keys, chunk_rows),
                       lambda r: (r[0], r[2], r[3], r[4], r[1], r[5], r[6], r[7], r[8], r[9], r[10], r[11]))


def _address_part(address: dict[str, Any] | None, part: str) -> Any:
    if not address:
        return None
    for key in ADDRESS_KEYS[part]:
        value = address.get(key)
        if value not in (None, ""):
            return value
    return None


def winner_rows(session: Session, *, drawing_id: uuid.UUID | None = None, include_forfeited: bool = False,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """One row per prize won (a fulfillment), oldest first; columns `HEADERS["winners"]` — the state filing format:
    winner's name and address (as confirmed for shipping; the display name when no address was given yet), prize,
    value in USD. Forfeited wins are left out unless `include_forfeited` (their alternates appear instead)."""
    query = (
        _select(PrizeFulfillment.created_at, PrizeFulfillment.id, PrizeFulfillment.shipping_address,
               Profile.display_name, Prize.name, Prize.value_usd, Prize.prize_rank, Drawing.name,
               Drawing.drawing_time, Ticket.ticket_number, User.email, PrizeFulfillment.status,
               PrizeFulfillment.tax_form_needed)
        .select_from(PrizeFulfillment)
        .join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id))
        .join(Drawing, col(Drawing.id) == col(Prize.drawing_id))
        .join(Ticket, col(Ticket.id) == col(PrizeFulfillment.ticket_id))
        .join(User, col(User.id) == col(PrizeFulfillment.user_id))
        .join(Profile, col(Profile.user_id) == col(PrizeFulfillment.user_id), isouter=True)
    )
    if drawing_id is not None:
        query = query.where(col(Prize.drawing_id) == drawing_id)
    if not include_forfeited:
        query = query.where(col(PrizeFulfillment.status) != FulfillmentStatus.forfeited.value)
    keys = (col(PrizeFulfillment.created_at), col(PrizeFulfillment.id))

    def to_row(r: Any) -> tuple[Any, ...]:
        address = r[2] if isinstance(r[2], dict) else None
        return (_address_part(address, "name") or r[3], _address_part(address, "line1"),
                _address_part(address, "line2"), _address_part(address, "city"), _address_part(address, "state"),
                _address_part(address, "postal_code"), _address_part(address, "country"),
                r[4], round(float(r[5]), 2), r[6], r[7], r[8].date() if r[8] else None, r[9], r[10], r[11], r[12],
                r[1])

    yield from _chunks(_keyset(session, query, keys, chunk_rows), to_row)


def audit_rows(session: Session, audit_filter: AuditFilter | None = None, *,
               chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Audit entries matching `audit_filter` (see `domain.audit.AuditFilter`), oldest first; columns
    `HEADERS["audit"]` with before/after as JSON text. Raises InvalidInput for a bad filter (before any row)."""
    conditions = (audit_filter or AuditFilter()).conditions()
    query = (
        _select(AuditLog.created_at, AuditLog.id, AuditLog.actor_id, User.email, AuditLog.action,
               AuditLog.target_type, AuditLog.target_id, AuditLog.before_state, AuditLog.after_state,
               AuditLog.ip_address)
        .select_from(AuditLog).join(User, col(User.id) == col(AuditLog.actor_id), isouter=True)
        .where(*conditions)
    )
    keys = (col(AuditLog.created_at), col(AuditLog.id))
    yield from _chunks(_keyset(session, query, keys, chunk_rows), lambda r: (r[1], r[0], *r[2:]))


def rows(session: Session, kind: str, filters: dict[str, Any] | None = None, *,
         chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The chunks of export `kind` (one of `KINDS`) with its keyword `filters` (see each `*_rows` function; the
    audit export takes `audit_filter`). Raises InvalidInput for an unknown kind or filter."""
    producers: dict[str, Callable[..., Iterator[Chunk]]] = {
        "users": user_rows, "ledger": ledger_rows, "tickets": ticket_rows, "winners": winner_rows,
        "audit": audit_rows,
    }
    if kind not in producers:
        raise InvalidInput(f"Export must be one of: {', '.join(KINDS)}", field="kind")
    filters = dict(filters or {})
    if kind == "audit":
        audit_filter = filters.pop("audit_filter", None)
        if filters:
            raise InvalidInput(f"Unknown filter for the audit export: {', '.join(filters)}")
        audit_filter = audit_filter or AuditFilter()
        audit_filter.conditions()  # validate now, before the caller starts a response
        return audit_rows(session, audit_filter, chunk_rows=chunk_rows)
    try:
        return producers[kind](session, chunk_rows=chunk_rows, **filters)
    except TypeError as exc:  # an unknown keyword: the generator was never started
        raise InvalidInput(f"Unknown filter for the {kind} export") from exc
