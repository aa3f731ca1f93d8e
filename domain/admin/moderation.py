"""User moderation (issue 7 §4, PRODUCT.md §3 and §7): suspend / ban / reactivate with a required reason, point
adjustments with a required reason, and the admin's read-only view of one member (profile, connections, ledger,
tickets, flags).

Rules:
- Only an active admin acts, always with a reason (1–500 characters); every change writes one `audit_logs` row in
  the same transaction (`user.suspend`, `user.ban`, `user.reactivate`, `user.adjust_points`).
- Suspended and banned members cannot sign in (`domain.accounts.users.authenticate`), and the API, browser sessions and
  refresh tokens refuse them because each re-reads the status. On top of that a suspension or ban revokes every
  open browser session and refresh-token family of the member, so a later reactivation never revives an old
  session. Their tickets are untouched: they stay in their drawings (PRODUCT.md §3 "existing tickets stay valid").
- An admin cannot change their own status (nobody locks themselves out); deleted accounts cannot be changed.
  Reactivating an account whose email was never verified returns it to `pending`, not `active`.
- Point adjustments are ledger `adjust` entries through `domain.points.ledger.post` (never an edit); a negative
  adjustment larger than the balance raises InsufficientPoints. The same idempotency key returns the original
  adjustment.
- The member is told by email (`account_suspended`, `account_banned`, `account_reactivated`): `set_status` records
  `MailRequested`, queued in the same transaction by its policy.

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain import audit
from domain.accounts import refresh_tokens
from domain.models import (
    BrowserSession,
    Drawing,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    ReviewItem,
    Ticket,
    TrackerConnection,
    User,
)
from domain.points import ledger
from domain.shared.enums import Role, TransactionType, UserStatus
from domain.shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.shared.events import MailRequested, MemberStatusChanged
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]

REASON_MAX_CHARS: Final = 500
ADJUST_MAX_POINTS: Final = 1_000_000
# The statuses an admin may set, the audit action and the email template for each.
STATUS_ACTIONS: Final = {
    UserStatus.suspended.value: ("user.suspend", "account_suspended"),
    UserStatus.banned.value: ("user.ban", "account_banned"),
    UserStatus.active.value: ("user.reactivate", "account_reactivated"),
}
ADJUST_ACTION: Final = "user.adjust_points"
ADJUST_REFERENCE: Final = "admin_adjustment"


@dataclass(frozen=True)
class StatusChange:
    """The outcome of `set_status`. `changed` is False when the member already had that status (nothing written);
    `email_template` is the notice to send the member (None when nothing changed)."""

    user: User
    before: str
    after: str
    changed: bool
    email_template: str | None
    sessions_ended: int = 0
    refresh_tokens_revoked: int = 0


@dataclass(frozen=True)
class Adjustment:
    """The outcome of `adjust_points`: the ledger entry (points, signed) and whether it was a replay of an earlier
    request with the same idempotency key (then nothing new was written)."""

    entry: PointTransaction
    replayed: bool


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("A reason is required", field="reason")
    if len(text) > REASON_MAX_CHARS:
        raise InvalidInput(f"Reason must be at most {REASON_MAX_CHARS} characters", field="reason")
    return text


def _active_admin(session: Session, admin_id: uuid.UUID) -> User:
    actor = session.get(User, admin_id)
    if actor is None or actor.role != Role.admin.value or actor.status != UserStatus.active.value:
        raise Forbidden("Only an active administrator can moderate members")
    return actor


def _end_sessions(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    result = session.execute(
        sa.update(BrowserSession)
        .where(col(BrowserSession.user_id) == user_id, col(BrowserSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_status(
    session: UnitOfWork, user_id: uuid.UUID, status: str, *, admin_id: uuid.UUID, reason: str,
    ip_address: str | None = None, clock: Clock = utcnow,
) -> StatusChange:
    """Suspend (`"suspended"`), ban (`"banned"`) or reactivate (`"active"`) member `user_id` on behalf of admin
    `admin_id`, with a required `reason` (kept in the audit log, never shown to the member). PRODUCT.md §3, §7.

    Suspending or banning revokes all the member's browser sessions and refresh tokens; tickets stay valid.
    Reactivating sets `active` (or `pending` when the email was never verified). Setting the current status again
    changes nothing and writes no audit row.

    Raises InvalidInput (`field="status"` for another status, `field="reason"` for a missing or over-500-character
    reason); Forbidden when `admin_id` is not an active admin; NotFound for an unknown member; Conflict for the
    admin's own account, a deleted account, or reactivating an account that never verified its email (`pending`).
    Race-safe like `domain.accounts.roles.set_role`: all admin rows are locked first (BEGIN IMMEDIATE on SQLite).
    Records `MemberStatusChanged` and the member's notice email (`MailRequested`, without the reason)."""
    status = (status or "").strip().lower()
    if status not in STATUS_ACTIONS:
        raise InvalidInput(f"Status must be one of: {', '.join(STATUS_ACTIONS)}", field="status")
    reason = _reason(reason)
    # Lock every admin row first, in id order (as `domain.accounts.roles` does), then check the actor under the lock:
    # two admins suspending each other at once cannot both succeed and leave no active admin.
    admins = {a.id: a for a in session.exec(
        select(User).where(User.role == Role.admin.value).order_by(col(User.id)).with_for_update()
        .execution_options(populate_existing=True)).all()}
    actor = admins.get(admin_id)
    if actor is None or actor.status != UserStatus.active.value:
        raise Forbidden("Only an active administrator can moderate members")
    if user_id == admin_id:
        raise Conflict("You cannot change the status of your own account")
    user = admins.get(user_id) or session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    if user.status == UserStatus.deleted.value:
        raise Conflict("A deleted account's status cannot be changed")
    target = status
    if status == UserStatus.active.value and user.email_verified_at is None:
        target = UserStatus.pending.value  # reactivation never skips email verification
    before = user.status
    if before == UserStatus.pending.value and target == UserStatus.pending.value:
        raise Conflict("This account has not verified its email yet; it becomes active once it does")
    if before == target:
        return StatusChange(user, before, before, changed=False, email_template=None)

    now = clock()
    user.status, user.updated_at = target, now
    session.add(user)
    ended = revoked = 0
    if target in (UserStatus.suspended.value, UserStatus.banned.value):
        ended = _end_sessions(session, user.id, now)
        revoked = refresh_tokens.revoke_all_for_user(session, user.id, clock=lambda: now)
    action, template = STATUS_ACTIONS[status]
    audit.record(session, actor_id=admin_id, action=action, target_type="user", target_id=user.id,
                 before={"status": before},
                 after={"status": target, "reason": reason, "sessions_ended": ended,
                        "refresh_tokens_revoked": revoked},
                 ip_address=ip_address, clock=lambda: now)
    session.flush()
    session.record(MemberStatusChanged(user.id, target))
    if template and user.email:
        session.record(MailRequested(to=user.email, template=template))
    return StatusChange(user, before, target, changed=True, email_template=template,
                        sessions_ended=ended, refresh_tokens_revoked=revoked)


