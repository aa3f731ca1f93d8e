"""Domain events: facts that services record on the unit of work while they change state
(`domain.shared.uow.UnitOfWork.record`). After the transaction commits, one dispatcher (`app.services.effects`)
runs their effects — live push, the Redis leaderboard copy, mail, follow-up jobs — once, whichever entry point (page,
API, task, replay, seed) ran the service. A rolled-back transaction drops its events: nothing happens for a change
that did not happen.

Events are small frozen dataclasses of ids, dates and whole numbers (points are integer points, dates are platform
days in America/New_York, times are aware UTC datetimes). They carry what the effects need, so an effect never has to
guess what changed.

Two kinds of handler exist (wired in `app.services.effects`):
- *policies* run inside the same transaction before the commit and may write (a win creates its fulfillment, a mail
  request becomes an outbox row) — they keep the change atomic;
- *effects* run after the commit and never write the business tables (publish, cache, enqueue).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    """Base class of every domain event."""


# --- points (PRODUCT.md §4) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BalanceChanged(DomainEvent):
    """A ledger entry changed a member's cached totals (`domain.points.ledger.post`): `point_balance` and
    `points_earned` are the values after the entry (integer points); `earned_day` names the day an `earn` entry
    credited."""

    user_id: uuid.UUID
    point_balance: int
    points_earned: int
    # The platform day of an `earn` entry (None for other entry types): its leaderboard standings move in the same
    # transaction (issue 12 §3). Not compared, so an event still equals another reporting the same totals.
    earned_day: date | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PointsCredited(DomainEvent):
    """The points engine credited (`credited` > 0) and/or held for review (`held` > 0) points of one member's
    platform day (PRODUCT.md §4 "Idempotent recompute"). Leaderboards of the member's boards move."""

    user_id: uuid.UUID
    platform_day: date
    credited: int
    held: int


# --- accounts (PRODUCT.md §3) ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TierChanged(DomainEvent):
    """A member's tier or OPEN opt-in changed (profile edit, nightly recompute): their leaderboard rows move."""

    user_id: uuid.UUID


@dataclass(frozen=True)
class MemberStatusChanged(DomainEvent):
    """An admin suspended, banned or reactivated a member (PRODUCT.md §3, §7)."""

    user_id: uuid.UUID
    status: str


# --- messaging (PRODUCT.md §6 "notified by email and in-app") --------------------------------------------------
@dataclass(frozen=True)
class MailRequested(DomainEvent):
    """A service wants an email sent: `template` (a name known to `app.adapters.email_templates`) rendered with
    `context`; `path` (optional, e.g. "/prizes/<id>") becomes the absolute `link` from the configured public base
    URL. A policy turns it into an outbox row in the same transaction (`MailQueued`)."""

    to: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    path: str | None = None


@dataclass(frozen=True)
class MailQueued(DomainEvent):
    """An outbox message was written; after commit its send job is enqueued."""

    message_id: uuid.UUID


@dataclass(frozen=True)
class NotificationAdded(DomainEvent):
    """An in-app notification was added to a member's inbox."""

    user_id: uuid.UUID


# --- tracking (PRODUCT.md §4, notes/terra.md) ------------------------------------------------------------------
@dataclass(frozen=True)
class TrackerConnected(DomainEvent):
    """Terra's `auth` (or `user_reauth`) webhook connected a tracker: its 30-day backfill is due."""

    user_id: uuid.UUID
    connection_id: uuid.UUID


# --- sweepstakes (PRODUCT.md §6) -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TicketsBought(DomainEvent):
    """A member bought `quantity` tickets (or claimed the free alternate method of entry, `free_entry`)."""

    user_id: uuid.UUID
    drawing_id: uuid.UUID
    quantity: int
    free_entry: bool = False


@dataclass(frozen=True)
class DrawingStatusChanged(DomainEvent):
    """A drawing moved to `status` (open, closed, completed, cancelled)."""

    drawing_id: uuid.UUID
    status: str


@dataclass(frozen=True)
class WinAwarded(DomainEvent):
    """A ticket won a prize unit in a draw (or as an alternate winner) at `awarded_at` (aware UTC): a fulfillment
    follows (a policy), dated then."""

    drawing_id: uuid.UUID
    user_id: uuid.UUID
    ticket_id: uuid.UUID
    prize_id: uuid.UUID
    awarded_at: datetime
