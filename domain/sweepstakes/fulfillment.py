"""Prize fulfillment (PRODUCT.md §6 "Fulfillment", §7 admin fulfillment queue; issue 6 §6, issue 7 §3).

Status flow (`TRANSITIONS`; anything else is refused with Conflict):

    pending → winner_notified → address_confirmed | address_invalid → shipped → delivered, or forfeited

- `create_for_win` (called by the draw engine for every new win) creates the fulfillment as `winner_notified`:
  a physical prize gets a deadline 14 days later to confirm a shipping address; a digital prize gets a code
  (`secrets`), shown only to the winner, and is `delivered` once the winner reveals it; a prize worth $600 or more
  sets `tax_form_needed`.
- The winner confirms (or corrects, until it ships) the address with `confirm_address`; admins `mark_address_invalid`
  (the winner is asked again, with a new 14-day deadline), `ship` (carrier + tracking number), `mark_delivered` and
  `forfeit` (with a reason; an alternate winner is drawn from the same frozen ticket list,
  `domain.sweepstakes.drawings.draw_alternate`).
- `process_deadlines` (hourly task): a reminder on day 7 (once; in-app now, email by the caller) and, after 14 days
  without a confirmed address, forfeiture and an alternate.

Every change writes an audit entry (`domain.audit.record`, action `fulfillment.<verb>`): the admin's id for admin
actions, the winner's id for their own, None for the system (deadlines, creation). Winners get an in-app notification
(`domain.messaging.notifications.notify`) in the same transaction. Emails are the caller's job (domain never imports
`app`): each service records `MailRequested` on the unit of work, whose policy queues the outbox email inside the
same transaction (`app.services.effects`).

Services flush, never commit. Times are UTC; money is USD.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit
from domain.accounts.eligibility import US_STATES, normalize_state, state_problem
from domain.messaging import notifications
from domain.models import Drawing, Prize, PrizeFulfillment, Profile, Ticket, User
from domain.shared.enums import FulfillmentStatus, FulfillmentType, UserStatus
from domain.shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.shared.events import MailRequested
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes.drawings import draw_alternate

Clock = Callable[[], datetime]
S = FulfillmentStatus

CLAIM_WINDOW: Final = timedelta(days=14)  # PRODUCT.md §6: 14 days to confirm a shipping address
REMINDER_BEFORE_DEADLINE: Final = timedelta(days=7)  # the reminder on day 7 of 14
TAX_FORM_THRESHOLD_USD: Final = 600.0  # PRODUCT.md §6: prizes of $600 or more need a tax form
REASON_MAX_CHARS: Final = 500
CODE_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
DEADLINE_FORFEIT_REASON: Final = "No shipping address was confirmed within 14 days"

TRANSITIONS: Final[dict[S, frozenset[S]]] = {
    S.pending: frozenset({S.winner_notified, S.forfeited}),
    S.winner_notified: frozenset({S.address_confirmed, S.delivered, S.forfeited}),  # delivered: digital code
    S.address_confirmed: frozenset({S.address_confirmed, S.address_invalid, S.shipped, S.forfeited}),
    S.address_invalid: frozenset({S.address_confirmed, S.forfeited}),
    S.shipped: frozenset({S.delivered}),
    S.delivered: frozenset(),
    S.forfeited: frozenset(),
}
AWAITING_ADDRESS: Final = (S.winner_notified.value, S.address_invalid.value)
OPEN_STATUSES: Final = tuple(s.value for s in (S.pending, S.winner_notified, S.address_confirmed, S.address_invalid,
                                                S.shipped))

QUEUE_ORDER: Final = {S.address_confirmed.value: 0, S.address_invalid.value: 1, S.winner_notified.value: 2,
                      S.pending.value: 3, S.shipped.value: 4, S.delivered.value: 5, S.forfeited.value: 6}
ADDRESS_LIMITS: Final = {"full_name": 100, "line1": 100, "line2": 100, "city": 64, "state": 2, "postal_code": 10,
                         "phone": 20}
ADDRESS_REQUIRED: Final = ("full_name", "line1", "city", "state", "postal_code")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_PHONE = re.compile(r"^\+?[0-9 ().-]{7,20}$")


# ------------------------------------------------------------------------------------------------- value types
@dataclass(frozen=True)
class FulfillmentView:
    """A fulfillment with what screens need about its prize, drawing and winner. `digital_code` is filled only
    for the winner's own view (`for_member`, `get_for_member`) and only once revealed; admin lists never carry it."""

    id: uuid.UUID
    status: str
    user_id: uuid.UUID
    display_name: str
    email: str
    prize_id: uuid.UUID
    prize_name: str
    prize_value_usd: float
    prize_rank: int
    fulfillment_type: str
    drawing_id: uuid.UUID
    drawing_name: str
    ticket_number: int
    tax_form_needed: bool
    deadline_at: datetime | None
    notified_at: datetime | None
    reminder_sent_at: datetime | None
    address_confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    forfeit_at: datetime | None
    shipping_address: dict[str, Any] | None
    carrier: str | None
    tracking_number: str | None
    notes: str | None
    created_at: datetime
    digital_code: str | None = None

    @property
    def is_digital(self) -> bool:
        return self.fulfillment_type == FulfillmentType.digital.value

    @property
    def awaiting_address(self) -> bool:
        return not self.is_digital and self.status in AWAITING_ADDRESS


