"""The sweepstakes part of the demo seed (PRODUCT.md §6 and §9; issue 3 item 3): 5 sponsors, 15 drawings in every
status (draft, scheduled, open, closed, completed, cancelled) and type (daily, weekly, monthly, annual), 20 prizes,
200+ tickets and 10 fulfillments in every status.

Tickets are written by the seed itself (purchases at past moments of each sales window), honestly:
- tickets bought with points are one ledger `spend` per purchase (`domain.points.ledger.post`, idempotency key per
  purchase, `Ticket.purchase_transaction_id` = the entry) with its `TicketPurchase` record; free alternate entries
  (`is_free_entry`) are tickets too, with their `FreeEntry` row (at most one per member per drawing); tickets are
  numbered 1, 2, … per drawing in purchase order;
- open, closed and completed drawings store their server seed and `seed_commitment` as
  `domain.sweepstakes.drawings.open_drawing` does; closed and completed drawings are closed by
  `domain.sweepstakes.drawings.close_drawing` (the frozen `ticket_list_hash`), and completed drawings are drawn by
  `domain.sweepstakes.drawings.execute_drawing` — the same code path as the scheduler, so the winners, the
  fulfillments (`domain.sweepstakes.fulfillment.create_for_win`), the in-app notifications and the audit entries are
  real and the results verify (never fabricated winners);
- fulfillments are then moved along their status flow (timestamps up to the status); a forfeited unit gets its
  alternate from `domain.sweepstakes.drawings.draw_alternate` (the same stream).

**No emails for the past.** Everything is written in one transaction opened with `system.db.transaction(policy)`, not
`system.uow()`, whose policy is `PastWins`: a `WinAwarded` event creates the win's fulfillment at once with
`fulfillment.create_for_win` — exactly what the System's policy does, but at the moment of the demo draw (so
`notified_at`, deadlines and audit times are the draw's, as before) — and a `MailRequested` event is dropped, so no
outbox row is written and no send job enqueued. After the commit the other events' effects run as for every entry
point (`system.effects.after_commit`: live balance and drawing messages).

**Seed-only server seeds:** real drawings take their server seed from `secrets.token_bytes` (`domain.sweepstakes.recipe.
new_server_seed`). The demo derives them as HMAC-SHA256(key=f"fittrack-demo-seed:{seed}", msg=f"drawing:{index}") so
the seed is deterministic — never do this outside the demo seed.

Written once, in one transaction: when the first seeded sponsor exists the whole module is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from faker import Faker
from sqlmodel import Session, select

from app.cli.fitbit_dataset import local_midnight
from domain.models import Drawing, FreeEntry, Prize, PrizeFulfillment, Sponsor, Ticket, TicketPurchase, User
from domain.points import ledger
from domain.shared.calendar import platform_day
from domain.shared.enums import DrawingStatus, DrawingType, FulfillmentStatus, FulfillmentType, TransactionType
from domain.shared.events import DomainEvent, MailRequested, WinAwarded
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import drawings, fulfillment, recipe

if TYPE_CHECKING:
    from app.system import System

SEED_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fittrack.test/demo-seed")
TAX_FORM_THRESHOLD_USD = 600  # PRODUCT.md §6: prizes of $600 or more need a tax form
ADDRESS_DAYS = 14  # days a winner has to confirm a shipping address (PRODUCT.md §6)
S, D, P = DrawingStatus, DrawingType, FulfillmentType
F = FulfillmentStatus


@dataclass(frozen=True)
class SeedEntrant:
    """A seeded non-admin member who may enter drawings; `has_points` members buy tickets, others claim free ones."""

    user_id: uuid.UUID
    email: str
    state_code: str
    display_name: str
    has_points: bool


@dataclass(frozen=True)
class PrizePlan:
    name: str
    value_usd: float
    fulfillment_type: FulfillmentType
    sponsor: int | None  # index into SPONSORS; None = FitTrack's own prize
    quantity: int = 1


@dataclass(frozen=True)
class DrawingPlan:
    """One demo drawing. Days are platform-day offsets from today; drawings run at 21:00 America/New_York and sales
    close 5 minutes earlier. `buyers` members buy tickets, `free` members claim a free entry. `fulfillments` gives
    the status of each prize unit's fulfillment (award order) for completed drawings; a forfeited unit's alternate
    gets `alternate`."""

    drawing_type: DrawingType
    status: DrawingStatus
    name: str
    cost: int
    open_day: int | None
    draw_day: int
    prizes: tuple[PrizePlan, ...]
    buyers: int = 0
    free: int = 0
    fulfillments: tuple[FulfillmentStatus, ...] = ()
    alternate: FulfillmentStatus | None = None
    closes_now: bool = False  # the closed drawing: sales closed 2 minutes ago, draws in 3 minutes
    draws_in_minutes: int | None = None  # an open drawing that closes and draws this soon after seeding (the demo
    # of a whole life on schedule in `make run`: open → closed → completed by the per-minute scheduler)


SPONSORS = (
    ("Stride Athletic Co.", "https://stride.example"), ("PeakFuel Nutrition", "https://peakfuel.example"),
    ("Northwind Fitness Gear", "https://northwind.example"), ("Cadence Audio", "https://cadence.example"),
    ("Summit Outdoor Supply", "https://summit.example"),
)
DRAWINGS: tuple[DrawingPlan, ...] = (
    DrawingPlan(D.daily, S.completed, "Daily Step-Up Draw", 25, -2, -2,
                (PrizePlan("$25 Stride gift card", 25, P.digital, 0),), buyers=14, free=2,
                fulfillments=(F.pending,)),
    DrawingPlan(D.daily, S.completed, "Daily Step-Up Draw", 25, -9, -9,
                (PrizePlan("$25 PeakFuel e-voucher", 25, P.digital, 1),), buyers=12, free=2,
                fulfillments=(F.delivered,)),
    DrawingPlan(D.weekly, S.completed, "Weekly Sweat Sweepstakes", 50, -9, -3,
                (PrizePlan("Cadence wireless sport earbuds", 150, P.physical, 3),
                 PrizePlan("$20 FitTrack store credit", 20, P.digital, None)), buyers=16, free=3,
                fulfillments=(F.address_invalid, F.winner_notified)),
    DrawingPlan(D.weekly, S.completed, "Weekly Sweat Sweepstakes", 50, -23, -17,
                (PrizePlan("Northwind yoga starter set", 100, P.physical, 2),), buyers=12, free=2,
                fulfillments=(F.shipped,)),
    DrawingPlan(D.monthly, S.completed, "Monthly Milestone Drawing", 100, -33, -5,
                (PrizePlan("GPS running smartwatch", 350, P.physical, 0),
                 PrizePlan("$50 PeakFuel e-voucher", 50, P.digital, 1)), buyers=16, free=2,
                fulfillments=(F.address_confirmed, F.delivered)),
    DrawingPlan(D.annual, S.completed, "Annual Grand Prize", 250, -385, -20,
                (PrizePlan("Smart folding treadmill", 1500, P.physical, 2),
                 PrizePlan("Summit trail-running pack", 250, P.physical, 4)), buyers=18, free=3,
                fulfillments=(F.forfeited, F.delivered), alternate=F.winner_notified),
    DrawingPlan(D.daily, S.closed, "Daily Step-Up Draw", 25, 0, 0,
                (PrizePlan("$25 Stride gift card", 25, P.digital, 0),), buyers=10, free=2, closes_now=True),
    DrawingPlan(D.daily, S.open, "Daily Step-Up Draw", 25, 0, 1,
                (PrizePlan("$25 Cadence music voucher", 25, P.digital, 3),), buyers=12, free=2, draws_in_minutes=20),
    DrawingPlan(D.weekly, S.open, "Weekly Sweat Sweepstakes", 50, -2, 4,
                (PrizePlan("Northwind adjustable dumbbells", 180, P.physical, 2),), buyers=14, free=2),
    DrawingPlan(D.monthly, S.open, "Monthly Milestone Drawing", 100, -18, 12,
                (PrizePlan("Summit insulated hydration kit", 120, P.physical, 4),
                 PrizePlan("$30 FitTrack store credit", 30, P.digital, None, quantity=2)), buyers=15, free=2),
    DrawingPlan(D.annual, S.open, "Annual Grand Prize — next season", 250, -325, 40,
                (PrizePlan("Indoor smart bike", 1800, P.physical, 2),
                 PrizePlan("$100 Stride gift card", 100, P.digital, 0, quantity=3)), buyers=18, free=3),
    DrawingPlan(D.weekly, S.scheduled, "Weekly Sweat Sweepstakes", 50, 5, 11,
                (PrizePlan("Cadence bone-conduction headphones", 130, P.physical, 3),)),
    DrawingPlan(D.monthly, S.scheduled, "Monthly Milestone Drawing", 100, 13, 43,
                (PrizePlan("Northwind recovery massage gun", 200, P.physical, 2),)),
    DrawingPlan(D.annual, S.draft, "Founders' Annual Sweepstakes", 250, 45, 410,
                (PrizePlan("Weekend trail-running retreat for two", 2400, P.physical, 4),)),
    DrawingPlan(D.weekly, S.cancelled, "Rainy-Week Bonus Draw", 50, -18, -12,
                (PrizePlan("Summit rain shell jacket", 160, P.physical, 4),)),
)
CARRIERS = ("UPS", "USPS", "FedEx")


@dataclass
class SweepstakesSeedResult:
    created: bool = False
    tickets: int = 0
    spends: int = 0
    fulfillments: int = 0
    drawings: dict[str, int] = field(default_factory=dict)


class PastWins:
    """The policy of the seed's sweepstakes transaction (module docstring, "No emails for the past"): `WinAwarded` →
    the win's fulfillment created now, with `at` as its clock (the demo draw's moment, set before each draw);
    `MailRequested` → nothing (the past needs no emails); any other event → the System's own policy."""

    def __init__(self, system: System, at: datetime) -> None:
        self.system = system
        self.at = at

    def __call__(self, uow: UnitOfWork, event: DomainEvent) -> None:
        if isinstance(event, WinAwarded):
            ticket = uow.get(Ticket, event.ticket_id)
            prize = uow.get(Prize, event.prize_id)
            assert ticket is not None and prize is not None, event
            moment = self.at
            fulfillment.create_for_win(uow, ticket=ticket, prize=prize, clock=lambda: moment)
        elif not isinstance(event, MailRequested):
            self.system.effects.policy(uow, event)


