"""What the admin overview shows (PRODUCT.md §7 "overview analytics"): counts across members, trackers, the ledger,
webhooks, the review queue and the sweepstakes, plus two chart series.

Read-only SQL aggregates (COUNT / SUM / GROUP BY); nothing here loops over table rows in Python. "Today" is a platform
day (America/New_York, `domain.shared.calendar.platform_day`) passed in by the caller. Points are integer points; prize
values are US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

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
from domain.shared.calendar import day_start_utc
from domain.shared.enums import (
    DrawingStatus,
    DrawingType,
    FulfillmentStatus,
    ReviewStatus,
    TransactionType,
    UserStatus,
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


# --- issue 7 §7: the analytics charts --------------------------------------------------------------------------

REGISTRATION_THRESHOLD_USD = 5_000.0  # NY GBL §369-e and FL Stat. §849.094: register (and bond) above $5,000
REGISTRATION_STATES = ("NY", "FL")
PRIZE_OUTSTANDING = (FulfillmentStatus.pending, FulfillmentStatus.winner_notified,
                     FulfillmentStatus.address_confirmed, FulfillmentStatus.address_invalid)
ANNOUNCED = (DrawingStatus.scheduled, DrawingStatus.open, DrawingStatus.closed)


def _day_bucket(column: Any, start: date, days: int) -> Any:
    """A CASE expression: the index 0..days-1 of the platform day (America/New_York) an aware UTC timestamp column
    falls on, counted from `start`; NULL outside the window. Portable (plain comparisons with the DST-aware UTC
    instants at which each platform day begins), so SQLite, PostgreSQL and Oracle group alike."""
    bounds = [day_start_utc(start + timedelta(days=i)) for i in range(days + 1)]
    whens = [((column >= bounds[i]) & (column < bounds[i + 1]), i) for i in reversed(range(days))]
    return sa.case(*whens, else_=None)


def _window(today: date, days: int) -> list[date]:
    start = today - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days)]


@dataclass(frozen=True)
class DayPoint:
    """One platform day of the members chart: `members` registered by the end of the day (all statuses),
    `new_members` registered that day, `active` distinct members with tracker data (a daily summary) for the day."""

    day: date
    members: int
    new_members: int
    active: int


def members_per_day(session: Session, today: date, days: int = SERIES_DAYS) -> list[DayPoint]:
    """Members and active members per platform day for the `days` days ending `today` (oldest first, zero-filled).
    Three aggregate queries: a COUNT before the window, sign-ups GROUP BY day bucket, distinct members with a daily
    summary GROUP BY date."""
    window = _window(today, days)
    start_at = day_start_utc(window[0])
    before = _count(session, User, col(User.created_at) < start_at)
    bucket = _day_bucket(col(User.created_at), window[0], days)
    signups = {int(index): int(count) for index, count in session.exec(
        select(bucket, sa.func.count()).where(col(User.created_at) >= start_at,
                                              col(User.created_at) < day_start_utc(today + timedelta(days=1)))
        .group_by(bucket)).all() if index is not None}
    active = {summary_day: int(count) for summary_day, count in session.exec(
        select(col(DailySummary.summary_date), sa.func.count(sa.distinct(col(DailySummary.user_id))))
        .where(col(DailySummary.summary_date) >= window[0], col(DailySummary.summary_date) <= today)
        .group_by(col(DailySummary.summary_date))).all()}
    points, running = [], before
    for index, day_ in enumerate(window):
        running += signups.get(index, 0)
        points.append(DayPoint(day_, running, signups.get(index, 0), active.get(day_, 0)))
    return points


@dataclass(frozen=True)
class FlowPoint:
    """Points on one platform day: `earned` = points credited for that activity day (Σ `daily_point_totals.points`,
    which `domain.points.ledger.post` keeps equal to the day's `earn` entries: activity points and approved holds — the
    figures the leaderboards rank by), `spent` = Σ |`spend` entries| made that day (ticket purchases, by entry time in
    America/New_York). Integer points."""

    day: date
    earned: int
    spent: int


@dataclass(frozen=True)
class PointsFlow:
    """`days` consecutive `FlowPoint`s, oldest first, zero-filled. `is_current` is False when the window was moved
    back to the latest day with earned points (e.g. replayed 2016 data and no recent activity)."""

    days: list[FlowPoint]
    is_current: bool

    @property
    def earned(self) -> int:
        return sum(point.earned for point in self.days)

    @property
    def spent(self) -> int:
        return sum(point.spent for point in self.days)


def _flow(session: Session, end: date, days: int) -> list[FlowPoint]:
    window = _window(end, days)
    earned = _sums(session, window[0], end)  # Σ daily_point_totals: the ledger's earn entries by day, pre-summed
    bucket = _day_bucket(col(PointTransaction.created_at), window[0], days)
    spent = {int(index): abs(int(amount or 0)) for index, amount in session.exec(
        select(bucket, sa.func.sum(PointTransaction.amount))
        .where(col(PointTransaction.transaction_type) == TransactionType.spend.value,
               col(PointTransaction.created_at) >= day_start_utc(window[0]),
               col(PointTransaction.created_at) < day_start_utc(end + timedelta(days=1)))
        .group_by(bucket)).all() if index is not None}
    return [FlowPoint(day_, earned.get(day_, 0), spent.get(i, 0)) for i, day_ in enumerate(window)]


def points_flow_per_day(session: Session, today: date, days: int = SERIES_DAYS) -> PointsFlow:
    """Points earned vs spent per platform day (see `FlowPoint`) for the `days` days ending `today`; when that
    window has neither, the `days` days ending on the latest day with earned points. Two GROUP BY queries (daily
    totals by day — an index-only scan of `ix_daily_point_totals_day` —, spend by day bucket), plus one MAX and the two
    again when the window is empty."""
    points = _flow(session, today, days)
    if any(p.earned or p.spent for p in points):
        return PointsFlow(points, True)
    latest = session.exec(select(sa.func.max(DailyPointTotal.platform_day))
                          .where(col(DailyPointTotal.points) > 0)).one()
    if latest is None or latest >= points[0].day:
        return PointsFlow(points, True)
    return PointsFlow(_flow(session, latest, days), False)


@dataclass(frozen=True)
class TicketsByType:
    """Tickets per drawing type (`daily` … `annual`): `bought` with points, `free` alternate entries, and the
    `drawings` of that type that have tickets."""

    drawing_type: str
    bought: int
    free: int
    drawings: int

    @property
    def total(self) -> int:
        return self.bought + self.free


def tickets_by_type(session: Session) -> list[TicketsByType]:
    """Tickets sold per drawing type, in `DrawingType` order, every type present (zeros included). One GROUP BY."""
    free = sa.func.coalesce(sa.func.sum(sa.case((col(Ticket.is_free_entry), 1), else_=0)), 0)
    rows = session.exec(
        select(col(Drawing.drawing_type), sa.func.count(col(Ticket.id)), free,
               sa.func.count(sa.distinct(col(Ticket.drawing_id))))
        .join(Drawing, col(Drawing.id) == col(Ticket.drawing_id)).group_by(col(Drawing.drawing_type))).all()
    found = {kind: (int(total), int(free_count), int(drawings)) for kind, total, free_count, drawings in rows}
    kinds = [t.value for t in DrawingType] + sorted(set(found) - {t.value for t in DrawingType})
    return [TicketsByType(kind, found.get(kind, (0, 0, 0))[0] - found.get(kind, (0, 0, 0))[1],
                          found.get(kind, (0, 0, 0))[1], found.get(kind, (0, 0, 0))[2]) for kind in kinds]


@dataclass(frozen=True)
class StatusValue:
    """Fulfillments in one status: how many and the prizes' value (US dollars)."""

    status: str
    count: int
    value_usd: float


