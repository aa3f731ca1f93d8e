"""The drawing lifecycle and the draw engine (PRODUCT.md §6; issue 6 §1, §4, §5).

Status flow (`TRANSITIONS`): `draft → scheduled → open → closed → completed`, and `cancelled` from any state before
`completed`. Who moves a drawing:
- an admin publishes a draft (`publish`, audited) or cancels (`cancel`, audited; bought tickets are refunded by
  ledger `reverse` entries with idempotent keys);
- the per-minute task (`tasks.drawings`) asks `due_work(now)` and runs `open_drawing` (a fresh secret server seed from
  `secrets`, its SHA-256 `seed_commitment` published, rules frozen), `close_drawing` (the ticket list frozen and its
  SHA-256 `ticket_list_hash` published) and `execute_drawing` (winners by `domain.sweepstakes.recipe`, the one
  implementation of the recipe; the server seed revealed; fulfillments and notifications for the winners). No tickets →
  `cancelled`.

Every step writes an append-only audit entry (`drawing.published|opened|closed|executed|alternate|cancelled`; the
system steps with `actor_id=None`).

Crash and race safety: every step first locks the drawing row (`SELECT … FOR UPDATE` on PostgreSQL/Oracle; the
caller's `BEGIN IMMEDIATE` write transaction on SQLite) and re-reads its status, so two runners at once serialise and
the second finds the step done. A step is one transaction: a crash leaves the previous state, and re-running gives
the same result because the server seed is stored at open and the draw is a pure function of (seed, drawing id,
frozen list). A completed drawing is never drawn again: `execute_drawing` returns the stored winners (`replayed`).

Ticket purchases and free entries (`domain.sweepstakes.tickets`) take the same drawing lock, so none can slip in after
close. Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from domain import audit
from domain.competition.leaderboards import shown_name
from domain.models import Drawing, Prize, PrizeFulfillment, Profile, Ticket, TicketPurchase
from domain.points import ledger
from domain.shared.enums import DrawingStatus, FulfillmentStatus, TransactionType
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.events import DrawingStatusChanged, WinAwarded
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import recipe

Clock = Callable[[], datetime]
S = DrawingStatus

TRANSITIONS: Final[dict[DrawingStatus, set[DrawingStatus]]] = {
    S.draft: {S.scheduled, S.cancelled},
    S.scheduled: {S.open, S.cancelled},
    S.open: {S.closed, S.cancelled},
    S.closed: {S.completed, S.cancelled},
    S.completed: set(),
    S.cancelled: set(),
}
FLOW: Final = (S.draft, S.scheduled, S.open, S.closed, S.completed)
ACTIVE_STATUSES: Final = (S.scheduled.value, S.open.value, S.closed.value)
NO_TICKETS_REASON: Final = "No tickets at sales close (PRODUCT.md §6)."
REASON_MAX_CHARS: Final = 500
MEMBER_NAME_FALLBACK: Final = "Member"


@dataclass(frozen=True)
class Win:
    """One awarded prize unit: the winning ticket, its member and the prize (rank)."""

    ticket_id: uuid.UUID
    ticket_number: int
    user_id: uuid.UUID
    prize_id: uuid.UUID
    prize_rank: int


@dataclass(frozen=True)
class DrawOutcome:
    """The result of `execute_drawing`: the drawing (completed or cancelled), winners in award order (rank order, a
    prize of quantity q as q wins in a row) and `replayed=True` when the draw had already run (nothing changed)."""

    drawing: Drawing
    winners: list[Win]
    replayed: bool


# --- reading -----------------------------------------------------------------------------------------------------


def get_drawing(session: Session, drawing_id: uuid.UUID, *, lock: bool = False) -> Drawing:
    """The drawing with id `drawing_id` (row-locked and refreshed with `lock=True`). Raises NotFound — the one
    lookup every sweepstakes service and view uses."""
    drawing = (session.get(Drawing, drawing_id, with_for_update=True, populate_existing=True) if lock
               else session.get(Drawing, drawing_id))
    if drawing is None:
        raise NotFound(f"drawing {drawing_id} does not exist")
    return drawing


def can_cancel(drawing: Drawing) -> bool:
    """True while an admin may still cancel the drawing (PRODUCT.md §6: any status before `completed`, and not
    already cancelled) — the rule `cancel` enforces, for pages and the API to ask instead of re-deriving it."""
    return S.cancelled in TRANSITIONS[DrawingStatus(drawing.status)]


def list_drawings(
    session: Session, *, status: str | None = None, drawing_type: str | None = None, page: int = 1, limit: int = 20,
    public: bool = False,
) -> tuple[list[Drawing], int]:
    """Drawings filtered by `status` and `drawing_type`; returns (the page's drawings, total count).

    Order: scheduled/open/closed drawings soonest `drawing_time` first, then completed/cancelled/draft ones latest
    first. `public=True` hides drafts (members never see them). Raises InvalidInput for an unknown status or type,
    `page` < 1 or `limit` outside 1..100."""
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    query = select(Drawing)
    if status:
        if status not in {s.value for s in DrawingStatus}:
            raise InvalidInput(f"unknown drawing status {status!r}", field="status")
        query = query.where(Drawing.status == status)
    if public:
        query = query.where(Drawing.status != S.draft.value)
    if drawing_type:
        from domain.shared.enums import DrawingType

        if drawing_type not in {t.value for t in DrawingType}:
            raise InvalidInput(f"unknown drawing type {drawing_type!r}", field="type")
        query = query.where(Drawing.drawing_type == drawing_type)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    active = sa.case((col(Drawing.status).in_(ACTIVE_STATUSES), 0), else_=1)
    # Active drawings ascending by time; the rest descending (negated epoch seconds are dialect-specific, so two
    # CASE keys: the time for active rows, NULL otherwise, then the time descending for the rest).
    active_time = sa.case((col(Drawing.status).in_(ACTIVE_STATUSES), col(Drawing.drawing_time)), else_=None)
    rest_time = sa.case((col(Drawing.status).in_(ACTIVE_STATUSES), None), else_=col(Drawing.drawing_time))
    rows = session.exec(
        query.order_by(active, active_time.asc(), rest_time.desc(), col(Drawing.id))
        .offset((page - 1) * limit).limit(limit)
    ).all()
    return list(rows), int(total)


def sales_open(drawing: Drawing, now: datetime) -> bool:
    """True when tickets and free entries are accepted at `now` (UTC): the drawing is `open`, its open time (if any)
    has come and its sales close (default drawing time − 5 min, PRODUCT.md §6) has not."""
    if drawing.status != S.open.value:
        return False
    if drawing.open_time is not None and now < drawing.open_time:
        return False
    return now < drawing.sales_close


def prizes_of(session: Session, drawing_id: uuid.UUID) -> list[Prize]:
    """The drawing's prizes in award order (rank, then creation)."""
    return list(session.exec(select(Prize).where(Prize.drawing_id == drawing_id)
                             .order_by(col(Prize.prize_rank), col(Prize.created_at), col(Prize.id))).all())


def prize_units(prizes: Iterable[Prize]) -> list[Prize]:
    """Prize units in award order (PRODUCT.md §6 step 6): rank 1 first, a prize of quantity q as q units."""
    return recipe.prize_units([(p.prize_rank, p, p.quantity) for p in prizes])


def _canonical_uuid(raw: object) -> str:
    """A raw driver value of a GUID column (hex string on SQLite, uuid.UUID on PostgreSQL, 16 bytes on Oracle) as
    the canonical lowercase hyphenated string."""
    if isinstance(raw, uuid.UUID):
        return str(raw)
    if isinstance(raw, bytes | bytearray):
        return str(uuid.UUID(bytes=bytes(raw)))
    return str(uuid.UUID(str(raw)))


STREAM_ROWS: Final = 20_000  # rows per fetch of the server-side cursor (≈ 1 MB of list text)


class ListSink(Protocol):
    """Where the frozen ticket list's bytes go while it is hashed (e.g. a file being written): `write(data)`."""

    def write(self, data: bytes, /) -> object: ...


# PostgreSQL computes the list's lines itself ("number:canonical-uuid"); SQLite returns the number and its 32-hex-digit
# id, formatted here once per row with one conversion per member (its string functions cost ~2× that). Both are read
# with the driver's own cursor: SQLAlchemy's per-row Row objects cost ~4× the whole rest of the stream at 1,000,000
# rows (issue 12 §5).
_PG_LINES: Final = ("SELECT ticket_number::text || ':' || user_id::text FROM tickets WHERE drawing_id = %s "
                    "ORDER BY ticket_number")
SCAN_CACHE_KIB: Final = -2048  # SQLite page cache while the list is scanned (negative = KiB)
_SQLITE_ROWS: Final = "SELECT ticket_number, user_id FROM tickets WHERE drawing_id = ? ORDER BY ticket_number"


def ticket_lines(session: Session, drawing_id: uuid.UUID, chunk_rows: int = STREAM_ROWS) -> Iterator[list[str]]:
    """The drawing's frozen-list lines (`"{ticket_number}:{user_id}"`, canonical lowercase hyphenated ids; PRODUCT.md
    §6 step 2) in ticket-number order, in chunks of up to `chunk_rows`, through a server-side cursor (a named cursor
    on PostgreSQL, SQLite's lazy cursor; other dialects: SQLAlchemy's `yield_per`), so a 1,000,000-ticket list is
    never held in memory (issue 12 §5). Read inside the caller's transaction, by the (drawing_id, ticket_number)
    unique index."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor(name=f"ticket_list_{uuid.uuid4().hex}") as cursor:
            cursor.itersize = chunk_rows
            cursor.execute(_PG_LINES, (drawing_id,))
            while rows := cursor.fetchmany(chunk_rows):
                yield [line for (line,) in rows]
        return
    names: dict[object, str] = {}

    def lines_of(rows: Iterable[Any]) -> list[str]:
        lines = []
        for number, raw in rows:
            name = names.get(raw)
            if name is None:
                name = names[raw] = _canonical_uuid(raw)
            lines.append(f"{number}:{name}")
        return lines

    if dialect == "sqlite":
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        # A one-off sequential scan needs no page cache: with the connection's own (64 MiB, app.adapters.db) a
        # 1,000,000-ticket scan would fill all of it; a small one while it runs, the configured size again after.
        cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
        try:
            cursor.execute(f"PRAGMA cache_size={SCAN_CACHE_KIB}")
            cursor.execute(_SQLITE_ROWS, (drawing_id.hex,))
            while rows := cursor.fetchmany(chunk_rows):
                yield lines_of(rows)
        finally:
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.close()
        return
    table = Ticket.__table__  # type: ignore[attr-defined]
    query = (sa.select(table.c.ticket_number, sa.type_coerce(table.c.user_id, sa.String))
             .where(table.c.drawing_id == drawing_id).order_by(table.c.ticket_number))
    result = connection.execute(query, execution_options={"yield_per": chunk_rows})
    try:
        for part in result.partitions():
            yield lines_of(part)
    finally:
        result.close()


def _entry(line: str) -> recipe.Entry:
    number, _, user_id = line.partition(":")
    return recipe.Entry(int(number), user_id)


@dataclass
class FrozenList:
    """The frozen ticket list as one streamed pass saw it: `list_hash` (hex SHA-256, PRODUCT.md §6 step 2), `count`
    and `picked`, the tickets at the list positions asked for (position → entry; the draw asks for the positions its
    shuffle will visit, `recipe.shuffle_positions`), so no copy of the list is ever kept."""

    list_hash: str
    count: int
    picked: dict[int, recipe.Entry] = field(default_factory=dict)


def freeze(session: Session, drawing_id: uuid.UUID, *, sink: ListSink | None = None,
           positions: Iterable[int] = (), chunk_rows: int = STREAM_ROWS) -> FrozenList:
    """Stream the drawing's ticket list once (`ticket_lines`), hashing it as published (PRODUCT.md §6 step 2),
    writing its bytes to `sink` when given (the downloadable file, issue 12 §5) and keeping the tickets at the list
    `positions` (0-based, ticket-number order) in `picked`. Memory: one chunk plus the picked tickets."""
    hasher = recipe.TicketListHasher()
    wanted = sorted(set(positions))
    out = FrozenList("", 0)
    w = 0
    for lines in ticket_lines(session, drawing_id, chunk_rows):
        start = hasher.count
        data = hasher.add_lines(lines)
        if sink is not None:
            sink.write(data)
        end = hasher.count
        while w < len(wanted) and wanted[w] < end:
            if wanted[w] >= start:
                out.picked[wanted[w]] = _entry(lines[wanted[w] - start])
            w += 1
    out.list_hash, out.count = hasher.hexdigest(), hasher.count
    return out


def entries(session: Session, drawing_id: uuid.UUID) -> list[recipe.Entry]:
    """The drawing's tickets as the draw sees them, sorted by ticket number, in memory (small drawings, tests and
    tools; the draw itself streams with `freeze`)."""
    return [_entry(line) for lines in ticket_lines(session, drawing_id) for line in lines]


# --- transitions -------------------------------------------------------------------------------------------------


def _already_at(drawing: Drawing, target: DrawingStatus) -> bool:
    """True when the drawing is at or past `target` in the flow, or cancelled (a scheduler step that raced an admin
    or another runner: nothing to do). Raises Conflict when the move to `target` is illegal from here."""
    current = DrawingStatus(drawing.status)
    if current == S.cancelled or (current in FLOW and FLOW.index(current) >= FLOW.index(target)):
        return True
    if target not in TRANSITIONS[current]:
        raise Conflict(f"A {current.value} drawing cannot become {target.value}")
    return False


@dataclass(frozen=True)
class PublishProblem:
    """One reason a draft cannot be published: the `field` at fault and a sentence for the admin."""

    field: str
    message: str


def publish_problems(session: Session, drawing: Drawing, now: datetime) -> list[PublishProblem]:
    """Every reason `drawing` cannot be published at `now` (empty when it can) — the one drawing validator
    (PRODUCT.md §6–§7), used by `publish`, the admin pages and the API. A drawing needs: to be a draft; a name; a
    non-negative ticket cost (points); a drawing time and a sales close in the future with open time < sales close ≤
    drawing time; official rules; at least one prize."""
    problems: list[PublishProblem] = []

    def problem(field: str, message: str) -> None:
        problems.append(PublishProblem(field, message))

    if drawing.status != S.draft.value:
        problem("status", f"Only a draft can be published; this drawing is {drawing.status}.")
    if not (drawing.name or "").strip():
        problem("name", "The drawing needs a name.")
    if drawing.ticket_cost_points < 0:
        problem("ticket_cost_points", "The ticket cost cannot be negative.")
    if drawing.drawing_time <= now:
        problem("drawing_time", "The drawing time must be in the future.")
    if not drawing.sales_close <= drawing.drawing_time:
        problem("sales_close", "Sales must close at or before the drawing time.")
    if drawing.sales_close <= now:
        problem("sales_close", "Sales close in the past: move the schedule forward.")
    if drawing.open_time is not None and drawing.open_time >= drawing.sales_close:
        problem("open_time", "The drawing must open before sales close.")
    if not prizes_of(session, drawing.id):
        problem("prizes", "Add at least one prize.")
    if not (drawing.rules_text or "").strip():
        problem("rules_text", "Write the official rules.")
    return problems


def publish(session: UnitOfWork, drawing_id: uuid.UUID, *, admin_id: uuid.UUID, ip_address: str | None = None,
            clock: Clock = utcnow) -> Drawing:
    """Admin: `draft → scheduled` (PRODUCT.md §6) once `publish_problems` finds nothing. Audited
    (`drawing.published`). Raises NotFound; Conflict when it is not a draft; InvalidInput "Not ready to publish: …"
    listing every problem (`field` = the first problem's field, `errors` = all of them)."""
    drawing = get_drawing(session, drawing_id, lock=True)
    if drawing.status != S.draft.value:
        raise Conflict(f"Only a draft can be published; this drawing is {drawing.status}")
    now = clock()
    problems = publish_problems(session, drawing, now)
    if problems:
        raise InvalidInput("Not ready to publish: " + " ".join(p.message for p in problems),
                           field=problems[0].field,
                           errors=[{"field": p.field, "message": p.message} for p in problems])
    drawing.status, drawing.updated_at = S.scheduled.value, now
    session.record(DrawingStatusChanged(drawing.id, S.scheduled.value))
    session.add(drawing)
    audit.record(session, actor_id=admin_id, action="drawing.published", target_type="drawing",
                 target_id=drawing.id, before={"status": S.draft.value},
                 after={"status": drawing.status, "open_time": drawing.open_time,
                        "sales_close": drawing.sales_close, "drawing_time": drawing.drawing_time,
                        "rules_version": drawing.rules_version},
                 ip_address=ip_address, clock=lambda: now)
    return drawing


def open_drawing(session: UnitOfWork, drawing_id: uuid.UUID, *, clock: Clock = utcnow) -> Drawing:
    """System: `scheduled → open`. Draws a fresh 32-byte server seed from `secrets` (kept secret until the draw),
    publishes `seed_commitment` = SHA-256(seed) and freezes the rules (`rules_frozen_at`). Audited (`drawing.opened`,
    actor None). Already open or later, or cancelled → returned unchanged. Raises NotFound; Conflict for a draft."""
    drawing = get_drawing(session, drawing_id, lock=True)
    if _already_at(drawing, S.open):
        return drawing
    now = clock()
    seed = recipe.new_server_seed()
    drawing.server_seed_hex = seed.hex()
    drawing.seed_commitment = recipe.seed_commitment(seed)
    drawing.status, drawing.rules_frozen_at, drawing.updated_at = S.open.value, now, now
    session.record(DrawingStatusChanged(drawing.id, S.open.value))
    if drawing.open_time is None:
        drawing.open_time = now
    session.add(drawing)
    audit.record(session, actor_id=None, action="drawing.opened", target_type="drawing", target_id=drawing.id,
                 before={"status": S.scheduled.value},
                 after={"status": drawing.status, "seed_commitment": drawing.seed_commitment,
                        "rules_version": drawing.rules_version},
                 clock=lambda: now)
    return drawing


def _close(session: UnitOfWork, drawing: Drawing, now: datetime, *, sink: ListSink | None = None) -> FrozenList:
    frozen = freeze(session, drawing.id, sink=sink)
    drawing.ticket_list_hash = frozen.list_hash
    drawing.total_tickets = frozen.count
    drawing.status, drawing.updated_at = S.closed.value, now
    session.record(DrawingStatusChanged(drawing.id, S.closed.value))
    session.add(drawing)
    audit.record(session, actor_id=None, action="drawing.closed", target_type="drawing", target_id=drawing.id,
                 before={"status": S.open.value},
                 after={"status": drawing.status, "ticket_list_hash": drawing.ticket_list_hash,
                        "total_tickets": drawing.total_tickets},
                 clock=lambda: now)
    return frozen


def close_drawing(session: UnitOfWork, drawing_id: uuid.UUID, *, clock: Clock = utcnow,
                  sink: ListSink | None = None) -> Drawing:
    """System: `open → closed`. Freezes the ticket list (PRODUCT.md §6 step 2) and publishes `ticket_list_hash`;
    `total_tickets` is set from the frozen list. The list is streamed once in ticket-number order (issue 12 §5) and,
    when `sink` is given, written to it while it is hashed (the downloadable file). Audited (`drawing.closed`).
    Already closed or later, or cancelled → unchanged (nothing written to `sink`). Raises NotFound; Conflict for a
    draft or scheduled drawing."""
    drawing = get_drawing(session, drawing_id, lock=True)
    if _already_at(drawing, S.closed):
        return drawing
    _close(session, drawing, clock(), sink=sink)
    return drawing


def _stored_wins(session: Session, drawing: Drawing) -> list[Win]:
    rows = (drawing.results or {}).get("winners") or []
    if not rows:
        return []
    numbers = [int(r["ticket_number"]) for r in rows]
    tickets = {t.ticket_number: t for t in session.exec(
        select(Ticket).where(Ticket.drawing_id == drawing.id, col(Ticket.ticket_number).in_(numbers))).all()}
    return [Win(tickets[int(r["ticket_number"])].id, int(r["ticket_number"]), uuid.UUID(r["user_id"]),
                uuid.UUID(r["prize_id"]), int(r["prize_rank"])) for r in rows]


def _award(session: UnitOfWork, ticket: Ticket, prize: Prize, now: datetime) -> None:
    """Mark `ticket` as winning `prize` and record `WinAwarded`: its policy creates the fulfillment, which notifies
    the winner in-app and by email (`domain.sweepstakes.fulfillment.create_for_win`)."""
    ticket.is_winner, ticket.prize_id = True, prize.id
    session.add(ticket)
    session.flush()
    session.record(WinAwarded(ticket.drawing_id, ticket.user_id, ticket.id, prize.id, now))


def _verify_frozen(drawing: Drawing, frozen: FrozenList) -> None:
    if drawing.ticket_list_hash is not None and frozen.list_hash != drawing.ticket_list_hash:
        raise Conflict(f"drawing {drawing.id}: the ticket list changed after it was frozen; refusing to draw")


DRAW_READ_SLACK: Final = 64  # list positions read beyond 2 per winner wanted (members who already won are skipped)


class _NotRead(Exception):
    """The shuffle reached a list position the streamed pass did not keep (more members won twice than budgeted)."""


def _draw(session: Session, drawing: Drawing, units: int, alternates: int = 0) -> tuple[recipe.DrawResult, int]:
    """The recipe on the frozen list of a closed drawing, streamed (issue 12 §5): the original list positions the
    partial Fisher–Yates shuffle will visit depend only on the seed, the published hash and the list size
    (`recipe.shuffle_positions`), so one pass over the list re-hashes it (Conflict when it no longer matches) and
    keeps just the tickets at the first positions; the lazy shuffle (`recipe.draw_frozen`) then runs on those. When
    skips (members who already won) exhaust the positions read, the pass is repeated with 8× as many — the same
    winners either way. Returns (the draw, the number of tickets)."""
    assert drawing.server_seed_hex is not None and drawing.ticket_list_hash is not None
    seed = bytes.fromhex(drawing.server_seed_hex)
    budget = 2 * (units + alternates) + DRAW_READ_SLACK
    while True:
        positions = recipe.shuffle_positions(seed, drawing.id, drawing.ticket_list_hash, drawing.total_tickets,
                                             budget)
        frozen = freeze(session, drawing.id, positions=positions)
        _verify_frozen(drawing, frozen)
        picked = frozen.picked

        def entry_at(k: int, picked: dict[int, recipe.Entry] = picked) -> recipe.Entry:
            entry = picked.get(k)
            if entry is None:
                raise _NotRead(k)
            return entry

        try:
            return recipe.draw_frozen(seed, drawing.id, frozen.list_hash, frozen.count, entry_at, units,
                                      alternates), frozen.count
        except _NotRead:
            budget *= 8


def execute_drawing(session: UnitOfWork, drawing_id: uuid.UUID, *, clock: Clock = utcnow,
                    sink: ListSink | None = None) -> DrawOutcome:
    """System (or admin "execute now"): `closed → completed` by the exact recipe (PRODUCT.md §6,
    `domain.sweepstakes.recipe`).

    An `open` drawing is closed first (same transaction; its list is written to `sink` when given). No tickets →
    `cancelled` (reason in `results`). Otherwise the frozen list is re-hashed and checked, winners are drawn (one
    prize per member), winning tickets are marked, the server seed becomes public (results), `results` stores the
    winners in award order, and each win records `WinAwarded` (whose policy creates the fulfillment and notifies the
    winner before the commit).
    Audited (`drawing.executed` or `drawing.cancelled`, actor None).

    Idempotent: a completed or cancelled drawing returns its stored outcome with `replayed=True` and changes nothing.
    Scale (issue 12 §5): the list is streamed once to re-hash it, keeping only the tickets the shuffle will visit,
    and the shuffle holds only the positions it touches (`_draw`, `recipe.draw_frozen`).
    Raises NotFound; Conflict for a draft or scheduled drawing, or when the ticket list no longer matches its hash."""
    drawing = get_drawing(session, drawing_id, lock=True)
    if drawing.status in (S.completed.value, S.cancelled.value):
        return DrawOutcome(drawing, _stored_wins(session, drawing), replayed=True)
    if drawing.status not in (S.open.value, S.closed.value):
        raise Conflict(f"A {drawing.status} drawing cannot be executed")
    now = clock()
    if drawing.status == S.open.value:
        _close(session, drawing, now, sink=sink)
    if not drawing.total_tickets:
        _verify_frozen(drawing, freeze(session, drawing.id))  # tickets that appeared after close are refused
        before = drawing.status
        drawing.status, drawing.drawn_at, drawing.updated_at = S.cancelled.value, now, now
        session.record(DrawingStatusChanged(drawing.id, S.cancelled.value))
        drawing.results = {"cancelled": True, "reason": NO_TICKETS_REASON}
        session.add(drawing)
        audit.record(session, actor_id=None, action="drawing.cancelled", target_type="drawing", target_id=drawing.id,
                     before={"status": before}, after={"status": drawing.status, "reason": NO_TICKETS_REASON},
                     clock=lambda: now)
        return DrawOutcome(drawing, [], replayed=False)
    units = prize_units(prizes_of(session, drawing.id))
    outcome, total = _draw(session, drawing, len(units))
    numbers = [e.ticket_number for e in outcome.winners]
    by_number = {t.ticket_number: t for t in session.exec(
        select(Ticket).where(Ticket.drawing_id == drawing.id, col(Ticket.ticket_number).in_(numbers))).all()}
    wins: list[Win] = []
    rows: list[dict[str, Any]] = []
    for k, (prize, entry) in enumerate(zip(units, outcome.winners, strict=False)):
        ticket = by_number[entry.ticket_number]
        wins.append(Win(ticket.id, ticket.ticket_number, ticket.user_id, prize.id, prize.prize_rank))
        rows.append({"unit": k + 1, "prize_id": str(prize.id), "prize_rank": prize.prize_rank,
                     "ticket_number": entry.ticket_number, "user_id": entry.user_id})
    drawing.status, drawing.drawn_at, drawing.updated_at = S.completed.value, now, now
    session.record(DrawingStatusChanged(drawing.id, S.completed.value))
    drawing.results = {"recipe": "PRODUCT.md §6", "drawn_at": now.isoformat(), "total_tickets": total,
                       "units": len(units), "draw_seed": outcome.draw_seed_hex, "winners": rows, "alternates": []}
    session.add(drawing)
    audit.record(session, actor_id=None, action="drawing.executed", target_type="drawing", target_id=drawing.id,
                 before={"status": S.closed.value},
                 after={"status": drawing.status, "server_seed": drawing.server_seed_hex,
                        "ticket_list_hash": drawing.ticket_list_hash, "total_tickets": total,
                        "winners": [r["ticket_number"] for r in rows]},
                 clock=lambda: now)
    for win, prize in zip(wins, units, strict=False):
        _award(session, by_number[win.ticket_number], prize, now)
    session.flush()
    return DrawOutcome(drawing, wins, replayed=False)


def draw_alternate(session: UnitOfWork, drawing_id: uuid.UUID, prize_id: uuid.UUID, *,
                   clock: Clock = utcnow) -> Win | None:
    """After a forfeit (PRODUCT.md §6): the next winner for `prize_id` from the same stream, continuing where the
    draw (and earlier alternates) stopped; one prize per member still holds (earlier winners, forfeited or not, are
    skipped). Marks the ticket, appends to `results["alternates"]` (with the replaced ticket number) and records
    `WinAwarded` (the new fulfillment and the member's notification follow before the commit). Audited
    (`drawing.alternate`).

    Call it in the same transaction as the forfeit, after the forfeited fulfillment is flushed: each forfeited win is
    replaced at most once (a second call for the same forfeit raises Conflict). Returns None when the tickets have
    run out (audited with `exhausted`). Raises NotFound, Conflict (drawing not completed, prize not in this drawing,
    or no forfeited unreplaced win of this prize)."""
    drawing = get_drawing(session, drawing_id, lock=True)
    if drawing.status != S.completed.value:
        raise Conflict(f"Alternates are drawn only for completed drawings; this one is {drawing.status}")
    prizes = prizes_of(session, drawing.id)
    prize = next((p for p in prizes if p.id == prize_id), None)
    if prize is None:
        raise Conflict(f"prize {prize_id} is not a prize of drawing {drawing_id}")
    results = dict(drawing.results or {})
    winners: list[dict[str, Any]] = list(results.get("winners") or [])
    alternates: list[dict[str, Any]] = list(results.get("alternates") or [])
    replaced = {int(a["replaces_ticket_number"]) for a in alternates if a.get("replaces_ticket_number") is not None}
    held = [r for r in winners + alternates
            if r["prize_id"] == str(prize_id) and int(r["ticket_number"]) not in replaced]
    forfeited = _forfeited_numbers(session, drawing.id, prize_id)
    target = next((r for r in held if int(r["ticket_number"]) in forfeited), None)
    if target is None:
        raise Conflict(f"no forfeited win of prize {prize_id} is waiting for an alternate")
    units = prize_units(prizes)
    outcome, _ = _draw(session, drawing, len(units), alternates=len(alternates) + 1)
    now = clock()
    if len(outcome.alternates) <= len(alternates):
        audit.record(session, actor_id=None, action="drawing.alternate", target_type="drawing", target_id=drawing.id,
                     after={"prize_id": prize_id, "replaces_ticket_number": target["ticket_number"],
                            "exhausted": True}, clock=lambda: now)
        return None
    entry = outcome.alternates[len(alternates)]
    ticket = session.exec(select(Ticket).where(Ticket.drawing_id == drawing.id,
                                               Ticket.ticket_number == entry.ticket_number)).one()
    row = {"unit": target.get("unit"), "prize_id": str(prize.id), "prize_rank": prize.prize_rank,
           "replaces_ticket_number": int(target["ticket_number"]), "ticket_number": entry.ticket_number,
           "user_id": entry.user_id, "drawn_at": now.isoformat()}
    results["alternates"] = [*alternates, row]
    drawing.results, drawing.updated_at = results, now
    session.add(drawing)
    audit.record(session, actor_id=None, action="drawing.alternate", target_type="drawing", target_id=drawing.id,
                 after=row, clock=lambda: now)
    _award(session, ticket, prize, now)
    return Win(ticket.id, ticket.ticket_number, ticket.user_id, prize.id, prize.prize_rank)


def _forfeited_numbers(session: Session, drawing_id: uuid.UUID, prize_id: uuid.UUID) -> set[int]:
    rows = session.exec(
        select(Ticket.ticket_number).join(PrizeFulfillment, col(PrizeFulfillment.ticket_id) == col(Ticket.id))
        .where(Ticket.drawing_id == drawing_id, PrizeFulfillment.prize_id == prize_id,
               PrizeFulfillment.status == FulfillmentStatus.forfeited.value)
    ).all()
    return {int(n) for n in rows}


def cancel(session: UnitOfWork, drawing_id: uuid.UUID, *, admin_id: uuid.UUID, reason: str,
           ip_address: str | None = None, clock: Clock = utcnow) -> Drawing:
    """Admin: cancel a drawing that is not completed (PRODUCT.md §6/§7). Every ticket purchase is refunded by a
    ledger `reverse` entry (+points, idempotency key `ticket-refund:{purchase id}`); free entries cost nothing.
    `results` records the reason. Audited (`drawing.cancelled`, before/after status, reason, refunds).

    Raises InvalidInput (`field="reason"`: missing or over 500 characters), NotFound, Conflict (completed or
    already cancelled)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required to cancel a drawing", field="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(f"Reason must be at most {REASON_MAX_CHARS} characters", field="reason")
    drawing = get_drawing(session, drawing_id, lock=True)
    current = DrawingStatus(drawing.status)
    if S.cancelled not in TRANSITIONS[current]:
        raise Conflict(f"A {current.value} drawing cannot be cancelled")
    now = clock()
    purchases = session.exec(select(TicketPurchase).where(TicketPurchase.drawing_id == drawing.id)
                             .order_by(col(TicketPurchase.user_id), col(TicketPurchase.created_at))).all()
    refunded = 0
    for purchase in purchases:
        ledger.post(session, user_id=purchase.user_id, transaction_type=TransactionType.reverse,
                    amount=purchase.points_spent, idempotency_key=f"ticket-refund:{purchase.id}",
                    reference_type="ticket_purchase", reference_id=str(purchase.id),
                    description=f"Refund: {drawing.name} was cancelled", clock=lambda: now)
        refunded += purchase.points_spent
    drawing.status, drawing.updated_at = S.cancelled.value, now
    session.record(DrawingStatusChanged(drawing.id, S.cancelled.value))
    drawing.results = {"cancelled": True, "reason": reason}
    session.add(drawing)
    audit.record(session, actor_id=admin_id, action="drawing.cancelled", target_type="drawing", target_id=drawing.id,
                 before={"status": current.value},
                 after={"status": drawing.status, "reason": reason, "refunded_purchases": len(purchases),
                        "refunded_points": refunded},
                 ip_address=ip_address, clock=lambda: now)
    return drawing


# --- scheduling and results --------------------------------------------------------------------------------------


def due_work(session: Session, now: datetime) -> list[tuple[str, uuid.UUID]]:
    """What the per-minute task should do at `now` (UTC), as `("open" | "close" | "execute", drawing_id)` pairs in
    that order: scheduled drawings whose open time has come (or have none), open drawings past sales close, closed
    drawings past their drawing time. A step done by another runner meanwhile is a no-op when it runs."""
    work: list[tuple[str, uuid.UUID]] = []
    opening = session.exec(select(Drawing.id).where(
        Drawing.status == S.scheduled.value,
        sa.or_(col(Drawing.open_time).is_(None), col(Drawing.open_time) <= now),
    ).order_by(col(Drawing.drawing_time))).all()
    work += [("open", i) for i in opening]
    closing = session.exec(select(Drawing.id).where(
        Drawing.status == S.open.value, col(Drawing.sales_close) <= now).order_by(col(Drawing.drawing_time))).all()
    work += [("close", i) for i in closing]
    executing = session.exec(select(Drawing.id).where(
        Drawing.status == S.closed.value, col(Drawing.drawing_time) <= now).order_by(col(Drawing.drawing_time))).all()
    work += [("execute", i) for i in executing]
    return work


_LIST_CACHE: OrderedDict[tuple[uuid.UUID, str], list[str]] = OrderedDict()
_LIST_CACHE_SIZE: Final = 4
_LIST_CACHE_LOCK = threading.Lock()


def frozen_ticket_lines(session: Session, drawing: Drawing) -> list[str]:
    """The frozen ticket list of a closed or completed drawing as published (`"number:user_id"` lines, exactly as
    hashed), whole and in memory, cached per process by (drawing id, list hash) — for small lists and tools only:
    the app never holds a large list (issue 12 §5: results page through `ticket_page`, the whole list is the
    download of `app.adapters.ticket_lists`)."""
    assert drawing.ticket_list_hash is not None
    key = (drawing.id, drawing.ticket_list_hash)
    with _LIST_CACHE_LOCK:
        cached = _LIST_CACHE.get(key)
        if cached is not None:
            _LIST_CACHE.move_to_end(key)
            return cached
    text = recipe.ticket_list(entries(session, drawing.id))
    lines = text.split("\n") if text else []
    with _LIST_CACHE_LOCK:
        _LIST_CACHE[key] = lines
        while len(_LIST_CACHE) > _LIST_CACHE_SIZE:
            _LIST_CACHE.popitem(last=False)
    return lines


def _names(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    ids = {uuid.UUID(u) for u in user_ids}
    if not ids:
        return {}
    rows = session.exec(select(Profile.user_id, Profile.display_name, Profile.leaderboard_privacy)
                        .where(col(Profile.user_id).in_(ids))).all()
    return {str(uid): shown_name(name, privacy) for uid, name, privacy in rows}


class PrizeLine(BaseModel):
    """A prize as the results page lists it (award order)."""

    prize_id: str
    prize_rank: int
    name: str
    quantity: int
    value_usd: float
    fulfillment_type: str


class WinnerLine(BaseModel):
    """A winning ticket: `display_name` follows the member's leaderboard privacy; alternates also name the ticket
    they replace."""

    ticket_number: int
    user_id: str
    prize_rank: int
    prize_id: str
    prize_name: str | None
    display_name: str
    replaces_ticket_number: int | None = None


TICKETS_PAGE_LIMIT: Final = 100  # ticket-list lines per results page by default (issue 12 §5)
TICKETS_MAX_LIMIT: Final = 1000  # and at most
TICKETS_MAX_PAGE: Final = 10_000_000  # bounds the OFFSET (≤ 10^10 rows) well inside 64-bit integers


def check_ticket_page(page: int, limit: int) -> None:
    """Raises InvalidInput unless 1 ≤ page ≤ TICKETS_MAX_PAGE and 1 ≤ limit ≤ TICKETS_MAX_LIMIT (issue 12 §5: a
    page request is bounded, so a huge page number is a 400, never a database overflow)."""
    if not 1 <= page <= TICKETS_MAX_PAGE:
        raise InvalidInput(f"page must be between 1 and {TICKETS_MAX_PAGE}", field="page")
    if not 1 <= limit <= TICKETS_MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {TICKETS_MAX_LIMIT}", field="limit")


def ticket_page(session: Session, drawing_id: uuid.UUID, *, page: int = 1,
                limit: int = TICKETS_PAGE_LIMIT) -> list[str]:
    """One page of a drawing's ticket list as published (`"number:user_id"` lines in ticket-number order): lines
    `(page − 1) × limit + 1 … page × limit` by the (drawing_id, ticket_number) index. Raises InvalidInput for a page
    out of bounds (`check_ticket_page`); past the end → []."""
    check_ticket_page(page, limit)
    table = Ticket.__table__  # type: ignore[attr-defined]
    query = (sa.select(table.c.ticket_number, sa.type_coerce(table.c.user_id, sa.String))
             .where(table.c.drawing_id == drawing_id).order_by(table.c.ticket_number)
             .offset((page - 1) * limit).limit(limit))
    return [f"{number}:{_canonical_uuid(raw)}" for number, raw in session.connection().execute(query)]


class DrawResults(BaseModel):
    """The public results of a drawing (issue 6 §5; PRODUCT.md §6 "the results page shows …"). Times are ISO 8601
    UTC strings; `tickets` is one page of the frozen list exactly as hashed (`"number:user_id"` lines, page
    `tickets_page` of `tickets_pages`, `tickets_limit` per page; the whole list is the download, issue 12 §5);
    fields not yet public are None (lists empty). `as_json()` is the API's JSON body."""

    drawing_id: str
    name: str
    drawing_type: str
    status: str
    drawing_time: str
    sales_close: str
    total_tickets: int
    prizes: list[PrizeLine]
    units: int
    recipe: str
    seed_commitment: str | None = None
    ticket_list_hash: str | None = None
    tickets: list[str] = Field(default_factory=list)
    tickets_page: int = 1
    tickets_limit: int = TICKETS_PAGE_LIMIT
    tickets_pages: int = 0
    server_seed: str | None = None
    draw_seed: str | None = None
    drawn_at: str | None = None
    winners: list[WinnerLine] = Field(default_factory=list)
    alternates: list[WinnerLine] = Field(default_factory=list)
    cancelled_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON body (winners without `replaces_ticket_number`, alternates with it)."""
        data = self.model_dump(mode="json")
        for row in data["winners"]:
            row.pop("replaces_ticket_number", None)
        return data


def results(session: Session, drawing_id: uuid.UUID, *, include_tickets: bool = True, page: int = 1,
            limit: int = TICKETS_PAGE_LIMIT) -> DrawResults:
    """The public results of a drawing as a `DrawResults`: the drawing, its prizes (award order) and units, the
    recipe text; `seed_commitment` from open on; `ticket_list_hash` and page `page` of the ticket list (`limit`
    lines, `ticket_page`) from close on; after the draw `server_seed` (hex), `draw_seed`, `drawn_at`, `winners` in
    award order and `alternates`; for a cancelled drawing `cancelled_reason`. `include_tickets=False` leaves
    `tickets` empty. The whole list (≈ 45 MB for 1,000,000 tickets) is never read here: it is a download (issue 12
    §5). Raises NotFound; InvalidInput for a page out of bounds."""
    check_ticket_page(page, limit)
    drawing = get_drawing(session, drawing_id)
    status = DrawingStatus(drawing.status)
    prizes = prizes_of(session, drawing.id)
    stored = drawing.results or {}
    out = DrawResults(
        drawing_id=str(drawing.id), name=drawing.name, drawing_type=drawing.drawing_type, status=drawing.status,
        drawing_time=drawing.drawing_time.isoformat(), sales_close=drawing.sales_close.isoformat(),
        total_tickets=drawing.total_tickets, tickets_page=page, tickets_limit=limit,
        prizes=[PrizeLine(prize_id=str(p.id), prize_rank=p.prize_rank, name=p.name, quantity=p.quantity,
                          value_usd=p.value_usd, fulfillment_type=p.fulfillment_type) for p in prizes],
        units=sum(p.quantity for p in prizes), recipe=recipe.RECIPE,
    )
    if status in (S.open, S.closed, S.completed) or (status == S.cancelled and drawing.seed_commitment):
        out.seed_commitment = drawing.seed_commitment
    if status in (S.closed, S.completed) and drawing.ticket_list_hash:
        out.ticket_list_hash = drawing.ticket_list_hash
        out.tickets_pages = -(-drawing.total_tickets // limit)
        if include_tickets:
            out.tickets = ticket_page(session, drawing.id, page=page, limit=limit)
    if status == S.cancelled:
        out.cancelled_reason = stored.get("reason")
    if status == S.completed:
        out.server_seed = drawing.server_seed_hex
        out.draw_seed = stored.get("draw_seed")
        out.drawn_at = stored.get("drawn_at")
        names = {str(p.id): p.name for p in prizes}
        rows = list(stored.get("winners") or []) + list(stored.get("alternates") or [])
        shown = _names(session, (r["user_id"] for r in rows))

        def line(row: dict[str, Any]) -> WinnerLine:
            replaces = row.get("replaces_ticket_number")
            return WinnerLine(ticket_number=int(row["ticket_number"]), user_id=row["user_id"],
                              prize_rank=int(row["prize_rank"]), prize_id=row["prize_id"],
                              prize_name=names.get(row["prize_id"]),
                              display_name=shown.get(row["user_id"], MEMBER_NAME_FALLBACK),
                              replaces_ticket_number=int(replaces) if replaces is not None else None)

        out.winners = [line(r) for r in stored.get("winners") or []]
        out.alternates = [line(r) for r in stored.get("alternates") or []]
    return out