@dataclass
class DeadlineReport:
    """What one `process_deadlines` run did: ids of the fulfillments reminded and forfeited, the new fulfillments
    of alternate winners, and the prize ids for which no alternate was left (tickets ran out)."""

    reminded: list[uuid.UUID] = field(default_factory=list)
    forfeited: list[uuid.UUID] = field(default_factory=list)
    alternates: list[uuid.UUID] = field(default_factory=list)
    unfilled_prizes: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class ForfeitOutcome:
    """A forfeited fulfillment and the alternate winner's new fulfillment (None when the tickets ran out)."""

    fulfillment: PrizeFulfillment
    alternate: PrizeFulfillment | None


# ------------------------------------------------------------------------------------------------- helpers
def needs_tax_form(value_usd: float | None) -> bool:
    """True when a prize worth `value_usd` (USD per unit) puts a "tax form needed" flag on its winner (PRODUCT.md §6:
    prizes of $600 or more)."""
    return float(value_usd or 0) >= TAX_FORM_THRESHOLD_USD


def generate_code() -> str:
    """A digital prize code such as "FT-7KQ2-M9XD-4HPA" (60 bits from `secrets`)."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
    return "FT-" + "-".join(groups)


def _lock(session: Session, fulfillment_id: uuid.UUID) -> PrizeFulfillment:
    row = session.get(PrizeFulfillment, fulfillment_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"fulfillment {fulfillment_id} does not exist")
    return row


def _require(row: PrizeFulfillment, target: S, action: str) -> None:
    allowed = TRANSITIONS[S(row.status)]
    if target not in allowed:
        raise Conflict(f"Cannot {action}: the prize is {row.status.replace('_', ' ')}", current_status=row.status)


def _reason(reason: str | None, *, required: bool = True) -> str | None:
    text = (reason or "").strip()
    if not text:
        if required:
            raise InvalidInput("A reason is required", field="reason")
        return None
    if len(text) > REASON_MAX_CHARS:
        raise InvalidInput(f"The reason must be at most {REASON_MAX_CHARS} characters", field="reason")
    return text


def _snapshot(row: PrizeFulfillment) -> dict[str, Any]:
    return {"status": row.status, "deadline_at": row.deadline_at, "carrier": row.carrier,
            "tracking_number": row.tracking_number}


def _prize(session: Session, row: PrizeFulfillment) -> Prize:
    prize = session.get(Prize, row.prize_id)
    if prize is None:  # a foreign key guarantees it; keeps type checkers honest
        raise NotFound(f"prize {row.prize_id} does not exist")
    return prize


def _is_digital(session: Session, row: PrizeFulfillment) -> bool:
    return _prize(session, row).fulfillment_type == FulfillmentType.digital.value


def claim_path(fulfillment_id: uuid.UUID) -> str:
    """The winner's page for this prize: "/prizes/<id>"."""
    return f"/prizes/{fulfillment_id}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%B %-d, %Y at %H:%M UTC") if moment else ""