def fulfillment_by_status(session: Session) -> list[StatusValue]:
    """Fulfillments per status in the PRODUCT.md §6 flow order (every status, zeros included) with the Σ value of
    their prizes. One GROUP BY over fulfillments joined to prizes."""
    rows = session.exec(
        select(col(PrizeFulfillment.status), sa.func.count(), sa.func.coalesce(sa.func.sum(Prize.value_usd), 0.0))
        .join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id)).group_by(col(PrizeFulfillment.status))).all()
    found = {status: (int(count), float(value)) for status, count, value in rows}
    statuses = [s.value for s in FulfillmentStatus] + sorted(set(found) - {s.value for s in FulfillmentStatus})
    return [StatusValue(s, *found.get(s, (0, 0.0))) for s in statuses]


@dataclass(frozen=True)
class PrizeLiability:
    """Prize value the platform still owes, US dollars. `to_award`: prizes (value × quantity) of announced drawings
    not yet drawn (scheduled, open, closed); `awarded_unshipped`: won prizes whose fulfillment is still pending,
    notified, address confirmed or address invalid (`awarded_count` of them); `in_transit`: shipped, not yet
    delivered. `outstanding` = to_award + awarded_unshipped + in_transit. Delivered and forfeited prizes are settled
    (a forfeit's alternate winner gets a new fulfillment)."""

    to_award: float
    awarded_unshipped: float
    awarded_count: int
    in_transit: float
    in_transit_count: int

    @property
    def outstanding(self) -> float:
        return self.to_award + self.awarded_unshipped + self.in_transit


