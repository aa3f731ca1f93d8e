"""What the admin overview shows (PRODUCT.md §7 "overview analytics"): counts across members, trackers, the ledger,
webhooks, the review queue and the sweepstakes, plus two chart series.

Read-only SQL aggregates (COUNT / SUM / GROUP BY); nothing here loops over table rows in Python. "Today" is a platform
day (America/New_York, `domain.calendar.platform_day`) passed in by the caller. Points are integer points; prize
values are US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.enums import ReviewStatus, TransactionType, UserStatus
from domain.models import (
    DailyPointTotal,
    DailySummary,
    Drawing,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    ReviewItem,
    Sponsor,
    Ticket,
    TrackerConnection,
    User,
    WebhookDelivery,
)

SERIES_DAYS = 30
ACTIVE_WINDOW_DAYS = 7
NO_TIER = "OPEN only"  # members without a demographic tier (sex not stated) compete in OPEN only (PRODUCT.md §3)


@dataclass(frozen=True)
class AdminOverview:
    """Counts for the admin overview. `*_by_status` / `*_by_role` map a stored value to its count (values with no rows
    are absent). `active_today` / `active_7_days`: distinct members with tracker data (a daily summary) for today /
    the 7 platform days ending today. Points: `points_earned` = Σ users' earned points (only grows),
    `points_spent` = Σ spend entries (positive), `balance_outstanding` = Σ users' balances."""

    members: int
    members_by_role: dict[str, int]
    members_by_status: dict[str, int]
    active_today: int
    active_7_days: int
    connections: int
    connections_by_status: dict[str, int]
    ledger_entries: int
    points_earned: int
    points_spent: int
    balance_outstanding: int
    webhooks_by_status: dict[str, int]
    review_pending: int
    drawings_by_status: dict[str, int]
    tickets: int
    free_entries: int
    prizes: int  # prize rows (a prize of quantity q is one prize)
    prize_units: int  # Σ quantity: how many winners the prizes make
    prize_value_usd: float
    fulfillments_by_status: dict[str, int]
    sponsors: int

    @property
    def is_empty(self) -> bool:
        """True for a fresh database (no members and no activity yet)."""
        return self.members == 0 and self.ledger_entries == 0


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.exec(select(sa.func.count()).select_from(model).where(*where)).one())


def _by(session: Session, column: Any) -> dict[str, int]:
    rows = session.exec(select(column, sa.func.count()).group_by(column)).all()
    return {str(value): int(count) for value, count in rows}


def _distinct_members(session: Session, since: date, until: date) -> int:
    query = select(sa.func.count(sa.distinct(col(DailySummary.user_id)))).where(
        col(DailySummary.summary_date) >= since, col(DailySummary.summary_date) <= until)
    return int(session.exec(query).one())


def overview(session: Session, today: date) -> AdminOverview:
    """All the overview counts as of platform day `today` (about 15 aggregate queries, each one row or one group)."""
    by_role_status = session.exec(
        select(col(User.role), col(User.status), sa.func.count()).group_by(col(User.role), col(User.status))
    ).all()
    by_role: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for role, status, count in by_role_status:  # one row per (role, status) group, not per member
        by_role[role] = by_role.get(role, 0) + int(count)
        by_status[status] = by_status.get(status, 0) + int(count)
    earned, balance = session.exec(select(
        sa.func.coalesce(sa.func.sum(User.points_earned), 0), sa.func.coalesce(sa.func.sum(User.point_balance), 0),
    )).one()
    spent = session.exec(select(sa.func.coalesce(sa.func.sum(PointTransaction.amount), 0))
                         .where(PointTransaction.transaction_type == TransactionType.spend.value)).one()
    tickets, free_entries = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((col(Ticket.is_free_entry), 1), else_=0)), 0))
        .select_from(Ticket)
    ).one()
    prizes, prize_units, prize_value = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(Prize.quantity), 0),
               sa.func.coalesce(sa.func.sum(Prize.value_usd * Prize.quantity), 0.0))
    ).one()
    connections_by_status = _by(session, col(TrackerConnection.status))
    return AdminOverview(
        members=sum(by_role.values()),
        members_by_role=by_role,
        members_by_status=by_status,
        active_today=_distinct_members(session, today, today),
        active_7_days=_distinct_members(session, today - timedelta(days=ACTIVE_WINDOW_DAYS - 1), today),
        connections=sum(connections_by_status.values()),
        connections_by_status=connections_by_status,
        ledger_entries=_count(session, PointTransaction),
        points_earned=int(earned),
        points_spent=-int(spent),
        balance_outstanding=int(balance),
        webhooks_by_status=_by(session, col(WebhookDelivery.status)),
        review_pending=_count(session, ReviewItem, col(ReviewItem.status) == ReviewStatus.pending.value),
        drawings_by_status=_by(session, col(Drawing.status)),
        tickets=int(tickets),
        free_entries=int(free_entries),
        prizes=int(prizes),
        prize_units=int(prize_units),
        prize_value_usd=float(prize_value),
        fulfillments_by_status=_by(session, col(PrizeFulfillment.status)),
        sponsors=_count(session, Sponsor),
    )


@dataclass(frozen=True)
class DailySeries:
    """Points earned per platform day, `days` consecutive (start..end inclusive, zero-filled).
    `is_current` is False when the window was moved back to the latest day with points (e.g. replayed 2016 data)."""

    start: date
    end: date
    points: list[tuple[date, int]]
    is_current: bool

    @property
    def total(self) -> int:
        return sum(points for _, points in self.points)


def points_per_day(session: Session, today: date, days: int = SERIES_DAYS) -> DailySeries:
    """Points earned per platform day (Σ `daily_point_totals.points`, the same figures the leaderboards rank by) for
    the `days` days ending `today`; when that window has no points at all, the `days` days ending on the latest day
    that has some. One GROUP BY query (plus one MAX when the window is empty)."""
    end, is_current = today, True
    start = end - timedelta(days=days - 1)
    sums = _sums(session, start, end)
    if not sums:
        latest = session.exec(select(sa.func.max(DailyPointTotal.platform_day))
                              .where(col(DailyPointTotal.points) > 0)).one()
        if latest is not None and latest < start:
            end, is_current = latest, False
            start = end - timedelta(days=days - 1)
            sums = _sums(session, start, end)
    series = [(start + timedelta(days=i), sums.get(start + timedelta(days=i), 0)) for i in range(days)]
    return DailySeries(start=start, end=end, points=series, is_current=is_current)


def _sums(session: Session, start: date, end: date) -> dict[date, int]:
    rows = session.exec(
        select(col(DailyPointTotal.platform_day), sa.func.sum(DailyPointTotal.points))
        .where(col(DailyPointTotal.platform_day) >= start, col(DailyPointTotal.platform_day) <= end)
        .group_by(col(DailyPointTotal.platform_day))
    ).all()
    return {day: int(points) for day, points in rows if points}


def members_by_tier(session: Session) -> list[tuple[str, int]]:
    """Active members per tier code, largest first (ties by code); members without a tier are counted as
    `NO_TIER` ("OPEN only"). One GROUP BY query."""
    rows = session.exec(
        select(col(Profile.tier_code), sa.func.count())
        .join(User, col(User.id) == col(Profile.user_id))
        .where(col(User.status) == UserStatus.active.value)
        .group_by(col(Profile.tier_code))
    ).all()
    return sorted(((tier or NO_TIER, int(count)) for tier, count in rows), key=lambda item: (-item[1], item[0]))
