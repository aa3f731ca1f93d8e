"""Sweepstakes tickets (PRODUCT.md §6; issue 6 §2, §3): purchases with points, the free alternate entry, odds, and a
member's entries and wins.

- `purchase`: all-or-nothing — the ledger `spend` (`domain.points.ledger.post`), the tickets and the `TicketPurchase`
row are
  written in the caller's one transaction; any refusal raises before anything is written. The same member and
  `idempotency_key` return the original purchase (`replayed=True`); the key reused for a different drawing or
  quantity raises IdempotencyConflict.
- Ticket numbers are sequential per drawing (1, 2, …) even under concurrency: purchases and free entries lock the
  drawing row first (`SELECT … FOR UPDATE`; on SQLite the `BEGIN IMMEDIATE` write transaction), then the member's row
  (inside `ledger.post`). Drawing → member is the lock order everywhere (`domain.sweepstakes.drawings.cancel` too), so
  no deadlocks; the unique (drawing_id, ticket_number) key is the last guard.
- `claim_free_entry`: one free ticket per eligible member per drawing (no purchase necessary), the same odds as a
  bought ticket; UNIQUE(drawing_id, user_id) on `free_entries` makes it a database rule.
- Who may enter (`entry_refusal`): an active member (suspended/banned → refused; their existing tickets stay valid),
  eligible by age and state on the platform day of the purchase (PRODUCT.md §3, `domain.accounts.eligibility`) and
  within the drawing's eligibility JSON (`tiers`, `roles`, `min_account_age_days`; empty lists mean everyone), while
  sales are open (`domain.sweepstakes.drawings.sales_open`).
Services flush, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.accounts import eligibility
from domain.accounts.tiers import OPEN_TIER
from domain.models import (
    Drawing,
    FreeEntry,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    Ticket,
    TicketPurchase,
    User,
)
from domain.points import ledger
from domain.shared.calendar import platform_day
from domain.shared.enums import DrawingStatus, TransactionType, UserStatus
from domain.shared.errors import Conflict, DomainError, Forbidden, IdempotencyConflict, InvalidInput, NotFound
from domain.shared.events import TicketsBought
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes.drawings import get_drawing, sales_open

Clock = Callable[[], datetime]

MAX_QUANTITY: Final = 100
IDEMPOTENCY_KEY_MAX_CHARS: Final = 128


@dataclass(frozen=True)
class Purchase:
    """A ticket purchase: its ticket numbers, the points spent, the member's balance right after it, and
    `replayed=True` when the idempotency key had been used for this same purchase before (nothing new written)."""

    drawing_id: uuid.UUID
    ticket_numbers: list[int]
    points_spent: int
    balance_after: int
    replayed: bool
    purchase_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Odds:
    """A member's chances in one drawing (PRODUCT.md §6: odds = your tickets / total tickets; the free entry is one
    of `my_tickets`). `chance` is the probability that one given draw lands on one of my tickets (0 when empty)."""

    my_tickets: int
    total_tickets: int
    my_free_entry: bool

    @property
    def chance(self) -> float:
        return self.my_tickets / self.total_tickets if self.total_tickets else 0.0


@dataclass(frozen=True)
class EntryRow:
    """One drawing a member entered: how many tickets (free entry included), whether one was the free entry, points
    spent on tickets, and whether one of the tickets won."""

    drawing: Drawing
    tickets: int
    free_entry: bool
    points_spent: int
    won: bool


@dataclass(frozen=True)
class WinRow:
    """One prize a member won: the drawing, the prize, the winning ticket and its fulfillment (None until created)."""

    drawing: Drawing
    prize: Prize
    ticket_id: uuid.UUID
    ticket_number: int
    fulfillment_id: uuid.UUID | None
    fulfillment_status: str | None


def _refusal(session: Session, user: User, drawing: Drawing, now: datetime) -> DomainError | None:
    if user.status == UserStatus.suspended.value:
        return Forbidden("Your account is suspended, so you cannot enter drawings right now")
    if user.status != UserStatus.active.value:
        return Forbidden("Only active members can enter drawings")
    if not sales_open(drawing, now):
        if drawing.status == DrawingStatus.open.value and drawing.open_time is not None and now < drawing.open_time:
            return Conflict("Ticket sales for this drawing have not started yet")
        return Conflict("Ticket sales for this drawing are closed")
    profile = session.get(Profile, user.id)
    if profile is None:
        return Forbidden("Complete your profile (date of birth and state) to enter drawings")
    problem = eligibility.state_problem(profile.state_code)
    if problem:
        return Forbidden(problem)
    if not eligibility.is_old_enough(profile.date_of_birth, profile.state_code, platform_day(now)):
        age = eligibility.minimum_age(profile.state_code)
        return Forbidden(f"You must be at least {age} to enter drawings in {profile.state_code}")
    rules = drawing.eligibility or {}
    roles = [str(r) for r in rules.get("roles") or []]
    if roles and user.role not in roles:
        return Forbidden("This drawing is not open to your membership type")
    tiers = {str(t) for t in rules.get("tiers") or []}
    if tiers:
        mine = {profile.tier_code} if profile.tier_code else set()
        if profile.open_tier_opt_in or not profile.tier_code:
            mine.add(OPEN_TIER)
        if not mine & tiers:
            return Forbidden("This drawing is limited to other tiers")
    min_days = int(rules.get("min_account_age_days") or 0)
    if min_days and now - user.created_at < timedelta(days=min_days):
        return Forbidden(f"Your account must be at least {min_days} days old to enter this drawing")
    return None


def entry_refusal(session: Session, user: User, drawing: Drawing, now: datetime) -> str | None:
    """Why `user` cannot buy tickets for or claim a free entry to `drawing` at `now` (UTC), as a sentence for the
    member, or None when they can (rules in the module docstring; PRODUCT.md §3, §6)."""
    error = _refusal(session, user, drawing, now)
    return error.detail if error else None


def _next_number(session: Session, drawing_id: uuid.UUID) -> int:
    last = session.exec(select(sa.func.max(Ticket.ticket_number)).where(Ticket.drawing_id == drawing_id)).one()
    return int(last or 0) + 1


def _replay(session: Session, found: TicketPurchase, drawing_id: uuid.UUID, quantity: int) -> Purchase:
    if found.drawing_id != drawing_id or found.quantity != quantity:
        raise IdempotencyConflict("This idempotency key was already used for a different ticket purchase")
    entry = session.get(PointTransaction, found.transaction_id)
    assert entry is not None
    return Purchase(found.drawing_id, list(range(found.first_ticket_number, found.last_ticket_number + 1)),
                    found.points_spent, entry.balance_after, replayed=True, purchase_id=found.id)


def purchase(
    session: UnitOfWork, *, user_id: uuid.UUID, drawing_id: uuid.UUID, quantity: int, idempotency_key: str,
    clock: Clock = utcnow,
) -> Purchase:
    """Buy `quantity` tickets (1..100) for `drawing_id` at `ticket_cost_points` each (PRODUCT.md §6: final, numbered
    sequentially per drawing) with one ledger `spend` of quantity × cost points; returns the `Purchase`.

    Raises InvalidInput (`field="quantity"` / `"idempotency_key"`), NotFound (drawing or member), IdempotencyConflict
    (key used for another drawing or quantity), Forbidden (suspended, not active, not eligible), Conflict (sales not
    open; a drawing without a ticket price), InsufficientPoints (nothing written). Records `TicketsBought` (and,
    through the ledger, `BalanceChanged`: open pages show the new balance)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"Buy between 1 and {MAX_QUANTITY} tickets at a time", field="quantity")
    key = (idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise InvalidInput(f"An idempotency key of 1–{IDEMPOTENCY_KEY_MAX_CHARS} characters is required",
                           field="idempotency_key")
    drawing = get_drawing(session, drawing_id, lock=True)
    found = session.exec(select(TicketPurchase).where(TicketPurchase.user_id == user_id,
                                                      TicketPurchase.idempotency_key == key)).first()
    if found is not None:
        return _replay(session, found, drawing_id, quantity)
    user = ledger.lock_user(session, user_id)
    now = clock()
    refusal = _refusal(session, user, drawing, now)
    if refusal is not None:
        raise refusal
    if drawing.ticket_cost_points <= 0:
        raise Conflict("This drawing has no ticket price; claim the free entry instead")
    cost = drawing.ticket_cost_points * quantity
    purchase_id = uuid.uuid4()
    posted = ledger.post(
        session, user_id=user_id, transaction_type=TransactionType.spend, amount=-cost,
        idempotency_key=f"ticket-purchase:{purchase_id}", reference_type="drawing", reference_id=str(drawing.id),
        description=f"{quantity} ticket{'s' if quantity != 1 else ''} for {drawing.name}", clock=lambda: now)
    first = _next_number(session, drawing.id)
    numbers = list(range(first, first + quantity))
    session.add_all([Ticket(drawing_id=drawing.id, user_id=user_id, ticket_number=n,
                            purchase_transaction_id=posted.entry.id, created_at=now) for n in numbers])
    session.add(TicketPurchase(id=purchase_id, user_id=user_id, drawing_id=drawing.id, idempotency_key=key,
                               quantity=quantity, points_spent=cost, transaction_id=posted.entry.id,
                               first_ticket_number=numbers[0], last_ticket_number=numbers[-1], created_at=now))
    drawing.total_tickets, drawing.updated_at = numbers[-1], now
    session.add(drawing)
    session.flush()
    session.record(TicketsBought(user_id, drawing.id, quantity))
    return Purchase(drawing.id, numbers, cost, posted.entry.balance_after, replayed=False, purchase_id=purchase_id)


def claim_free_entry(session: UnitOfWork, *, user_id: uuid.UUID, drawing_id: uuid.UUID,
                     clock: Clock = utcnow) -> Ticket:
    """Claim the member's one free alternate entry (PRODUCT.md §6: no purchase necessary, the same odds as a bought
    ticket): a ticket with the next number and `is_free_entry=True`; returns it.

    Raises NotFound, Conflict (already claimed for this drawing — also enforced by UNIQUE(drawing_id, user_id) —,
    or sales not open), Forbidden (suspended, not active, not eligible)."""
    drawing = get_drawing(session, drawing_id, lock=True)
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    claimed = session.exec(select(FreeEntry.id).where(FreeEntry.drawing_id == drawing_id,
                                                      FreeEntry.user_id == user_id)).first()
    if claimed is not None:
        raise Conflict("You already claimed your free entry for this drawing")
    now = clock()
    refusal = _refusal(session, user, drawing, now)
    if refusal is not None:
        raise refusal
    ticket = Ticket(drawing_id=drawing.id, user_id=user_id, ticket_number=_next_number(session, drawing.id),
                    is_free_entry=True, created_at=now)
    session.add(ticket)
    session.flush()
    session.add(FreeEntry(drawing_id=drawing.id, user_id=user_id, ticket_id=ticket.id, created_at=now))
    drawing.total_tickets, drawing.updated_at = ticket.ticket_number, now
    session.add(drawing)
    session.flush()
    session.record(TicketsBought(user_id, drawing.id, 1, free_entry=True))
    return ticket


def odds(session: Session, drawing_id: uuid.UUID, user_id: uuid.UUID) -> Odds:
    """Member `user_id`'s tickets in `drawing_id`, the drawing's total and whether the free entry was claimed.
    Raises NotFound for an unknown drawing."""
    drawing = session.get(Drawing, drawing_id)
    if drawing is None:
        raise NotFound(f"drawing {drawing_id} does not exist")
    mine = session.exec(select(sa.func.count()).select_from(Ticket)
                        .where(Ticket.drawing_id == drawing_id, Ticket.user_id == user_id)).one()
    free = session.exec(select(FreeEntry.id).where(FreeEntry.drawing_id == drawing_id,
                                                   FreeEntry.user_id == user_id)).first()
    return Odds(int(mine), int(drawing.total_tickets), free is not None)


def my_entries(session: Session, user_id: uuid.UUID, *, page: int = 1,
               limit: int = 20) -> tuple[list[EntryRow], int]:
    """The drawings member `user_id` holds tickets in, latest drawing time first; returns (page rows, total).
    Raises InvalidInput for `page` < 1 or `limit` outside 1..100."""
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    per_drawing = (
        select(col(Ticket.drawing_id).label("drawing_id"), sa.func.count().label("tickets"),
               sa.func.max(sa.case((col(Ticket.is_free_entry), 1), else_=0)).label("free"),
               sa.func.max(sa.case((col(Ticket.is_winner), 1), else_=0)).label("won"))
        .where(Ticket.user_id == user_id).group_by(col(Ticket.drawing_id)).subquery()
    )
    total = session.exec(select(sa.func.count()).select_from(per_drawing)).one()
    rows = session.exec(
        select(Drawing, per_drawing.c.tickets, per_drawing.c.free, per_drawing.c.won)
        .join(per_drawing, per_drawing.c.drawing_id == col(Drawing.id))
        .order_by(col(Drawing.drawing_time).desc(), col(Drawing.id)).offset((page - 1) * limit).limit(limit)
    ).all()
    ids = [row[0].id for row in rows]
    spent = dict(session.exec(
        select(col(TicketPurchase.drawing_id), sa.func.sum(TicketPurchase.points_spent))
        .where(TicketPurchase.user_id == user_id, col(TicketPurchase.drawing_id).in_(ids))
        .group_by(col(TicketPurchase.drawing_id))).all()) if ids else {}
    return [EntryRow(drawing, int(tickets), bool(free), int(spent.get(drawing.id) or 0), bool(won))
            for drawing, tickets, free, won in rows], int(total)


def my_wins(session: Session, user_id: uuid.UUID) -> list[WinRow]:
    """Every prize member `user_id` won (forfeited ones included, with their status), latest drawing first, with the
    fulfillment of each winning ticket (the newest one for that ticket)."""
    rows = session.exec(
        select(Ticket, Drawing, Prize)
        .join(Drawing, col(Drawing.id) == col(Ticket.drawing_id))
        .join(Prize, col(Prize.id) == col(Ticket.prize_id))
        .where(Ticket.user_id == user_id, col(Ticket.is_winner))
        .order_by(col(Drawing.drawing_time).desc(), col(Prize.prize_rank), col(Ticket.ticket_number))
    ).all()
    ticket_ids = [ticket.id for ticket, _, _ in rows]
    latest: dict[uuid.UUID, PrizeFulfillment] = {}
    if ticket_ids:
        for row in session.exec(select(PrizeFulfillment).where(col(PrizeFulfillment.ticket_id).in_(ticket_ids))
                                .order_by(col(PrizeFulfillment.created_at))).all():
            latest[row.ticket_id] = row
    out = []
    for ticket, drawing, prize in rows:
        found = latest.get(ticket.id)
        out.append(WinRow(drawing, prize, ticket.id, ticket.ticket_number, found.id if found else None,
                          found.status if found else None))
    return out
