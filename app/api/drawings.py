"""Member sweepstakes API (PRODUCT.md §6; issue 6 §2, §3, §5):

- `GET  /api/v1/drawings?status=&type=&page=&limit=` — drawings (no drafts), with my eligibility and ticket count;
- `GET  /api/v1/drawings/my-entries`, `GET /api/v1/drawings/my-wins` — the member's entries and prizes;
- `GET  /api/v1/drawings/{id}` — prizes, sponsors, my odds, rules link, countdown;
- `GET  /api/v1/drawings/{id}/results?page=&limit=` — the public results JSON (no sign-in; the ticket list
  paginated), verifiable with `python -m app.cli.verify_draw <url>`;
- `GET  /api/v1/drawings/{id}/ticket-list` — the frozen ticket list as a file (no sign-in; ETag/Repr-Digest = its
  SHA-256, the published hash);
- `POST /api/v1/drawings/{id}/tickets` `{"quantity", "idempotency_key"}` — buy tickets (201; 200 for a replay);
- `POST /api/v1/drawings/{id}/free-entry` — the free alternate entry (201).

Errors are RFC 7807 problem details: 400 insufficient points / invalid input, 403 not eligible or suspended,
404 unknown drawing, 409 sales closed / second free entry / idempotency key reused for another purchase.
Thin: `domain.sweepstakes.views` (reads) and `domain.sweepstakes.tickets` (purchases) decide.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.api.pagination import Page, Paging, page_response
from app.web.downloads import ticket_list_response
from domain.shared.enums import DrawingStatus, DrawingType
from domain.sweepstakes import drawings, tickets, views
from domain.sweepstakes.fulfillment import claim_path
from domain.sweepstakes.views import DrawingCard, DrawingPage, PrizeView

router = APIRouter(prefix="/drawings", tags=["sweepstakes"], route_class=ReleasingRoute)

PublicStatus = Literal["scheduled", "open", "closed", "completed", "cancelled"]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Insufficient points or invalid input"}, 401: {"description": "Not signed in"},
    403: {"description": "Not eligible, or the account is suspended"}, 404: {"description": "Unknown drawing"},
    409: {"description": "Sales closed, free entry already claimed, or idempotency key reused"},
}


def rules_url(drawing_id: uuid.UUID) -> str:
    """The official rules page of a drawing (public)."""
    return f"/rules/{drawing_id}"


def results_url(drawing_id: uuid.UUID) -> str:
    """The public results JSON of a drawing."""
    return f"/api/v1/drawings/{drawing_id}/results"


class SponsorOut(BaseModel):
    name: str
    website_url: str | None
    logo_url: str | None


class PrizeOut(BaseModel):
    """A prize: `prize_rank` 1 is awarded first; `quantity` units; `value_usd` in US dollars; `fulfillment_type`
    "physical" (shipped) or "digital" (a code); `sponsor` null for FitTrack's own prizes."""

    id: uuid.UUID
    prize_rank: int
    name: str
    description: str | None
    value_usd: float
    quantity: int
    fulfillment_type: str
    image_url: str | None
    sponsor: SponsorOut | None


class DrawingItem(BaseModel):
    """A drawing in the list. Times ISO 8601 UTC; `ticket_cost_points` in points; `total_tickets` all tickets so
    far (free entries included); `eligible` = I can enter right now (else `ineligible_reason`); `my_tickets` mine
    (free entry included)."""

    id: uuid.UUID
    name: str
    type: str
    status: str
    ticket_cost_points: int
    open_time: datetime | None
    sales_close: datetime
    drawing_time: datetime
    total_tickets: int
    sales_open: bool
    eligible: bool
    ineligible_reason: str | None
    my_tickets: int
    my_free_entry: bool
    prize_count: int
    total_prize_value_usd: float
    top_prize: str | None


class OddsOut(BaseModel):
    """PRODUCT.md §6: odds = my tickets / total tickets; `chance` that one draw lands on one of my tickets (0..1)."""

    my_tickets: int
    total_tickets: int
    my_free_entry: bool
    chance: float


class CountdownOut(BaseModel):
    """Seconds from `now` (UTC) until sales close and until the draw (0 once passed)."""

    now: datetime
    seconds_to_sales_close: int
    seconds_to_drawing: int