def seed_uuid(*parts: object) -> uuid.UUID:
    """A deterministic id for a seeded sweepstakes row (uuid5 in the demo-seed namespace)."""
    return uuid.uuid5(SEED_NAMESPACE, ":".join(str(p) for p in parts))


def seed_server_seed(seed: int, index: int) -> bytes:
    """SEED-ONLY: the demo's deterministic 32-byte server seed for drawing `index` (HMAC-SHA256 of the fixed seed).
    Real drawings use `domain.sweepstakes.recipe.new_server_seed()` (`secrets.token_bytes`)."""
    return hmac.new(f"fittrack-demo-seed:{seed}".encode(), f"drawing:{index}".encode(), hashlib.sha256).digest()


def _at(now: datetime, day_offset: int, hour: int = 0) -> datetime:
    return local_midnight(platform_day(now) + timedelta(days=day_offset)) + timedelta(hours=hour)


def _open_time(plan: DrawingPlan, now: datetime) -> datetime | None:
    if plan.draws_in_minutes is not None:  # opened two hours ago, whatever the time of day
        return now - timedelta(hours=2)
    return _at(now, plan.open_day) if plan.open_day is not None else None


def _rules(plan: DrawingPlan) -> str:
    return (
        f"{plan.name} — official rules, version 1.\n\nNO PURCHASE NECESSARY. Open to active FitTrack members who meet "
        "the age and state rules of the Terms (18+, 19 in AL and NE, 21 in MS; not NY, FL or RI) and the drawing's "
        "eligibility. Tickets cost "
        f"{plan.cost} points each, are final and are numbered in purchase order. Each eligible member may claim one "
        "free alternate entry with the same odds as a bought ticket; premium status never improves odds. Odds = your "
        "tickets / total tickets. One prize per member. Winners are drawn with the published verifiable recipe "
        "(seed commitment at opening, ticket-list hash at close, server seed revealed after the draw). Physical "
        f"prizes need a confirmed US shipping address within {ADDRESS_DAYS} days or they are forfeited and an "
        "alternate winner is drawn. Prizes of $600 or more require a tax form.\n\nRecipe:\n" + recipe.RECIPE
    )