def _request_mail(session: UnitOfWork, row: PrizeFulfillment, template: str, **extra: str) -> None:
    """Record `MailRequested` for the winner (its policy queues the email in this transaction, with an absolute
    `link` to the prize page); nothing for deleted or e-mail-less accounts."""
    user = session.get(User, row.user_id)
    if user is None or not user.email or user.status == UserStatus.deleted.value:
        return
    profile = session.exec(select(Profile).where(Profile.user_id == row.user_id)).first()
    prize = _prize(session, row)
    drawing = session.get(Drawing, prize.drawing_id)
    context = {"display_name": profile.display_name if profile else user.email.split("@", 1)[0],
               "prize_name": prize.name, "drawing_name": drawing.name if drawing else "",
               "deadline": _when(row.deadline_at), **extra}
    session.record(MailRequested(to=user.email, template=template, context=context, path=claim_path(row.id)))


def _notify(session: UnitOfWork, row: PrizeFulfillment, kind: str, title: str, body: str, clock: Clock) -> None:
    notifications.notify(session, user_id=row.user_id, kind=kind, title=title, body=body,
                         link=claim_path(row.id), clock=clock)


def _save(session: UnitOfWork, row: PrizeFulfillment, now: datetime) -> PrizeFulfillment:
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


# ------------------------------------------------------------------------------------------------- creation
def create_for_win(session: UnitOfWork, *, ticket: Ticket, prize: Prize, clock: Clock = utcnow) -> PrizeFulfillment:
    """The fulfillment of a new win (PRODUCT.md §6: "each win creates a fulfillment"), flushed, status
    `winner_notified`, `notified_at` = now. Physical prize: `deadline_at` = now + 14 days to confirm an address.
    Digital prize: a code from `secrets` (shown only to the winner), no deadline. `tax_form_needed` when the prize is
    worth $600 or more. Audited (`fulfillment.created`, system actor); the winner is notified in-app
    ("drawing_won") and by email (`MailRequested`). Runs as the policy of `WinAwarded` (`app.services.effects`).

    Idempotent: a second call for the same ticket and prize returns the existing fulfillment. Raises InvalidInput
    when the ticket belongs to another drawing than the prize."""
    if ticket.drawing_id != prize.drawing_id:
        raise InvalidInput("The ticket and the prize belong to different drawings")
    existing = session.exec(select(PrizeFulfillment).where(PrizeFulfillment.ticket_id == ticket.id,
                                                           PrizeFulfillment.prize_id == prize.id)).first()
    if existing is not None:
        return existing
    now = clock()
    digital = prize.fulfillment_type == FulfillmentType.digital.value
    row = PrizeFulfillment(
        ticket_id=ticket.id, prize_id=prize.id, user_id=ticket.user_id, status=S.winner_notified.value,
        digital_code=generate_code() if digital else None,
        tax_form_needed=needs_tax_form(prize.value_usd),
        notified_at=now, deadline_at=None if digital else now + CLAIM_WINDOW, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor_id=None, action="fulfillment.created", target_type="prize_fulfillment",
                 target_id=row.id, after={"status": row.status, "prize_id": prize.id, "ticket_id": ticket.id,
                                          "user_id": ticket.user_id, "deadline_at": row.deadline_at,
                                          "tax_form_needed": row.tax_form_needed}, clock=clock)
    next_step = ("Open the prize page to reveal your code." if digital else
                 f"Confirm your shipping address by {_when(row.deadline_at)} or the prize goes to an alternate winner.")
    drawing = session.get(Drawing, prize.drawing_id)
    _notify(session, row, "drawing_won", f"You won {prize.name}!",
            f"Your ticket #{ticket.ticket_number} won in {drawing.name if drawing else 'a drawing'}. "
            + ("Open the prize to see your code." if digital
               else "Confirm your shipping address within 14 days to receive it."), clock)
    _request_mail(session, row, "drawing_won", next_step=next_step)
    return row