class DrawingDetail(DrawingItem):
    """A drawing's page: the list fields plus description, prizes (award order), my odds, my balance (points),
    the rules link and version, the countdown, and the verifiable-draw values published so far."""

    description: str | None
    prizes: list[PrizeOut]
    odds: OddsOut
    balance: int
    rules_url: str
    rules_version: int
    results_url: str
    countdown: CountdownOut
    seed_commitment: str | None
    ticket_list_hash: str | None


def _prize(view: PrizeView) -> PrizeOut:
    p = view.prize
    sponsor = SponsorOut(name=view.sponsor_name, website_url=view.sponsor_url, logo_url=view.sponsor_logo_url) \
        if view.sponsor_name else None
    return PrizeOut(id=p.id, prize_rank=p.prize_rank, name=p.name, description=p.description, value_usd=p.value_usd,
                    quantity=p.quantity, fulfillment_type=p.fulfillment_type, image_url=p.image_url, sponsor=sponsor)


def _item_fields(card: DrawingCard) -> dict[str, Any]:
    d = card.drawing
    return {"id": d.id, "name": d.name, "type": d.drawing_type, "status": d.status,
            "ticket_cost_points": d.ticket_cost_points, "open_time": d.open_time, "sales_close": d.sales_close,
            "drawing_time": d.drawing_time, "total_tickets": d.total_tickets, "sales_open": card.sales_open,
            "eligible": card.can_enter, "ineligible_reason": card.refusal, "my_tickets": card.my_tickets,
            "my_free_entry": card.my_free_entry, "prize_count": sum(p.prize.quantity for p in card.prizes),
            "total_prize_value_usd": card.total_value_usd,
            "top_prize": card.prizes[0].prize.name if card.prizes else None}


def _seconds(until: datetime, now: datetime) -> int:
    return max(int((until - now).total_seconds()), 0)


def _detail(page: DrawingPage, now: datetime) -> DrawingDetail:
    d = page.drawing
    public_hash = d.status in (DrawingStatus.closed.value, DrawingStatus.completed.value)
    return DrawingDetail(
        **_item_fields(page), description=d.description, prizes=[_prize(p) for p in page.prizes],
        odds=OddsOut(my_tickets=page.odds.my_tickets, total_tickets=page.odds.total_tickets,
                     my_free_entry=page.odds.my_free_entry, chance=page.odds.chance),
        balance=page.balance, rules_url=rules_url(d.id), rules_version=d.rules_version, results_url=results_url(d.id),
        countdown=CountdownOut(now=now, seconds_to_sales_close=_seconds(d.sales_close, now),
                               seconds_to_drawing=_seconds(d.drawing_time, now)),
        seed_commitment=d.seed_commitment if d.status != DrawingStatus.scheduled.value else None,
        ticket_list_hash=d.ticket_list_hash if public_hash else None)


@router.get("", response_model=Page[DrawingItem], summary="Drawings (no drafts), with my eligibility and tickets",
            responses={400: PROBLEMS[400], 401: PROBLEMS[401]})
def list_drawings(
    user: CurrentUser,
    session: SessionDep,
    system: SystemDep,
    params: Paging,
    status: PublicStatus | None = Query(None, description="All statuses except draft when omitted"),
    type: DrawingType | None = Query(None, description="daily, weekly, monthly or annual"),  # noqa: A002
) -> dict[str, Any]:
    """Open, scheduled and closed drawings soonest first, then completed and cancelled ones latest first."""
    cards, total = views.drawing_cards(session, user.id, system.clock(), status=status,
                                       drawing_type=type.value if type else None, page=params.page,
                                       limit=params.limit)
    return page_response([DrawingItem(**_item_fields(card)) for card in cards], total, params)


class EntryOut(BaseModel):
    """A drawing I entered: my tickets (free entry included), points spent on them, whether one won."""

    drawing_id: uuid.UUID
    name: str
    type: str
    status: str
    drawing_time: datetime
    my_tickets: int
    free_entry: bool
    points_spent: int
    won: bool


@router.get("/my-entries", response_model=Page[EntryOut], summary="Drawings I entered, latest first",
            responses={401: PROBLEMS[401]})
