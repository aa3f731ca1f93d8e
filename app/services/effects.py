"""What domain events cause, in one place (Architecture Patterns with Python ch. 8–9, `messagebus.py`).

`System.uow()` attaches `policy` to the unit of work (run by `record`, inside the transaction) and calls
`after_commit(events)` just after the commit, so the same change has the same consequences from every entry point
(page, API, task, replay, seed):

Policies (inside the transaction, when the event is recorded; may write; an error rolls everything back):
- `WinAwarded` → the prize's fulfillment (`domain.sweepstakes.fulfillment.create_for_win`, PRODUCT.md §6 "each
  win creates a fulfillment"), which may request mail;
- `MailRequested` → a rendered `queued` outbox row (`app.services.mail.queue_email`) → `MailQueued`;
- `BalanceChanged` of an `earn` entry → the member's leaderboard standings for that day's periods and all-time, once per
  member for all their earned days just before the commit (`UnitOfWork.before_commit`)
  (`domain.competition.standings.refresh_member`, issue 12 §3);
- `TierChanged` → all of the member's standings re-placed on the boards their profile names now
  (`domain.competition.standings.sync_member`).

Effects (after the commit, never raise: the change is committed whatever happens here):
- `PointsCredited` / `BalanceChanged` / `TierChanged` → the Redis leaderboard copy (when configured) and one
  `points` live message per member with their new totals (`app.messages`);
- `MailQueued` → the send job (a lost enqueue is re-swept by `tasks.mail`);
- `TrackerConnected` → the connection's backfill job;
- `DrawingStatusChanged`, `NotificationAdded`, `MemberStatusChanged` → their live messages.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

import structlog
from sqlmodel import select

from app import messages
from app.services import mail
from domain.competition import standings
from domain.competition.leaderboards import boards_for_user
from domain.models import Prize, Ticket, User
from domain.shared.calendar import platform_day
from domain.shared.events import (
    BalanceChanged,
    DomainEvent,
    DrawingStatusChanged,
    MailQueued,
    MailRequested,
    MemberStatusChanged,
    NotificationAdded,
    PointsCredited,
    TierChanged,
    TrackerConnected,
    WinAwarded,
)
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import fulfillment

if TYPE_CHECKING:
    from app.system import System

_log = structlog.get_logger("fittrack.effects")
_STANDINGS_DAYS = "fittrack.standings_days"  # uow.info: member → earned days whose standings are refreshed at commit


class Effects:
    """The dispatcher of one `System` (see the module docstring)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._policies: dict[type[DomainEvent], Callable[[UnitOfWork, Any], None]] = {
            WinAwarded: self._create_fulfillment,
            MailRequested: self._queue_mail,
            BalanceChanged: self._move_standings,
            TierChanged: self._replace_standings,
        }

    # --- inside the transaction -------------------------------------------------------------------------------
    def policy(self, uow: UnitOfWork, event: DomainEvent) -> None:
        """Run the policy of `event` (if it has one) in `uow`'s transaction; called by `UnitOfWork.record`. Raises
        whatever the policy raises (the transaction then rolls back)."""
        handler = self._policies.get(type(event))
        if handler is not None:
            handler(uow, event)

    def _create_fulfillment(self, uow: UnitOfWork, event: WinAwarded) -> None:
        ticket = uow.get(Ticket, event.ticket_id)
        prize = uow.get(Prize, event.prize_id)
        if ticket is None or prize is None:
            raise LookupError(f"win {event.ticket_id} / {event.prize_id} refers to a missing ticket or prize")
        fulfillment.create_for_win(uow, ticket=ticket, prize=prize, clock=lambda: event.awarded_at)

    def _move_standings(self, uow: UnitOfWork, event: BalanceChanged) -> None:
        """Collect the earned day; one refresh per member for all their days runs just before the commit (a
        30-day backfill refreshes once, not 30 times; issue 12 §4)."""
        if event.earned_day is None:
            return
        pending: dict[uuid.UUID, set[date]] = uow.info.setdefault(_STANDINGS_DAYS, {})
        pending.setdefault(event.user_id, set()).add(event.earned_day)
        uow.before_commit(_STANDINGS_DAYS, self._refresh_standings)

    @staticmethod
    def _refresh_standings(uow: UnitOfWork) -> None:
        pending: dict[uuid.UUID, set[date]] = uow.info.pop(_STANDINGS_DAYS, {})
        for user_id, days in pending.items():
            standings.refresh_member(uow, user_id, days)

    def _replace_standings(self, uow: UnitOfWork, event: TierChanged) -> None:
        uow.flush()
        standings.sync_member(uow, event.user_id)

    def _queue_mail(self, uow: UnitOfWork, event: MailRequested) -> None:
        mail.queue_email(uow, event.to, event.template,
                         {**event.context, **({"link": self.public_url(event.path)} if event.path else {})},
                         clock=self.system.clock)

    def public_url(self, path: str) -> str:
        """The absolute URL of `path` on the configured public site (`Settings.public_url`: `PUBLIC_BASE_URL`, else
        the app's own address; issue 13 §1)."""
        return self.system.settings.public_url(path)

    # --- after the commit -------------------------------------------------------------------------------------
    def after_commit(self, events: Iterable[DomainEvent]) -> None:
        """Run the effects of committed `events` once. Never raises (failures are logged)."""
        events = list(events)
        if not events:
            return
        for name, effect in (("members", self._members), ("mail", self._mail), ("backfill", self._backfill),
                             ("live", self._other_live)):
            try:
                effect(events)
            except Exception:  # noqa: BLE001 - committed: an effect failure must not undo or fail the change
                _log.exception("effects.failed", effect=name)

    def _members(self, events: list[DomainEvent]) -> None:
        """Redis boards and one `points` message per member whose totals or standings changed."""
        days: dict[uuid.UUID, set[date]] = defaultdict(set)
        totals: dict[uuid.UUID, BalanceChanged] = {}
        retiered: set[uuid.UUID] = set()
        for event in events:
            if isinstance(event, PointsCredited) and event.credited > 0:
                days[event.user_id].add(event.platform_day)
            elif isinstance(event, BalanceChanged):
                totals[event.user_id] = event  # the last one is the member's state after the commit
            elif isinstance(event, TierChanged):
                retiered.add(event.user_id)
        moved = set(days) | retiered
        if not moved and not totals:
            return
        boards: dict[uuid.UUID, list[str]] = {}
        with self.system.read() as session:
            for user_id in moved:
                boards[user_id] = boards_for_user(session, user_id)
                if self.system.boards is not None:
                    refresh_days = sorted(days.get(user_id, set())) or [platform_day(self.system.clock())]
                    self.system.boards.refresh_member(session, user_id, refresh_days)
            missing = [uid for uid in moved if uid not in totals]
            if missing:
                for user in session.exec(select(User).where(User.id.in_(missing))):  # type: ignore[attr-defined]
                    totals[user.id] = BalanceChanged(user.id, user.point_balance, user.points_earned)
        for user_id, total in totals.items():
            user_days = days.get(user_id)
            self.publish(messages.PointsMessage(
                user_id=user_id, point_balance=total.point_balance, points_earned=total.points_earned,
                boards=tuple(boards.get(user_id, ())) if user_id in moved else (),
                platform_day=max(user_days) if user_days else None))

    def _mail(self, events: list[DomainEvent]) -> None:
        for event in events:
            if isinstance(event, MailQueued):
                try:
                    self.system.jobs.enqueue("send_outbox_message", str(event.message_id))
                except Exception:  # noqa: BLE001 - the row is committed; tasks.mail's sweeper sends it later
                    _log.exception("mail.enqueue_failed", message_id=str(event.message_id))

    def _backfill(self, events: list[DomainEvent]) -> None:
        for event in events:
            if isinstance(event, TrackerConnected):
                try:
                    self.system.jobs.enqueue("backfill_connection", str(event.connection_id))
                except Exception:  # noqa: BLE001 - the 15-minute sync catches a lost backfill up
                    _log.exception("sync.backfill_enqueue_failed", connection_id=str(event.connection_id))

    def _other_live(self, events: list[DomainEvent]) -> None:
        for event in events:
            if isinstance(event, DrawingStatusChanged):
                self.publish(messages.DrawingMessage(drawing_id=event.drawing_id, status=event.status))
            elif isinstance(event, NotificationAdded):
                self.publish(messages.NotificationMessage(user_id=event.user_id))
            elif isinstance(event, MemberStatusChanged):
                self.publish(messages.MemberStatusMessage(user_id=event.user_id, status=event.status))

    def publish(self, message: messages.LiveMessage) -> None:
        """Publish one live message on the pub/sub port (best effort)."""
        self.system.pubsub.publish(messages.TOPIC, messages.encode(message))