# ------------------------------------------------------------------------------------------------- the winner
def address_problems(address: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Validate a US shipping address. Returns (normalised address, problems by field); problems is empty when it
    is valid. Fields: full_name, line1, city, state (two-letter code of an eligible state), postal_code (ZIP or
    ZIP+4) required; line2, phone optional. The normalised address adds `country` = "US"."""
    clean: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, limit in ADDRESS_LIMITS.items():
        value = " ".join(str(address.get(name) or "").split())
        if name == "state":
            value = normalize_state(value)
        if not value:
            if name in ADDRESS_REQUIRED:
                problems[name] = "Required"
            continue
        if len(value) > limit:
            problems[name] = f"At most {limit} characters"
        clean[name] = value
    state = clean.get("state")
    if state and "state" not in problems:
        if state not in US_STATES:
            problems["state"] = "Use the two-letter code of a US state"
        elif state_problem(state) is not None:
            problems["state"] = f"Prizes cannot ship to {state}: the sweepstakes is void there"
    if clean.get("postal_code") and not _ZIP.match(clean["postal_code"]):
        problems["postal_code"] = "Use a 5-digit ZIP code (or ZIP+4)"
    if clean.get("phone") and not _PHONE.match(clean["phone"]):
        problems["phone"] = "Digits, spaces and + ( ) - . only"
    clean["country"] = "US"
    return clean, problems


def _own(session: Session, fulfillment_id: uuid.UUID, user_id: uuid.UUID) -> PrizeFulfillment:
    row = _lock(session, fulfillment_id)
    if row.user_id != user_id:
        raise NotFound(f"fulfillment {fulfillment_id} does not exist")  # never confirm someone else's prize exists
    return row


def confirm_address(session: UnitOfWork, fulfillment_id: uuid.UUID, *, user_id: uuid.UUID, address: Mapping[str, Any],
                    clock: Clock = utcnow) -> PrizeFulfillment:
    """The winner `user_id` confirms (or, until it ships, corrects) the shipping address of a physical prize;
    → `address_confirmed`. `address` as in `address_problems`. Audited (actor: the winner).

    Raises NotFound (unknown, or another member's prize), InvalidInput (first problem; `field` names it),
    Conflict (digital prize; already shipped, delivered or forfeited; the deadline has passed)."""
    row = _own(session, fulfillment_id, user_id)
    if _is_digital(session, row):
        raise Conflict("A digital prize needs no shipping address")
    _require(row, S.address_confirmed, "confirm an address")
    now = clock()
    if row.status in AWAITING_ADDRESS and row.deadline_at is not None and now >= row.deadline_at:
        raise Conflict("The deadline to confirm an address has passed")
    clean, problems = address_problems(address)
    if problems:
        name, message = next(iter(problems.items()))
        raise InvalidInput(f"{name.replace('_', ' ').capitalize()}: {message}", field=name)
    before = _snapshot(row)
    row.status, row.shipping_address, row.address_confirmed_at = S.address_confirmed.value, clean, now
    audit.record(session, actor_id=user_id, action="fulfillment.address_confirmed", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after={"status": row.status, "state": clean["state"]}, clock=clock)
    return _save(session, row, now)


def reveal_code(session: UnitOfWork, fulfillment_id: uuid.UUID, *, user_id: uuid.UUID,
                clock: Clock = utcnow) -> PrizeFulfillment:
    """The winner reveals the code of a digital prize; the first reveal marks it `delivered` (audited, actor: the
    winner); later calls return it unchanged. Raises NotFound (unknown or not theirs), Conflict (physical prize,
    or forfeited)."""
    row = _own(session, fulfillment_id, user_id)
    if not _is_digital(session, row) or not row.digital_code:
        raise Conflict("Only digital prizes have a code")
    if row.status == S.delivered.value:
        return row
    _require(row, S.delivered, "reveal the code")
    now = clock()
    before = _snapshot(row)
    row.status, row.delivered_at = S.delivered.value, now
    audit.record(session, actor_id=user_id, action="fulfillment.code_revealed", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after={"status": row.status}, clock=clock)
    return _save(session, row, now)


# ------------------------------------------------------------------------------------------------- admin actions
def _admin(session: Session, admin_id: uuid.UUID) -> None:
    actor = session.get(User, admin_id)
    if actor is None or actor.role != "admin" or actor.status != UserStatus.active.value:
        raise Forbidden("Only an active administrator can manage fulfillments")


def mark_address_invalid(session: UnitOfWork, fulfillment_id: uuid.UUID, *, admin_id: uuid.UUID, reason: str,
                         ip_address: str | None = None, clock: Clock = utcnow) -> PrizeFulfillment:
    """Admin: the confirmed address cannot be shipped to (`address_confirmed` → `address_invalid`). The winner is
    asked again with a new 14-day deadline (and a new day-7 reminder): in-app now, email "address_invalid" via the
    caller. Audited. Raises InvalidInput (reason missing / over 500 chars), NotFound, Forbidden (not an active
    admin), Conflict (any other status)."""
    text = _reason(reason)
    _admin(session, admin_id)
    row = _lock(session, fulfillment_id)
    _require(row, S.address_invalid, "mark the address invalid")
    now = clock()
    before = _snapshot(row)
    row.status, row.deadline_at, row.reminder_sent_at = S.address_invalid.value, now + CLAIM_WINDOW, None
    row.notes = text
    audit.record(session, actor_id=admin_id, action="fulfillment.address_invalid", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after={**_snapshot(row), "reason": text}, ip_address=ip_address,
                 clock=clock)
    _notify(session, row, "address_invalid", "We could not ship to your address",
            f"{text} Please enter your shipping address again by {_when(row.deadline_at)}.", clock)
    _request_mail(session, row, "address_invalid", reason=text or "")
    return _save(session, row, now)


def ship(session: UnitOfWork, fulfillment_id: uuid.UUID, *, admin_id: uuid.UUID, carrier: str, tracking_number: str,
         ip_address: str | None = None, clock: Clock = utcnow) -> PrizeFulfillment:
    """Admin: the prize left (`address_confirmed` → `shipped`) with `carrier` (≤ 64 chars) and `tracking_number`
    (≤ 128 chars), both required. The winner is told in-app and by email ("prize_shipped", via the caller).
    Audited. Raises InvalidInput, NotFound, Forbidden, Conflict (not address_confirmed)."""
    carrier, tracking_number = " ".join((carrier or "").split()), (tracking_number or "").strip()
    if not carrier or len(carrier) > 64:
        raise InvalidInput("A carrier of 1 to 64 characters is required", field="carrier")
    if not tracking_number or len(tracking_number) > 128:
        raise InvalidInput("A tracking number of 1 to 128 characters is required", field="tracking_number")
    _admin(session, admin_id)
    row = _lock(session, fulfillment_id)
    _require(row, S.shipped, "ship")
    now = clock()
    before = _snapshot(row)
    row.status, row.carrier, row.tracking_number, row.shipped_at = S.shipped.value, carrier, tracking_number, now
    audit.record(session, actor_id=admin_id, action="fulfillment.shipped", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after=_snapshot(row), ip_address=ip_address, clock=clock)
    prize = _prize(session, row)
    _notify(session, row, "prize_shipped", f"Your prize has shipped: {prize.name}",
            f"{carrier}, tracking number {tracking_number}.", clock)
    _request_mail(session, row, "prize_shipped", carrier=carrier, tracking_number=tracking_number)
    return _save(session, row, now)


def mark_delivered(session: UnitOfWork, fulfillment_id: uuid.UUID, *, admin_id: uuid.UUID,
                   ip_address: str | None = None, clock: Clock = utcnow) -> PrizeFulfillment:
    """Admin: the prize arrived (`shipped` → `delivered`; a digital prize also from `winner_notified`). Audited.
    Raises NotFound, Forbidden, Conflict."""
    _admin(session, admin_id)
    row = _lock(session, fulfillment_id)
    if row.status == S.winner_notified.value and not _is_digital(session, row):
        raise Conflict("Cannot mark delivered: the prize has not shipped", current_status=row.status)
    _require(row, S.delivered, "mark delivered")
    now = clock()
    before = _snapshot(row)
    row.status, row.delivered_at = S.delivered.value, now
    audit.record(session, actor_id=admin_id, action="fulfillment.delivered", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after=_snapshot(row), ip_address=ip_address, clock=clock)
    return _save(session, row, now)


def _forfeit(session: UnitOfWork, row: PrizeFulfillment, *, actor_id: uuid.UUID | None, reason: str,
             ip_address: str | None, clock: Clock) -> ForfeitOutcome:
    _require(row, S.forfeited, "forfeit")
    now = clock()
    before = _snapshot(row)
    row.status, row.forfeit_at, row.notes = S.forfeited.value, now, reason
    _save(session, row, now)
    audit.record(session, actor_id=actor_id, action="fulfillment.forfeited", target_type="prize_fulfillment",
                 target_id=row.id, before=before, after={"status": row.status, "reason": reason},
                 ip_address=ip_address, clock=clock)
    prize = _prize(session, row)
    _notify(session, row, "prize_forfeited", f"Prize forfeited: {prize.name}", reason, clock)
    _request_mail(session, row, "prize_forfeited", reason=reason)
    session.flush()
    win = draw_alternate(session, prize.drawing_id, prize.id, clock=clock)
    alternate = None
    if win is not None:
        alternate = session.exec(select(PrizeFulfillment).where(
            PrizeFulfillment.ticket_id == win.ticket_id, PrizeFulfillment.prize_id == prize.id)).first()
    return ForfeitOutcome(row, alternate)


def forfeit_with_alternate(session: UnitOfWork, fulfillment_id: uuid.UUID, *, admin_id: uuid.UUID, reason: str,
                           ip_address: str | None = None, clock: Clock = utcnow) -> ForfeitOutcome:
    """Admin: forfeit a prize that has not shipped, with a reason (required, ≤ 500 chars), and draw an alternate
    winner from the same frozen ticket list, continuing the draw stream (`domain.sweepstakes.drawings.draw_alternate`,
    PRODUCT.md §6). The winner is told in-app and by email ("prize_forfeited"); the alternate's fulfillment is
    created by the draw engine (`create_for_win`). Audited. Raises InvalidInput, NotFound, Forbidden, Conflict
    (shipped, delivered or already forfeited)."""
    text = _reason(reason)
    assert text is not None
    _admin(session, admin_id)
    row = _lock(session, fulfillment_id)
    return _forfeit(session, row, actor_id=admin_id, reason=text, ip_address=ip_address, clock=clock)


def forfeit(session: UnitOfWork, fulfillment_id: uuid.UUID, *, admin_id: uuid.UUID, reason: str,
            ip_address: str | None = None, clock: Clock = utcnow) -> PrizeFulfillment:
    """`forfeit_with_alternate`, returning only the forfeited fulfillment."""
    return forfeit_with_alternate(session, fulfillment_id, admin_id=admin_id, reason=reason, ip_address=ip_address,
                                  clock=clock).fulfillment


# ------------------------------------------------------------------------------------------------- deadlines
def due_deadlines(session: Session, now: datetime) -> list[tuple[str, uuid.UUID]]:
    """What is due at `now`: ("forfeit", id) for physical prizes still waiting for an address at or after their
    deadline, then ("remind", id) for those within 7 days of it that have had no reminder yet."""
    waiting = (col(PrizeFulfillment.status).in_(AWAITING_ADDRESS), col(PrizeFulfillment.deadline_at).is_not(None))
    expired = session.exec(select(PrizeFulfillment.id).where(*waiting, col(PrizeFulfillment.deadline_at) <= now)
                           .order_by(col(PrizeFulfillment.deadline_at))).all()
    remind = session.exec(select(PrizeFulfillment.id).where(
        *waiting, col(PrizeFulfillment.deadline_at) > now, col(PrizeFulfillment.reminder_sent_at).is_(None),
        col(PrizeFulfillment.deadline_at) <= now + REMINDER_BEFORE_DEADLINE,
    ).order_by(col(PrizeFulfillment.deadline_at))).all()
    return [("forfeit", i) for i in expired] + [("remind", i) for i in remind]


def send_reminder(session: UnitOfWork, fulfillment_id: uuid.UUID, now: datetime) -> bool:
    """The day-7 reminder for one fulfillment, once: in-app notification, email "address_reminder" (via the
    caller), `reminder_sent_at` = now. Returns False (nothing done) when it is no longer due — already reminded,
    address confirmed, or past the deadline — so two runners at once remind once."""
    row = _lock(session, fulfillment_id)
    if (row.status not in AWAITING_ADDRESS or row.deadline_at is None or row.reminder_sent_at is not None
            or not now < row.deadline_at <= now + REMINDER_BEFORE_DEADLINE):
        return False
    row.reminder_sent_at = now
    _save(session, row, now)
    prize = _prize(session, row)
    _notify(session, row, "address_reminder", f"Confirm your address for {prize.name}",
            f"You have until {_when(row.deadline_at)} to confirm your shipping address.", lambda: now)
    _request_mail(session, row, "address_reminder")
    return True


def expire(session: UnitOfWork, fulfillment_id: uuid.UUID, now: datetime) -> ForfeitOutcome | None:
    """Forfeit one fulfillment whose 14 days have passed without a confirmed address (system actor) and draw an
    alternate. Returns None (nothing done) when it is no longer due (confirmed meanwhile, or already forfeited)."""
    row = _lock(session, fulfillment_id)
    if row.status not in AWAITING_ADDRESS or row.deadline_at is None or row.deadline_at > now:
        return None
    return _forfeit(session, row, actor_id=None, reason=DEADLINE_FORFEIT_REASON, ip_address=None,
                    clock=lambda: now)


def process_deadlines(session: UnitOfWork, now: datetime) -> DeadlineReport:
    """Everything due at `now` (`due_deadlines`) in this one transaction: forfeits (+ alternates) and day-7
    reminders. Safe to rerun: every step re-checks its row under a lock. (The hourly task runs each step in its
    own transaction instead, so one failing drawing cannot hold back the others.)"""
    report = DeadlineReport()
    for kind, fulfillment_id in due_deadlines(session, now):
        apply_due(session, kind, fulfillment_id, now, report)
    return report


def apply_due(session: UnitOfWork, kind: str, fulfillment_id: uuid.UUID, now: datetime, report: DeadlineReport) -> None:
    """Run one `due_deadlines` step ("remind" | "forfeit") and add what it did to `report`."""
    if kind == "remind":
        if send_reminder(session, fulfillment_id, now):
            report.reminded.append(fulfillment_id)
        return
    outcome = expire(session, fulfillment_id, now)
    if outcome is None:
        return
    report.forfeited.append(fulfillment_id)
    if outcome.alternate is not None:
        report.alternates.append(outcome.alternate.id)
    else:
        report.unfilled_prizes.append(outcome.fulfillment.prize_id)


# ------------------------------------------------------------------------------------------------- reading
def _view_query() -> Any:  # sa.Select of (fulfillment, prize, drawing, ticket, user, profile)
    return (sa.select(PrizeFulfillment, Prize, Drawing, Ticket, User, Profile)
            .join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id))
            .join(Drawing, col(Drawing.id) == col(Prize.drawing_id))
            .join(Ticket, col(Ticket.id) == col(PrizeFulfillment.ticket_id))
            .join(User, col(User.id) == col(PrizeFulfillment.user_id))
            .join(Profile, col(Profile.user_id) == col(User.id), isouter=True))


def _view(row: Any, *, with_code: bool) -> FulfillmentView:
    f, prize, drawing, ticket, user, profile = row
    name = profile.display_name if profile else (user.email.split("@", 1)[0] if user.email else "Former member")
    revealed = with_code and f.status == S.delivered.value
    return FulfillmentView(
        id=f.id, status=f.status, user_id=f.user_id, display_name=name, email=user.email or "",
        prize_id=prize.id, prize_name=prize.name, prize_value_usd=float(prize.value_usd or 0),
        prize_rank=prize.prize_rank, fulfillment_type=prize.fulfillment_type, drawing_id=drawing.id,
        drawing_name=drawing.name, ticket_number=ticket.ticket_number, tax_form_needed=f.tax_form_needed,
        deadline_at=f.deadline_at, notified_at=f.notified_at, reminder_sent_at=f.reminder_sent_at,
        address_confirmed_at=f.address_confirmed_at, shipped_at=f.shipped_at, delivered_at=f.delivered_at,
        forfeit_at=f.forfeit_at, shipping_address=f.shipping_address, carrier=f.carrier,
        tracking_number=f.tracking_number, notes=f.notes, created_at=f.created_at,
        digital_code=f.digital_code if revealed else None)


def list_fulfillments(session: Session, *, status: str | None = None, due_before: datetime | None = None,
                      tax_form: bool | None = None, page: int = 1, limit: int = 20,
                      ) -> tuple[list[FulfillmentView], int]:
    """Admin queue: fulfillments filtered by `status` (one of FulfillmentStatus, or "open" for every status not yet
    delivered or forfeited), `due_before` (address deadline before that UTC time, still waiting for an address) and
    `tax_form` (flag set or not); ordered by what needs an admin first (`QUEUE_ORDER`: ready to ship, address
    invalid, awaiting the winner, shipped, then closed ones), then deadline (soonest first, none last), then newest.
    Returns (page of views without digital codes, total). Raises InvalidInput for an unknown status, page < 1 or
    limit not 1..100."""
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    query = _view_query()
    if status == "open":
        query = query.where(col(PrizeFulfillment.status).in_(OPEN_STATUSES))
    elif status:
        if status not in {s.value for s in S}:
            raise InvalidInput(f"Unknown fulfillment status {status!r}", field="status")
        query = query.where(col(PrizeFulfillment.status) == status)
    if due_before is not None:
        query = query.where(col(PrizeFulfillment.status).in_(AWAITING_ADDRESS),
                            col(PrizeFulfillment.deadline_at) < due_before)
    if tax_form is not None:
        query = query.where(col(PrizeFulfillment.tax_form_needed) == tax_form)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    order = (sa.case(QUEUE_ORDER, value=col(PrizeFulfillment.status), else_=len(QUEUE_ORDER)),
             col(PrizeFulfillment.deadline_at).is_(None), col(PrizeFulfillment.deadline_at),
             col(PrizeFulfillment.created_at).desc(), col(PrizeFulfillment.id))
    rows = session.execute(query.order_by(*order).offset((page - 1) * limit).limit(limit)).all()
    return [_view(row, with_code=False) for row in rows], int(total)


def status_counts(session: Session) -> dict[str, int]:
    """How many fulfillments are in each status (every status present, 0 when none), plus "tax_form" (open ones
    flagged) — the admin queue's summary chips."""
    counts = dict.fromkeys((s.value for s in S), 0)
    for status, count in session.exec(select(PrizeFulfillment.status, sa.func.count())
                                      .group_by(col(PrizeFulfillment.status))).all():
        counts[status] = int(count)
    counts["tax_form"] = int(session.exec(select(sa.func.count()).select_from(PrizeFulfillment).where(
        col(PrizeFulfillment.tax_form_needed).is_(True),
        col(PrizeFulfillment.status) != S.forfeited.value)).one())
    return counts


def get_fulfillment(session: Session, fulfillment_id: uuid.UUID) -> FulfillmentView:
    """Admin view of one fulfillment (no digital code). Raises NotFound."""
    row = session.execute(_view_query().where(col(PrizeFulfillment.id) == fulfillment_id)).first()
    if row is None:
        raise NotFound(f"fulfillment {fulfillment_id} does not exist")
    return _view(row, with_code=False)


def for_member(session: Session, user_id: uuid.UUID) -> list[FulfillmentView]:
    """Member `user_id`'s prizes, newest first, with the digital code once revealed (their own view only)."""
    rows = session.execute(_view_query().where(col(PrizeFulfillment.user_id) == user_id)
                        .order_by(col(PrizeFulfillment.created_at).desc(), col(PrizeFulfillment.id))).all()
    return [_view(row, with_code=True) for row in rows]


def get_for_member(session: Session, fulfillment_id: uuid.UUID, user_id: uuid.UUID) -> FulfillmentView:
    """One of member `user_id`'s prizes (digital code once revealed). Raises NotFound, also for another member's."""
    row = session.execute(_view_query().where(col(PrizeFulfillment.id) == fulfillment_id,
                                              col(PrizeFulfillment.user_id) == user_id)).first()
    if row is None:
        raise NotFound(f"fulfillment {fulfillment_id} does not exist")
    return _view(row, with_code=True)