def my_entries(params: Paging, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    rows, total = tickets.my_entries(session, user.id, page=params.page, limit=params.limit)
    items = [EntryOut(drawing_id=r.drawing.id, name=r.drawing.name, type=r.drawing.drawing_type,
                      status=r.drawing.status, drawing_time=r.drawing.drawing_time, my_tickets=r.tickets,
                      free_entry=r.free_entry, points_spent=r.points_spent, won=r.won) for r in rows]
    return page_response(items, total, params)


class WinOut(BaseModel):
    """A prize I won: the drawing, the prize (value in US dollars), my winning ticket, and its fulfillment
    (`fulfillment_status` winner_notified … delivered or forfeited; `claim_url` the page to confirm an address or
    reveal a code)."""

    drawing_id: uuid.UUID
    drawing_name: str
    drawing_time: datetime
    prize_id: uuid.UUID
    prize_name: str
    prize_rank: int
    value_usd: float
    fulfillment_type: str
    ticket_number: int
    fulfillment_id: uuid.UUID | None
    fulfillment_status: str | None
    claim_url: str | None


@router.get("/my-wins", response_model=list[WinOut], summary="Prizes I won, latest first",
            responses={401: PROBLEMS[401]})
def my_wins(user: CurrentUser, session: SessionDep) -> list[WinOut]:
    return [WinOut(drawing_id=w.drawing.id, drawing_name=w.drawing.name, drawing_time=w.drawing.drawing_time,
                   prize_id=w.prize.id, prize_name=w.prize.name, prize_rank=w.prize.prize_rank,
                   value_usd=w.prize.value_usd, fulfillment_type=w.prize.fulfillment_type,
                   ticket_number=w.ticket_number, fulfillment_id=w.fulfillment_id,
                   fulfillment_status=w.fulfillment_status,
                   claim_url=claim_path(w.fulfillment_id) if w.fulfillment_id else None)
            for w in tickets.my_wins(session, user.id)]


@router.get("/{drawing_id}", response_model=DrawingDetail, summary="A drawing: prizes, my odds, rules, countdown",
            responses={401: PROBLEMS[401], 404: PROBLEMS[404]})
def get_drawing(drawing_id: uuid.UUID, user: CurrentUser, session: SessionDep, system: SystemDep) -> DrawingDetail:
    now = system.clock()
    return _detail(views.drawing_page(session, drawing_id, user.id, now), now)


def ticket_list_url(drawing_id: uuid.UUID | str) -> str:
    """The frozen ticket list of a drawing as a file (public, from sales close)."""
    return f"/api/v1/drawings/{drawing_id}/ticket-list"


@router.get("/{drawing_id}/results", summary="Public results of a drawing (no sign-in); verify them yourself",
            responses={404: PROBLEMS[404], 422: {"description": "page or limit out of bounds"}})
def get_results(
    drawing_id: uuid.UUID,
    session: SessionDep,
    page: int = Query(1, ge=1, le=drawings.TICKETS_MAX_PAGE, description="Page of the ticket list, from 1"),
    limit: int = Query(drawings.TICKETS_PAGE_LIMIT, ge=1, le=drawings.TICKETS_MAX_LIMIT,
                       description=f"Ticket-list lines per page (1..{drawings.TICKETS_MAX_LIMIT})"),
) -> dict[str, Any]:
    """The verifiable-draw data published so far (PRODUCT.md §6): `seed_commitment` from open, `ticket_list_hash`
    from close with the ticket list paginated (issue 12 §5: `tickets` = page `page` of `"number:user_id"` lines
    exactly as hashed, `tickets_pagination` {page, limit, total, pages}; the whole list is the file at
    `ticket_list_url`, whose SHA-256 is `ticket_list_hash`), and after the draw `server_seed` (hex), `draw_seed`,
    `winners` in award order (`ticket_number`, `user_id`, `prize_rank`, `display_name` per the member's privacy),
    `alternates`, and the `recipe`. Check it with `python -m app.cli.verify_draw <this URL>` (it downloads the list).
    Out-of-bounds `page`/`limit` → 422 problem; a page past the end has no lines."""
    body = views.public_results(session, drawing_id, page=page, limit=limit).as_json()
    body["tickets_pagination"] = {"page": page, "limit": limit, "total": body["total_tickets"],
                                  "pages": body["tickets_pages"]}
    body["ticket_list_url"] = ticket_list_url(drawing_id) if body.get("ticket_list_hash") else None
    return body


@router.api_route("/{drawing_id}/ticket-list", methods=["GET", "HEAD"], response_class=Response,
                  summary="The frozen ticket list as a file (no sign-in); its SHA-256 is the published hash",
                  responses={200: {"content": {"text/plain": {}},
                                   "description": "`number:user_id` lines joined by a newline (UTF-8)"},
                             304: {"description": "Not modified (If-None-Match with the ETag)"},
                             404: {"description": "Unknown drawing, or sales have not closed yet"}})
def get_ticket_list(drawing_id: uuid.UUID, system: SystemDep,
                    if_none_match: str | None = Header(None)) -> Response:
    """The whole frozen ticket list of a closed or completed drawing (issue 12 §5), byte for byte as hashed at close:
    `ETag` = `"<ticket_list_hash>"`, `Repr-Digest: sha-256=:<base64>:` (RFC 9530), byte ranges supported
    (`app.web.downloads.ticket_list_response`)."""
    return ticket_list_response(system, drawing_id, if_none_match)


class PurchaseIn(BaseModel):
    """Buy `quantity` tickets (1..100). Send a fresh `idempotency_key` (e.g. a UUID) per purchase and the same one
    when retrying: a retry returns the original purchase instead of buying twice."""

    quantity: int = Field(..., description="Tickets to buy, 1..100")
    idempotency_key: str = Field(..., max_length=128, description="1..128 characters, unique per purchase")


class PurchaseOut(BaseModel):
    """A purchase: my new ticket numbers, points spent, my balance right after it (points), and `replayed` true
    when this idempotency key had already bought these tickets (nothing new was bought)."""

    drawing_id: uuid.UUID
    purchase_id: uuid.UUID | None
    quantity: int
    ticket_numbers: list[int]
    points_spent: int
    balance_after: int
    replayed: bool


@router.post("/{drawing_id}/tickets", response_model=PurchaseOut, status_code=201, summary="Buy tickets",
             responses={200: {"description": "A replay of an earlier purchase with this idempotency key"},
                        **PROBLEMS})
def buy_tickets(drawing_id: uuid.UUID, body: PurchaseIn, response: Response, user: CurrentUser,
                system: SystemDep) -> PurchaseOut:
    # The purchase and its ledger entry commit together; the recorded `BalanceChanged` then updates the member's open
    # pages, exactly as a purchase from the page does (no publishing here).
    with system.uow() as uow:
        bought = tickets.purchase(uow, user_id=user.id, drawing_id=drawing_id, quantity=body.quantity,
                                  idempotency_key=body.idempotency_key, clock=system.clock)
    if bought.replayed:
        response.status_code = 200
    return PurchaseOut(drawing_id=bought.drawing_id, purchase_id=bought.purchase_id,
                       quantity=len(bought.ticket_numbers), ticket_numbers=bought.ticket_numbers,
                       points_spent=bought.points_spent, balance_after=bought.balance_after, replayed=bought.replayed)


class FreeEntryOut(BaseModel):
    """My free alternate entry (no purchase necessary): a ticket with the same odds as a bought one."""

    drawing_id: uuid.UUID
    ticket_number: int
    is_free_entry: bool
    created_at: datetime


@router.post("/{drawing_id}/free-entry", response_model=FreeEntryOut, status_code=201,
             summary="Claim my free entry (one per drawing)", responses=PROBLEMS)
def free_entry(drawing_id: uuid.UUID, user: CurrentUser, system: SystemDep) -> FreeEntryOut:
    with system.uow() as uow:
        ticket = tickets.claim_free_entry(uow, user_id=user.id, drawing_id=drawing_id, clock=system.clock)
        return FreeEntryOut(drawing_id=ticket.drawing_id, ticket_number=ticket.ticket_number,
                            is_free_entry=ticket.is_free_entry, created_at=ticket.created_at)