def adjust_points(
    session: UnitOfWork, user_id: uuid.UUID, amount: int, *, admin_id: uuid.UUID, reason: str,
    idempotency_key: str | None = None, ip_address: str | None = None, clock: Clock = utcnow,
) -> Adjustment:
    """Add (`amount` > 0) or remove (`amount` < 0) whole points from member `user_id`'s balance as a ledger `adjust`
    entry (PRODUCT.md §4: corrections are entries, never edits; `points_earned` and leaderboards do not change),
    on behalf of admin `admin_id` with a required `reason` (audited as `user.adjust_points`; the ledger entry's
    description carries it too, cut to 255 characters).

    `idempotency_key` (≤ 100 characters; a fresh one when omitted) makes retries safe: the same key with the same
    request returns the original entry (`replayed=True`, no second audit row); with another request it raises
    IdempotencyConflict.

    Raises InvalidInput (`field="amount"` for 0 or more than 1,000,000 points either way, `field="reason"`),
    Forbidden (not an active admin), NotFound (unknown member), Conflict (deleted account), InsufficientPoints
    (the balance would go below 0; nothing changes)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > ADJUST_MAX_POINTS:
        raise InvalidInput(f"Amount must be a whole number of points, not 0, at most {ADJUST_MAX_POINTS:,} either "
                           "way", field="amount")
    reason = _reason(reason)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 100:
        raise InvalidInput("An idempotency key has 1–100 characters", field="idempotency_key")
    _active_admin(session, admin_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    if user.status == UserStatus.deleted.value:
        raise Conflict("A deleted account's points cannot be adjusted")
    key = f"admin-adjust:{idempotency_key or uuid.uuid4().hex}"
    now = clock()
    result = ledger.post(session, user_id=user_id, transaction_type=TransactionType.adjust, amount=amount,
                         idempotency_key=key, reference_type=ADJUST_REFERENCE, reference_id=str(admin_id),
                         description=f"Adjustment: {reason}"[:255], clock=lambda: now)
    if not result.replayed:
        entry = result.entry
        audit.record(session, actor_id=admin_id, action=ADJUST_ACTION, target_type="user", target_id=user_id,
                     before={"balance": entry.balance_before},
                     after={"balance": entry.balance_after, "amount": amount, "reason": reason,
                            "transaction_id": entry.id},
                     ip_address=ip_address, clock=lambda: now)
    return Adjustment(result.entry, result.replayed)


# --- the admin's view of one member -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionRow:
    """One tracker connection (times UTC)."""

    provider: str
    status: str
    is_primary: bool
    terra_user_id: str | None
    connected_at: datetime | None
    last_sync_at: datetime | None
    status_message: str | None


@dataclass(frozen=True)
class FlagRow:
    """Something an admin should notice about the member: a review-queue item, a prize needing a tax form."""

    kind: str
    status: str
    detail: str
    created_at: datetime | None
    amount: int = 0


@dataclass(frozen=True)
class MemberDetail:
    """Everything `/admin/users/{id}` shows above its tabs. Points are whole points; times UTC; `profile` fields
    are None for an account without a profile."""

    id: uuid.UUID
    email: str
    role: str
    status: str
    email_verified_at: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    point_balance: int
    points_earned: int
    active_days: int
    display_name: str | None
    date_of_birth: str | None
    state_code: str | None
    tier_code: str | None
    fitness_level: str | None
    leaderboard_privacy: str | None
    tickets: int
    drawings_entered: int
    wins: int
    connections: list[ConnectionRow] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)


def member_detail(session: Session, user_id: uuid.UUID) -> MemberDetail:
    """The member's account, profile, connections, ticket totals and flags (pending/held review items, lowered
    totals, prizes with `tax_form_needed`, a lockout). A handful of queries, aggregates in SQL. Raises NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    profile = session.get(Profile, user_id)
    tickets, drawings, wins = session.exec(
        select(sa.func.count(col(Ticket.id)), sa.func.count(sa.distinct(col(Ticket.drawing_id))),
               sa.func.coalesce(sa.func.sum(sa.case((col(Ticket.is_winner), 1), else_=0)), 0))
        .where(col(Ticket.user_id) == user_id)
    ).one()
    connections = [
        ConnectionRow(c.provider, c.status, c.is_primary, c.terra_user_id, c.connected_at, c.last_sync_at,
                      c.status_message)
        for c in session.exec(select(TrackerConnection).where(col(TrackerConnection.user_id) == user_id)
                              .order_by(col(TrackerConnection.is_primary).desc(), col(TrackerConnection.provider)))
    ]
    flags = [
        FlagRow(f"review:{item.kind}", item.status, f"{item.platform_day.isoformat()}: {item.reason}",
                item.created_at, item.amount)
        for item in session.exec(select(ReviewItem).where(col(ReviewItem.user_id) == user_id)
                                 .order_by(col(ReviewItem.created_at).desc()).limit(50))
    ]
    taxed = session.exec(
        select(PrizeFulfillment, Prize.name, Prize.value_usd)
        .join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id))
        .where(col(PrizeFulfillment.user_id) == user_id, col(PrizeFulfillment.tax_form_needed))
    ).all()
    flags += [FlagRow("tax_form_needed", fulfillment.status, f"{name} (${value:,.2f}): tax form needed",
                      fulfillment.created_at) for fulfillment, name, value in taxed]
    if user.locked_until is not None and user.locked_until > utcnow():
        flags.append(FlagRow("locked", "active", f"Sign-in locked until {user.locked_until:%Y-%m-%d %H:%M} UTC",
                             None))
    return MemberDetail(
        id=user.id, email=user.email, role=user.role, status=user.status, email_verified_at=user.email_verified_at,
        created_at=user.created_at, last_login_at=user.last_login_at, locked_until=user.locked_until,
        point_balance=user.point_balance, points_earned=user.points_earned, active_days=user.active_days,
        display_name=profile.display_name if profile else None,
        date_of_birth=profile.date_of_birth.isoformat() if profile else None,
        state_code=profile.state_code if profile else None, tier_code=profile.tier_code if profile else None,
        fitness_level=profile.fitness_level if profile else None,
        leaderboard_privacy=profile.leaderboard_privacy if profile else None,
        tickets=int(tickets or 0), drawings_entered=int(drawings or 0), wins=int(wins or 0),
        connections=connections, flags=flags,
    )


