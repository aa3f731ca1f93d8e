"""What a member sees of drawings (issue 6 §5): one read each for the drawings list and a drawing's page, shared by
the JSON API (`app/api/drawings.py`) and the pages (`pages/member/drawings.py`, `pages/member/drawing_detail.py`).
Composes `domain.sweepstakes.drawings` and `domain.sweepstakes.tickets` (which decide) with the prizes' sponsors and the
member's own tickets.

Figures: points are whole points; times are aware UTC datetimes; `chance` is a probability in [0, 1]
(PRODUCT.md §6: odds = your tickets / total tickets). Drafts are never shown to members.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import Drawing, FreeEntry, Prize, Sponsor, Ticket, User
from domain.shared.enums import DrawingStatus
from domain.shared.errors import NotFound
from domain.sweepstakes import drawings, tickets


@dataclass(frozen=True)
class PrizeView:
    """A prize with its sponsor (None = FitTrack's own prize). `value_usd` in US dollars."""

    prize: Prize
    sponsor_name: str | None
    sponsor_url: str | None
    sponsor_logo_url: str | None


@dataclass(frozen=True)
class DrawingCard:
    """One drawing in the member's list: the drawing, its prizes (award order), the member's tickets (free entry
    included) and whether one is the free entry, whether sales are open now, and why the member cannot enter now
    (`refusal`, a sentence; None when they can)."""

    drawing: Drawing
    prizes: list[PrizeView]
    my_tickets: int
    my_free_entry: bool
    sales_open: bool
    refusal: str | None

    @property
    def total_value_usd(self) -> float:
        return sum(p.prize.value_usd * p.prize.quantity for p in self.prizes)

    @property
    def can_enter(self) -> bool:
        return self.refusal is None

    @property
    def chance(self) -> float:
        total = self.drawing.total_tickets
        return self.my_tickets / total if total else 0.0


@dataclass(frozen=True)
class DrawingPage(DrawingCard):
    """A drawing's page: the card plus the member's balance (points) and the odds object of
    `domain.sweepstakes.tickets`."""

    balance: int
    odds: tickets.Odds


def _sponsors(session: Session, prizes: list[Prize]) -> dict[uuid.UUID, Sponsor]:
    ids = {p.sponsor_id for p in prizes if p.sponsor_id is not None}
    if not ids:
        return {}
    return {s.id: s for s in session.exec(select(Sponsor).where(col(Sponsor.id).in_(ids))).all()}


def _prize_views(prizes: list[Prize], sponsors: dict[uuid.UUID, Sponsor]) -> list[PrizeView]:
    out = []
    for prize in prizes:
        sponsor = sponsors.get(prize.sponsor_id) if prize.sponsor_id else None
        out.append(PrizeView(prize, sponsor.name if sponsor else None, sponsor.website_url if sponsor else None,
                             sponsor.logo_url if sponsor else None))
    return out


def _member(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    return user


def drawing_cards(
    session: Session, user_id: uuid.UUID, now: datetime, *, status: str | None = None,
    drawing_type: str | None = None, page: int = 1, limit: int = 20,
) -> tuple[list[DrawingCard], int]:
    """The drawings list for member `user_id` at `now` (UTC), filtered by `status` and `drawing_type`, paginated
    (`domain.sweepstakes.drawings.list_drawings(public=True)`: active ones soonest first, then past ones latest first;
    drafts hidden). Returns (cards, total). Raises InvalidInput (bad filter or paging), NotFound (member)."""
    if status == DrawingStatus.draft.value:
        return [], 0
    user = _member(session, user_id)
    rows, total = drawings.list_drawings(session, status=status, drawing_type=drawing_type, page=page, limit=limit,
                                         public=True)
    ids = [d.id for d in rows]
    if not ids:
        return [], int(total)
    counts = Counter({drawing_id: int(n) for drawing_id, n in session.exec(
        select(col(Ticket.drawing_id), sa.func.count()).where(Ticket.user_id == user_id, col(Ticket.drawing_id)
                                                                .in_(ids)).group_by(col(Ticket.drawing_id))).all()})
    free = set(session.exec(select(FreeEntry.drawing_id).where(FreeEntry.user_id == user_id,
                                                               col(FreeEntry.drawing_id).in_(ids))).all())
    prizes = list(session.exec(select(Prize).where(col(Prize.drawing_id).in_(ids))
                               .order_by(col(Prize.prize_rank), col(Prize.created_at), col(Prize.id))).all())
    sponsors = _sponsors(session, prizes)
    by_drawing: dict[uuid.UUID, list[Prize]] = {}
    for prize in prizes:
        by_drawing.setdefault(prize.drawing_id, []).append(prize)
    cards = [DrawingCard(drawing=d, prizes=_prize_views(by_drawing.get(d.id, []), sponsors),
                         my_tickets=counts.get(d.id, 0), my_free_entry=d.id in free,
                         sales_open=drawings.sales_open(d, now),
                         refusal=tickets.entry_refusal(session, user, d, now))
             for d in rows]
    return cards, int(total)


def drawing_page(session: Session, drawing_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> DrawingPage:
    """Everything a drawing's page shows member `user_id` at `now` (UTC). Raises NotFound (unknown drawing, a
    draft, or unknown member)."""
    drawing = drawings.get_drawing(session, drawing_id)
    if drawing.status == DrawingStatus.draft.value:
        raise NotFound(f"drawing {drawing_id} does not exist")
    user = _member(session, user_id)
    prizes = drawings.prizes_of(session, drawing.id)
    odds = tickets.odds(session, drawing.id, user_id)
    return DrawingPage(drawing=drawing, prizes=_prize_views(prizes, _sponsors(session, prizes)),
                       my_tickets=odds.my_tickets, my_free_entry=odds.my_free_entry,
                       sales_open=drawings.sales_open(drawing, now),
                       refusal=tickets.entry_refusal(session, user, drawing, now),
                       balance=user.point_balance, odds=odds)


def public_drawing(session: Session, drawing_id: uuid.UUID) -> tuple[Drawing, list[PrizeView]]:
    """A drawing and its prizes for public pages (official rules, results). Raises NotFound (also for drafts)."""
    drawing = drawings.get_drawing(session, drawing_id)
    if drawing.status == DrawingStatus.draft.value:
        raise NotFound(f"drawing {drawing_id} does not exist")
    prizes = drawings.prizes_of(session, drawing.id)
    return drawing, _prize_views(prizes, _sponsors(session, prizes))


def public_results(session: Session, drawing_id: uuid.UUID, *, page: int = 1,
                   limit: int = drawings.TICKETS_PAGE_LIMIT, include_tickets: bool = True) -> drawings.DrawResults:
    """`domain.sweepstakes.drawings.results` (ticket list page `page` of `limit` lines; none with
    `include_tickets=False`) for a drawing members may see (drafts → NotFound). Raises NotFound; InvalidInput for a
    page out of bounds."""
    drawing = drawings.get_drawing(session, drawing_id)
    if drawing.status == DrawingStatus.draft.value:
        raise NotFound(f"drawing {drawing_id} does not exist")
    return drawings.results(session, drawing_id, page=page, limit=limit, include_tickets=include_tickets)


def live_totals(session: Session, drawing_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """`{drawing_id: (total_tickets, status)}` for the live ticket totals of open pages (one small query)."""
    if not drawing_ids:
        return {}
    rows = session.exec(select(Drawing.id, Drawing.total_tickets, Drawing.status)
                        .where(col(Drawing.id).in_(drawing_ids))).all()
    return {drawing_id: (int(total), status) for drawing_id, total, status in rows}