def prize_liability(session: Session, fulfillments: list[StatusValue] | None = None) -> PrizeLiability:
    """The outstanding prize liability (see `PrizeLiability`). One SUM query over announced drawings' prizes, plus
    `fulfillment_by_status` (pass its result to save the query)."""
    fulfillments = fulfillments if fulfillments is not None else fulfillment_by_status(session)
    to_award = session.exec(
        select(sa.func.coalesce(sa.func.sum(Prize.value_usd * Prize.quantity), 0.0))
        .join(Drawing, col(Drawing.id) == col(Prize.drawing_id))
        .where(col(Drawing.status).in_([s.value for s in ANNOUNCED]))).one()
    owed = [f for f in fulfillments if f.status in {s.value for s in PRIZE_OUTSTANDING}]
    shipped = [f for f in fulfillments if f.status == FulfillmentStatus.shipped.value]
    return PrizeLiability(float(to_award), sum(f.value_usd for f in owed), sum(f.count for f in owed),
                          sum(f.value_usd for f in shipped), sum(f.count for f in shipped))


@dataclass(frozen=True)
class SeriesTotal:
    """A drawing series — the drawings of one type sharing a name (a recurring promotion, e.g. "Weekly Sweat
    Sweepstakes") whose drawing time falls in one calendar year (America/New_York) — and its prize value, US dollars:
    `announced` (published: scheduled, open, closed, completed) and `planned` (still draft). Cancelled drawings
    do not count. `over_threshold`: announced value exceeds $5,000, the NY/FL registration threshold;
    `would_exceed`: announced + planned would."""

    drawing_type: str
    name: str
    year: int
    drawings: int
    announced: float
    planned: float

    @property
    def total(self) -> float:
        return self.announced + self.planned

    @property
    def over_threshold(self) -> bool:
        return self.announced > REGISTRATION_THRESHOLD_USD

    @property
    def would_exceed(self) -> bool:
        return self.total > REGISTRATION_THRESHOLD_USD


def prize_value_by_series(session: Session, year: int) -> list[SeriesTotal]:
    """Prize value per drawing series (see `SeriesTotal`) for drawings whose drawing time falls in calendar `year`
    (America/New_York), largest total first. One GROUP BY (type, name) over drawings joined to their prizes.
    Rule source: PRODUCT.md §7 "prize totals per state-sensitive drawing"; NY and FL require registration and a bond
    when a game's total prize value exceeds $5,000."""
    start, end = day_start_utc(date(year, 1, 1)), day_start_utc(date(year + 1, 1, 1))
    value = Prize.value_usd * Prize.quantity
    is_draft = col(Drawing.status) == DrawingStatus.draft.value
    rows = session.execute(
        sa.select(col(Drawing.drawing_type), col(Drawing.name), sa.func.count(sa.distinct(col(Drawing.id))),
               sa.func.coalesce(sa.func.sum(sa.case((is_draft, 0.0), else_=value)), 0.0),
               sa.func.coalesce(sa.func.sum(sa.case((is_draft, value), else_=0.0)), 0.0))
        .join(Prize, col(Prize.drawing_id) == col(Drawing.id))
        .where(col(Drawing.status) != DrawingStatus.cancelled.value,
               col(Drawing.drawing_time) >= start, col(Drawing.drawing_time) < end)
        .group_by(col(Drawing.drawing_type), col(Drawing.name))).all()
    series = [SeriesTotal(kind, name, year, int(count), float(announced), float(planned))
              for kind, name, count, announced, planned in rows]
    return sorted(series, key=lambda s: (-s.total, s.drawing_type, s.name))


@dataclass(frozen=True)
class Analytics:
    """Everything the analytics charts show (issue 7 §7), as of platform day `today`."""

    today: date
    members: list[DayPoint]
    points: PointsFlow
    tickets: list[TicketsByType]
    fulfillments: list[StatusValue]
    liability: PrizeLiability
    series: list[SeriesTotal]
    series_year: int
    registration_states_excluded: bool  # NY and FL residents cannot enter (domain.accounts.eligibility.EXCLUDED_STATES)


def analytics(session: Session, today: date, days: int = SERIES_DAYS, year: int | None = None) -> Analytics:
    """All the chart data (about 9 aggregate queries). `year` of the prize series defaults to `today`'s year."""
    from domain.accounts.eligibility import EXCLUDED_STATES

    fulfillments = fulfillment_by_status(session)
    series_year = year or today.year
    return Analytics(
        today=today, members=members_per_day(session, today, days), points=points_flow_per_day(session, today, days),
        tickets=tickets_by_type(session), fulfillments=fulfillments,
        liability=prize_liability(session, fulfillments), series=prize_value_by_series(session, series_year),
        series_year=series_year,
        registration_states_excluded=all(state in EXCLUDED_STATES for state in REGISTRATION_STATES),
    )