def _address(fake: Faker, entrant: SeedEntrant, *, invalid: bool = False) -> dict:
    return {"name": entrant.display_name, "line1": fake.street_address(), "city": fake.city(),
            "state": entrant.state_code, "postal_code": "00000" if invalid else fake.postcode(), "country": "US"}


def _shape(row: PrizeFulfillment, status: FulfillmentStatus, *, prize: Prize, entrant: SeedEntrant,
           won_at: datetime, rng: random.Random, fake: Faker, now: datetime) -> None:
    """Move a fulfillment made by `create_for_win` along PRODUCT.md §6's flow up to `status` (all in the past)."""
    digital = prize.fulfillment_type == FulfillmentType.digital.value
    row.status = status.value
    row.notified_at = None if status == F.pending else won_at + timedelta(minutes=10)
    if status in (F.address_confirmed, F.shipped) or (status == F.delivered and not digital):
        row.shipping_address = _address(fake, entrant)
        row.address_confirmed_at = won_at + timedelta(days=1, hours=3)
    if status == F.address_invalid:
        row.shipping_address = _address(fake, entrant, invalid=True)
        row.notes = "Carrier could not verify the address (postal code 00000); winner asked to correct it."
    if status in (F.shipped, F.delivered) and not digital:
        row.carrier = rng.choice(CARRIERS)
        row.tracking_number = f"1Z{rng.randrange(10**15, 10**16)}"
        row.shipped_at = won_at + timedelta(days=3)
    if status == F.delivered:
        row.delivered_at = won_at + (timedelta(hours=1) if digital else timedelta(days=7))
    if status == F.forfeited:
        row.forfeit_at = won_at + timedelta(days=ADDRESS_DAYS)
        row.notes = f"No shipping address confirmed within {ADDRESS_DAYS} days; alternate winner drawn."
    row.updated_at = max(t for t in (row.notified_at, row.address_confirmed_at, row.shipped_at, row.delivered_at,
                                     row.forfeit_at, won_at) if t is not None)
    assert row.updated_at <= now, (status, row.updated_at, now)