def _page_args(page: int, limit: int) -> None:
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")


def member_ledger(session: Session, user_id: uuid.UUID, *, page: int = 1, limit: int = 20,
                  ) -> tuple[list[PointTransaction], int]:
    """One page of the member's ledger entries, newest first, and the total count. Raises InvalidInput for bad
    paging; an unknown member simply has no entries."""
    _page_args(page, limit)
    where = col(PointTransaction.user_id) == user_id
    total = session.exec(select(sa.func.count()).select_from(PointTransaction).where(where)).one()
    rows = session.exec(select(PointTransaction).where(where)
                        .order_by(col(PointTransaction.entry_seq).desc())
                        .offset((page - 1) * limit).limit(limit)).all()
    return list(rows), int(total)


@dataclass(frozen=True)
class TicketSummary:
    """The member's entries in one drawing: bought tickets, the free entry, wins (ticket numbers are the range)."""

    drawing_id: uuid.UUID
    drawing_name: str
    drawing_type: str
    drawing_status: str
    drawing_time: datetime
    tickets: int
    free_entries: int
    wins: int
    first_ticket: int
    last_ticket: int


def member_tickets(session: Session, user_id: uuid.UUID, *, page: int = 1, limit: int = 20,
                   ) -> tuple[list[TicketSummary], int]:
    """The member's tickets grouped per drawing (latest drawing first, one SQL aggregate) and the number of
    drawings entered. Suspended and banned members keep theirs (PRODUCT.md §3). Raises InvalidInput for paging."""
    _page_args(page, limit)
    where = col(Ticket.user_id) == user_id
    total = session.exec(select(sa.func.count(sa.distinct(col(Ticket.drawing_id)))).where(where)).one()
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel's overloads stop at 4 columns
            col(Drawing.id), col(Drawing.name), col(Drawing.drawing_type), col(Drawing.status),
            col(Drawing.drawing_time), sa.func.count(col(Ticket.id)),
            sa.func.coalesce(sa.func.sum(sa.case((col(Ticket.is_free_entry), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((col(Ticket.is_winner), 1), else_=0)), 0),
            sa.func.min(col(Ticket.ticket_number)), sa.func.max(col(Ticket.ticket_number)),
        )
        .join(Drawing, col(Drawing.id) == col(Ticket.drawing_id))
        .where(where)
        .group_by(col(Drawing.id), col(Drawing.name), col(Drawing.drawing_type), col(Drawing.status),
                  col(Drawing.drawing_time))
        .order_by(col(Drawing.drawing_time).desc(), col(Drawing.id))
        .offset((page - 1) * limit).limit(limit)
    )
    rows = [TicketSummary(drawing_id=row[0], drawing_name=row[1], drawing_type=row[2], drawing_status=row[3],
                          drawing_time=row[4], tickets=int(row[5]), free_entries=int(row[6]), wins=int(row[7]),
                          first_ticket=int(row[8]), last_ticket=int(row[9]))
            for row in session.exec(query).all()]
    return rows, int(total)