def _sell_tickets(session: UnitOfWork, plan: DrawingPlan, drawing: Drawing, entrants: Sequence[SeedEntrant],
                  balances: dict[uuid.UUID, int], rng: random.Random, now: datetime,
                  clock: Callable[[], datetime], result: SweepstakesSeedResult) -> list[Ticket]:
    """Buy and claim this drawing's tickets: purchases (1–2 per buyer, 1–2 tickets each, never beyond the balance)
    and free entries at random moments of the sales window, numbered in time order."""
    if plan.buyers == 0 and plan.free == 0:
        return []
    assert drawing.open_time is not None
    start = max(drawing.open_time, now - timedelta(days=29))
    end = min(drawing.sales_close, now - timedelta(minutes=1))
    span = (end - start).total_seconds()
    payers = [e for e in entrants if e.has_points]
    buyers = rng.sample(payers, min(plan.buyers, len(payers)))
    others = [e for e in entrants if e not in buyers]
    claims: list[tuple[datetime, SeedEntrant, int]] = []  # (moment, member, quantity; 0 = free entry)
    for buyer in buyers:
        for _ in range(rng.randint(1, 2)):
            claims.append((start + timedelta(seconds=rng.uniform(0, span)), buyer, rng.randint(1, 2)))
    for member in rng.sample(others, min(plan.free, len(others))):
        claims.append((start + timedelta(seconds=rng.uniform(0, span)), member, 0))
    claims.sort(key=lambda c: (c[0], c[1].email))
    tickets: list[Ticket] = []
    records: list[TicketPurchase | FreeEntry] = []
    for k, (moment, member, quantity) in enumerate(claims):
        entry_id = None
        if quantity:
            quantity = min(quantity, balances[member.user_id] // plan.cost)
            if quantity == 0:
                continue
            posted = ledger.post(
                session, user_id=member.user_id, transaction_type=TransactionType.spend, amount=-plan.cost * quantity,
                idempotency_key=f"seed:ticket-purchase:{drawing.id}:{k}", reference_type="drawing",
                reference_id=str(drawing.id), description=f"{quantity} ticket(s) for {plan.name}",
                platform_day=platform_day(moment), clock=clock)
            balances[member.user_id] = posted.entry.balance_after
            entry_id = posted.entry.id
            result.spends += 1
        first = len(tickets) + 1
        for _ in range(max(quantity, 1)):
            number = len(tickets) + 1
            tickets.append(Ticket(id=seed_uuid("ticket", drawing.id, number), drawing_id=drawing.id,
                                  user_id=member.user_id, ticket_number=number, purchase_transaction_id=entry_id,
                                  is_free_entry=quantity == 0, created_at=moment))
        if entry_id is not None:
            records.append(TicketPurchase(
                id=seed_uuid("purchase", drawing.id, k), user_id=member.user_id, drawing_id=drawing.id,
                idempotency_key=f"seed:{drawing.id}:{k}", quantity=quantity, points_spent=plan.cost * quantity,
                transaction_id=entry_id, first_ticket_number=first, last_ticket_number=len(tickets),
                created_at=moment))
        else:
            records.append(FreeEntry(id=seed_uuid("free-entry", drawing.id, member.user_id), drawing_id=drawing.id,
                                     user_id=member.user_id, ticket_id=tickets[-1].id, created_at=moment))
    session.add_all(tickets)
    session.flush()  # tickets before the rows that reference them (no ORM relationships to order them)
    session.add_all(records)
    session.flush()
    result.tickets += len(tickets)
    return tickets


def _at_moment(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _fulfillment_of(session: Session, ticket_id: object) -> PrizeFulfillment:
    return session.exec(select(PrizeFulfillment).where(PrizeFulfillment.ticket_id == ticket_id)).one()


def _complete(session: UnitOfWork, plan: DrawingPlan, drawing: Drawing, tickets: list[Ticket],
              by_user: dict[uuid.UUID, SeedEntrant], rng: random.Random, fake: Faker, now: datetime,
              wins: PastWins, result: SweepstakesSeedResult) -> None:
    """Draw through `domain.sweepstakes.drawings.execute_drawing` (the scheduler's code path, PRODUCT.md §6) at the
    drawing time (`wins` creates the fulfillments at that moment), move each winner's fulfillment to its planned
    status, and draw the alternate for a forfeited unit with `domain.sweepstakes.drawings.draw_alternate` (same
    stream)."""
    won_at = drawing.drawing_time + timedelta(seconds=30)
    wins.at = won_at
    outcome = drawings.execute_drawing(session, drawing.id, clock=lambda: won_at)
    prizes = {p.id: p for p in drawings.prizes_of(session, drawing.id)}
    assert len(outcome.winners) == len(plan.fulfillments), "not enough entrants to award every prize"
    by_id = {t.id: t for t in tickets}
    forfeited: list[uuid.UUID] = []
    for k, win in enumerate(outcome.winners):
        status = plan.fulfillments[k]
        _shape(_fulfillment_of(session, win.ticket_id), status, prize=prizes[win.prize_id],
               entrant=by_user[by_id[win.ticket_id].user_id], won_at=won_at, rng=rng, fake=fake, now=now)
        if status == F.forfeited:
            forfeited.append(win.prize_id)
    session.flush()
    redrawn_at = won_at + timedelta(days=ADDRESS_DAYS, minutes=5)
    wins.at = redrawn_at
    for prize_id in forfeited:
        alternate = drawings.draw_alternate(session, drawing.id, prize_id, clock=lambda: redrawn_at)
        assert alternate is not None and plan.alternate is not None, "not enough entrants for the alternate"
        _shape(_fulfillment_of(session, alternate.ticket_id), plan.alternate, prize=prizes[prize_id],
               entrant=by_user[alternate.user_id], won_at=redrawn_at, rng=rng, fake=fake, now=now)
    session.flush()
    result.fulfillments += len(outcome.winners) + len(forfeited)


def seed_sweepstakes(
    system: System,
    *,
    entrants: Sequence[SeedEntrant],
    admin_id: uuid.UUID | None,
    now: datetime,
    seed: int,
    clock: Callable[[], datetime] = utcnow,
    on_total: Callable[[int], None] = lambda _n: None,
    advance: Callable[[], None] = lambda: None,
) -> SweepstakesSeedResult:
    """Write the sweepstakes demo (module docstring) in one transaction of its own, once: returns `created=False`
    without writing when the first seeded sponsor already exists. `entrants` (spec order, deterministic) are the
    members who may enter; spends go through `domain.points.ledger.post`. `on_total`/`advance` drive a progress bar
    (one step per drawing). Past wins create their fulfillments without emails (`PastWins`); after the commit the
    effects of the other events run (`system.effects.after_commit`). Raises `AssertionError` if there are too few
    entrants to award every prize (nothing is written)."""
    wins = PastWins(system, now)
    with system.db.transaction(wins) as uow:
        result = _write(uow, entrants=entrants, admin_id=admin_id, now=now, seed=seed, clock=clock,
                        on_total=on_total, advance=advance, wins=wins)
        events = list(uow.events)
    system.effects.after_commit(events)
    return result


def _write(session: UnitOfWork, *, entrants: Sequence[SeedEntrant], admin_id: uuid.UUID | None, now: datetime,
           seed: int, clock: Callable[[], datetime], on_total: Callable[[int], None], advance: Callable[[], None],
           wins: PastWins) -> SweepstakesSeedResult:
    result = SweepstakesSeedResult()
    if session.get(Sponsor, seed_uuid("sponsor", 0)) is not None:
        return result
    on_total(len(DRAWINGS))
    rng = random.Random(f"{seed}:sweepstakes")
    fake = Faker("en_US")
    fake.seed_instance(seed + 6)
    sponsors = []
    for i, (name, url) in enumerate(SPONSORS):
        contact = fake.name()
        sponsors.append(Sponsor(
            id=seed_uuid("sponsor", i), name=name, contact_name=contact, website_url=url,
            contact_email=f"{contact.split()[0].lower()}@{url.split('//')[1]}",
            contact_phone=fake.numerify("###-###-####"),
            logo_url=f"{url}/logo.png", notes="Demo sponsor (seed data)", created_at=now, updated_at=now))
    session.add_all(sponsors)
    balances = {e.user_id: session.get(User, e.user_id).point_balance for e in entrants}  # type: ignore[union-attr]
    by_user = {e.user_id: e for e in entrants}
    for index, plan in enumerate(DRAWINGS):
        drawing_time = now + timedelta(minutes=3) if plan.closes_now else _at(now, plan.draw_day, 21)
        if plan.draws_in_minutes is not None:
            drawing_time = now + timedelta(minutes=plan.draws_in_minutes)
        drawing = Drawing(
            id=seed_uuid("drawing", index), drawing_type=plan.drawing_type.value, name=plan.name,
            description=f"{plan.drawing_type.value.capitalize()} drawing — spend {plan.cost} points per ticket or "
                        "claim your free entry.",
            ticket_cost_points=plan.cost, open_time=_open_time(plan, now),
            drawing_time=drawing_time,
            sales_close=now - timedelta(minutes=2) if plan.closes_now else drawing_time - timedelta(minutes=5),
            eligibility={"tiers": [], "roles": ["user", "premium"], "min_account_age_days": 0},
            status=S.open.value if plan.status in (S.closed, S.completed) else plan.status.value,
            rules_text=_rules(plan), rules_version=1, created_by=admin_id,
            created_at=now - timedelta(days=max(0, -(plan.open_day or 0)) + 3), updated_at=now)
        session.add(drawing)
        prizes = [Prize(id=seed_uuid("prize", index, rank), drawing_id=drawing.id,
                        sponsor_id=sponsors[p.sponsor].id if p.sponsor is not None else None, prize_rank=rank,
                        name=p.name, description=f"{p.name} (approx. retail value ${p.value_usd:,.0f})",
                        value_usd=p.value_usd, quantity=p.quantity, fulfillment_type=p.fulfillment_type.value,
                        image_url=f"/assets/prizes/{seed_uuid('prize', index, rank)}.png", created_at=now)
                  for rank, p in enumerate(plan.prizes, start=1)]
        session.add_all(prizes)
        session.flush()
        tickets = _sell_tickets(session, plan, drawing, entrants, balances, rng, now, clock, result)
        drawing.total_tickets = len(tickets)
        server_seed = seed_server_seed(seed, index)
        if plan.status in (S.open, S.closed, S.completed, S.cancelled):
            drawing.seed_commitment = recipe.seed_commitment(server_seed)
        if plan.status in (S.open, S.closed, S.completed):
            # as `domain.sweepstakes.drawings.open_drawing` stores it (secret until the draw), so the scheduler can draw
            # it later
            drawing.server_seed_hex, drawing.rules_frozen_at = server_seed.hex(), drawing.open_time
        if plan.status == S.cancelled:
            drawing.results = {"cancelled": True, "reason": drawings.NO_TICKETS_REASON}
        session.add(drawing)
        session.flush()
        if plan.status in (S.closed, S.completed):
            drawings.close_drawing(session, drawing.id, clock=_at_moment(drawing.sales_close))
        if plan.status == S.completed:
            _complete(session, plan, drawing, tickets, by_user, rng, fake, now, wins, result)
        result.drawings[plan.status.value] = result.drawings.get(plan.status.value, 0) + 1
        advance()
    result.created = True
    return result
