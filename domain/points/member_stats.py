"""What a member sees about themselves: dashboard figures, activity history, ledger entries (PRODUCT.md §4).

Read-only queries; no NiceGUI, no HTTP. Every function takes an open `Session` and a member's id; "today" is a
platform day (America/New_York, `domain.shared.calendar.platform_day`) passed in by the caller, so the figures are
testable with a fixed clock. Points are integer points; durations are whole minutes; calories are kcal.

A day's data is the member's **chosen daily summary** for that date, exactly the one the points engine used:
`domain.points.engine.chosen_summaries` (primary connection → most detailed → first received → id, PRODUCT.md §4
"Duplicates"), `domain.points.engine.summary_activity` (manual uploads count as nothing) and
`domain.points.rules.is_qualifying` are the single source of those rules; this module only presents them. Sums over
the ledger (`daily_point_totals`, workouts) stay SQL aggregates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import (
    Activity,
    DailyPointTotal,
    DailySummary,
    PointTransaction,
    Profile,
    TrackerConnection,
    User,
)
from domain.points.engine import MANUAL_UPLOAD, chosen_summaries, streak_length, summary_activity
from domain.points.rules import DAILY_CAP, is_qualifying
from domain.shared.errors import InvalidInput, NotFound

SERIES_DAYS = 30
MAX_RANGE_DAYS = 3660  # activity queries span at most ~10 years
STREAK_HORIZON_DAYS = 400  # the dashboard streak looks back at most this far
# Unbounded date filters (None) become these bounds for `chosen_summaries` (valid dates on SQLite, PostgreSQL, Oracle).
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 31)


# ---------------------------------------------------------------------------------------------------------- shapes
@dataclass(frozen=True)
class LedgerLine:
    """One ledger entry as a member sees it (`amount` is signed points)."""

    id: uuid.UUID
    created_at: datetime
    transaction_type: str
    amount: int
    balance_before: int
    balance_after: int
    reference_type: str | None
    reference_id: str | None
    description: str | None
    platform_day: date | None


@dataclass(frozen=True)
class PointsBalance:
    """`GET /points/balance`: spendable balance, lifetime earned, earned on today's platform day and what is left
    of the 1,000-point daily cap (never below 0)."""

    balance: int
    points_earned: int
    earned_today: int
    cap_remaining_today: int


@dataclass(frozen=True)
class MemberHeader:
    """What the page frame shows: display name, live balance, role and tier."""

    user_id: uuid.UUID
    display_name: str
    balance: int
    role: str
    tier_code: str | None


@dataclass(frozen=True)
class Dashboard:
    """The member dashboard.

    `series` is 30 `(day, points)` pairs, oldest first. It normally ends today; when the member's latest day with
    data is older than that (e.g. replayed 2016 Fitbit data) it is the 30 days ending at that latest day instead, and
    `series_is_current` is False so the page can say which month it shows.
    """

    user_id: uuid.UUID
    display_name: str
    today: date
    balance: int
    points_earned: int
    earned_today: int
    daily_cap: int
    cap_remaining_today: int
    steps_today: int
    active_minutes_today: int
    streak_days: int
    has_tracker: bool
    latest_data_day: date | None
    series: list[tuple[date, int]]
    series_start: date
    series_end: date
    series_is_current: bool
    recent_entries: list[LedgerLine] = field(default_factory=list)

    @property
    def series_total(self) -> int:
        return sum(points for _, points in self.series)

    @property
    def has_data(self) -> bool:
        return self.latest_data_day is not None or self.points_earned > 0


@dataclass(frozen=True)
class DayRow:
    """One day of activity history: the chosen summary's figures plus the points credited that day."""

    day: date
    steps: int
    active_minutes: int  # moderate + vigorous
    light_minutes: int
    calories: float | None
    distance_km: float | None
    points: int
    workouts: int
    manual: bool


@dataclass(frozen=True)
class WorkoutRow:
    """One workout session (Terra `activity`)."""

    id: uuid.UUID
    platform_day: date
    start_time: datetime
    name: str | None
    duration_minutes: int
    steps: int | None


@dataclass(frozen=True)
class ActivitySummary:
    """Totals and per-day averages over a date range (averages over days with data; 0 when there are none)."""

    start: date | None
    end: date | None
    days_with_data: int
    total_steps: int
    average_steps: int
    total_active_minutes: int
    average_active_minutes: int
    total_calories: int
    qualifying_days: int
    total_points: int
    workouts: int


@dataclass(frozen=True)
class ActivityHistory:
    """The activity page's data for one range: a page of `rows` (newest first) out of `total_days`, the range's
    `summary` and its `workouts` (newest first)."""

    rows: list[DayRow]
    total_days: int
    summary: ActivitySummary
    workouts: list[WorkoutRow]


# --------------------------------------------------------------------------------------------------------- helpers
def _check_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None:
        if start > end:
            raise InvalidInput("start must be on or before end", field="start")
        if (end - start).days > MAX_RANGE_DAYS:
            raise InvalidInput(f"a date range spans at most {MAX_RANGE_DAYS} days", field="end")


def _member(session: Session, user_id: uuid.UUID) -> tuple[User, Profile | None]:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    return user, session.get(Profile, user_id)


def _display_name(user: User, profile: Profile | None) -> str:
    return profile.display_name if profile else user.email.split("@", 1)[0]


def earned_on(session: Session, user_id: uuid.UUID, day: date) -> int:
    """Points credited to the member for platform day `day` (`daily_point_totals`), 0 when none."""
    total = session.get(DailyPointTotal, (user_id, day))
    return total.points if total else 0


def latest_data_day(session: Session, user_id: uuid.UUID, today: date) -> date | None:
    """The member's most recent day (≤ today) with a daily summary or credited points, or None."""
    summary_day = session.exec(
        select(sa.func.max(col(DailySummary.summary_date)))
        .where(col(DailySummary.user_id) == user_id, col(DailySummary.summary_date) <= today)
    ).one()
    points_day = session.exec(
        select(sa.func.max(col(DailyPointTotal.platform_day)))
        .where(col(DailyPointTotal.user_id) == user_id, col(DailyPointTotal.platform_day) <= today)
    ).one()
    days = [d for d in (summary_day, points_day) if d is not None]
    return max(days) if days else None


def window_ending(today: date, latest: date | None, days: int = SERIES_DAYS) -> tuple[date, date]:
    """The `days`-day window (inclusive) ending today, or ending at `latest` (the member's latest day with data,
    `latest_data_day`) when that is older than the window, so replayed historical members see their real month."""
    end = today if latest is None or latest > today - timedelta(days=days - 1) else latest
    return end - timedelta(days=days - 1), end


def data_window(session: Session, user_id: uuid.UUID, today: date, days: int = SERIES_DAYS) -> tuple[date, date]:
    """`window_ending(today, latest_data_day(...), days)`: the member's default date range."""
    return window_ending(today, latest_data_day(session, user_id, today), days)


# --------------------------------------------------------------------------------------------------------- queries
def member_header(session: Session, user_id: uuid.UUID) -> MemberHeader:
    """Display name, balance, role and tier for the page frame. Raises NotFound."""
    user, profile = _member(session, user_id)
    return MemberHeader(user_id=user.id, display_name=_display_name(user, profile), balance=user.point_balance,
                        role=user.role, tier_code=profile.tier_code if profile else None)


def points_balance(session: Session, user_id: uuid.UUID, today: date) -> PointsBalance:
    """Balance, lifetime earned, earned today and the remaining daily cap (PRODUCT.md §4: 1,000/day). NotFound."""
    user, _ = _member(session, user_id)
    earned_today = earned_on(session, user_id, today)
    return PointsBalance(balance=user.point_balance, points_earned=user.points_earned, earned_today=earned_today,
                         cap_remaining_today=max(DAILY_CAP - earned_today, 0))


def streak_ending(summaries: dict[date, DailySummary], today: date) -> int:
    """Consecutive qualifying days in `summaries` (chosen summaries, `domain.points.engine.chosen_summaries`) ending
    today, or ending yesterday when today does not qualify (yet), as `domain.points.engine.streak_length` counts
    them."""
    end = today if streak_length(summaries, today, max_days=1) else today - timedelta(days=1)
    return streak_length(summaries, end, max_days=len(summaries) + 1)


def current_streak(session: Session, user_id: uuid.UUID, today: date,
                   horizon_days: int = STREAK_HORIZON_DAYS) -> int:
    """Consecutive qualifying days (≥ 5,000 steps or ≥ 30 moderate+vigorous minutes, PRODUCT.md §4) ending today,
    or ending yesterday when today does not qualify (yet). Manual data does not qualify. Looks back at most
    `horizon_days` days."""
    return streak_ending(chosen_summaries(session, user_id, today - timedelta(days=horizon_days), today), today)


def ledger_entries(
    session: Session, user_id: uuid.UUID, *, page: int = 1, limit: int = 20,
) -> tuple[list[LedgerLine], int]:
    """The member's ledger, newest first, one page: `(entries, total)`. `page` ≥ 1, 1 ≤ `limit` ≤ 100."""
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100", field="limit")
    total = session.exec(
        select(sa.func.count()).select_from(PointTransaction).where(col(PointTransaction.user_id) == user_id)
    ).one()
    rows = session.exec(
        select(PointTransaction).where(col(PointTransaction.user_id) == user_id)
        .order_by(col(PointTransaction.entry_seq).desc()).offset((page - 1) * limit).limit(limit)  # type: ignore[union-attr]  # noqa: E501
    ).all()
    return [_ledger_line(row) for row in rows], int(total)


def _ledger_line(row: PointTransaction) -> LedgerLine:
    return LedgerLine(id=row.id, created_at=row.created_at, transaction_type=row.transaction_type, amount=row.amount,
                      balance_before=row.balance_before, balance_after=row.balance_after,
                      reference_type=row.reference_type, reference_id=row.reference_id,
                      description=row.description, platform_day=row.platform_day)


def points_series(session: Session, user_id: uuid.UUID, start: date, end: date) -> list[tuple[date, int]]:
    """`(day, points credited)` for every day from `start` to `end` inclusive (0 on days without points)."""
    _check_range(start, end)
    totals = dict(session.exec(
        select(col(DailyPointTotal.platform_day), col(DailyPointTotal.points))
        .where(col(DailyPointTotal.user_id) == user_id, col(DailyPointTotal.platform_day) >= start,
               col(DailyPointTotal.platform_day) <= end)
    ).all())
    return [(start + timedelta(days=i), int(totals.get(start + timedelta(days=i), 0)))
            for i in range((end - start).days + 1)]


def dashboard(session: Session, user_id: uuid.UUID, today: date) -> Dashboard:
    """Everything the member dashboard shows (see `Dashboard`). `today` is the platform day; today's steps and
    minutes are those of the summary the points engine chose for today. Raises NotFound."""
    user, profile = _member(session, user_id)
    earned_today = earned_on(session, user_id, today)
    summaries = chosen_summaries(session, user_id, today - timedelta(days=STREAK_HORIZON_DAYS), today)
    today_summary = summaries.get(today)
    latest = latest_data_day(session, user_id, today)
    start, end = window_ending(today, latest)
    has_tracker = session.exec(
        select(sa.func.count()).select_from(TrackerConnection).where(col(TrackerConnection.user_id) == user_id)
    ).one() > 0
    entries, _ = ledger_entries(session, user_id, page=1, limit=10)
    return Dashboard(
        user_id=user.id, display_name=_display_name(user, profile), today=today,
        balance=user.point_balance, points_earned=user.points_earned,
        earned_today=earned_today, daily_cap=DAILY_CAP, cap_remaining_today=max(DAILY_CAP - earned_today, 0),
        steps_today=today_summary.steps if today_summary else 0,
        active_minutes_today=_active_minutes(today_summary),
        streak_days=streak_ending(summaries, today),
        has_tracker=bool(has_tracker), latest_data_day=latest,
        series=points_series(session, user_id, start, end), series_start=start, series_end=end,
        series_is_current=end == today, recent_entries=entries,
    )


def _active_minutes(summary: DailySummary | None) -> int:
    """Moderate + vigorous whole minutes of a summary as recorded (manual uploads included: shown, not earning)."""
    if summary is None:
        return 0
    return ((summary.vigorous_seconds or 0) + (summary.moderate_seconds or 0)) // 60


def _history_days(user_id: uuid.UUID, start: date | None, end: date | None) -> sa.Subquery:
    """Every date on which the member has a summary, credited points or a workout (union, one row per date)."""
    def bounded(column: Any, owner: Any) -> sa.Select:
        query = sa.select(column.label("day")).where(owner == user_id)
        if start is not None:
            query = query.where(column >= start)
        if end is not None:
            query = query.where(column <= end)
        return query

    return sa.union(
        bounded(col(DailySummary.summary_date), col(DailySummary.user_id)),
        bounded(col(DailyPointTotal.platform_day), col(DailyPointTotal.user_id)),
        bounded(col(Activity.platform_day), col(Activity.user_id)),
    ).subquery("days")


def activities(
    session: Session, user_id: uuid.UUID, *, start: date | None = None, end: date | None = None,
    page: int = 1, limit: int = 20,
) -> tuple[list[DayRow], int]:
    """Daily activity history, newest first, one page: `(rows, total days)`. Dates are platform days, inclusive;
    None means unbounded. Raises InvalidInput for start > end, a range over ~10 years, page < 1 or limit ∉ 1..100."""
    _check_range(start, end)
    _check_page(page, limit)
    return _day_rows(session, user_id, start, end, page, limit, summaries=None)


def _check_page(page: int, limit: int) -> None:
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100", field="limit")


def _day_rows(
    session: Session, user_id: uuid.UUID, start: date | None, end: date | None, page: int, limit: int,
    summaries: dict[date, DailySummary] | None,
) -> tuple[list[DayRow], int]:
    """One page of `DayRow`s. The page's days, points and workout counts come from SQL; each day's figures from
    `summaries` (the chosen summaries covering the range) or, when None, from `chosen_summaries` over the page."""
    days = _history_days(user_id, start, end)
    workout_counts = (
        sa.select(col(Activity.platform_day).label("day"), sa.func.count().label("n"))
        .where(col(Activity.user_id) == user_id).group_by(col(Activity.platform_day)).subquery("w")
    )
    total = session.exec(select(sa.func.count()).select_from(days)).one()
    rows = session.execute(
        sa.select(days.c.day, col(DailyPointTotal.points), workout_counts.c.n)
        .select_from(days)
        .join(DailyPointTotal, sa.and_(col(DailyPointTotal.user_id) == user_id,
                                       col(DailyPointTotal.platform_day) == days.c.day), isouter=True)
        .join(workout_counts, workout_counts.c.day == days.c.day, isouter=True)
        .order_by(days.c.day.desc()).offset((page - 1) * limit).limit(limit)
    ).all()
    if summaries is None and rows:
        summaries = chosen_summaries(session, user_id, rows[-1].day, rows[0].day)
    return [_day_row(row.day, (summaries or {}).get(row.day), int(row.points or 0), int(row.n or 0))
            for row in rows], int(total)


def _day_row(day: date, summary: DailySummary | None, points: int, workout_count: int) -> DayRow:
    if summary is None:
        return DayRow(day=day, steps=0, active_minutes=0, light_minutes=0, calories=None, distance_km=None,
                      points=points, workouts=workout_count, manual=False)
    return DayRow(
        day=day, steps=summary.steps or 0, active_minutes=_active_minutes(summary),
        light_minutes=(summary.low_seconds or 0) // 60,
        calories=float(summary.calories) if summary.calories is not None else None,
        distance_km=round(summary.distance_meters / 1000, 2) if summary.distance_meters is not None else None,
        points=points, workouts=workout_count, manual=summary.upload_type == MANUAL_UPLOAD,
    )


def workouts(session: Session, user_id: uuid.UUID, *, start: date | None = None, end: date | None = None,
             limit: int = 50) -> list[WorkoutRow]:
    """The member's workout sessions in the range, newest first (at most `limit`)."""
    _check_range(start, end)
    query = select(Activity).where(col(Activity.user_id) == user_id)
    if start is not None:
        query = query.where(col(Activity.platform_day) >= start)
    if end is not None:
        query = query.where(col(Activity.platform_day) <= end)
    rows = session.exec(query.order_by(col(Activity.start_time).desc()).limit(limit)).all()  # type: ignore[attr-defined]
    return [WorkoutRow(id=a.id, platform_day=a.platform_day, start_time=a.start_time, name=a.name,
                       duration_minutes=a.duration_seconds // 60, steps=a.steps) for a in rows]


def activity_summary(session: Session, user_id: uuid.UUID, start: date | None = None,
                     end: date | None = None) -> ActivitySummary:
    """Totals and averages over the range (inclusive platform days; None = unbounded). Raises InvalidInput."""
    _check_range(start, end)
    return _summarise(session, user_id, start, end, _chosen_in(session, user_id, start, end))


def _chosen_in(session: Session, user_id: uuid.UUID, start: date | None,
               end: date | None) -> dict[date, DailySummary]:
    return chosen_summaries(session, user_id, start or EARLIEST, end or LATEST)


def _summarise(session: Session, user_id: uuid.UUID, start: date | None, end: date | None,
               summaries: dict[date, DailySummary]) -> ActivitySummary:
    """`ActivitySummary` from the chosen summaries of the range plus SQL sums of points and workouts."""
    chosen = list(summaries.values())
    days = len(chosen)
    steps = sum(s.steps or 0 for s in chosen)
    active_minutes = sum((s.vigorous_seconds or 0) + (s.moderate_seconds or 0) for s in chosen) // 60
    points_q = (select(sa.func.coalesce(sa.func.sum(col(DailyPointTotal.points)), 0))
                .where(col(DailyPointTotal.user_id) == user_id))
    workouts_q = select(sa.func.count()).select_from(Activity).where(col(Activity.user_id) == user_id)
    if start is not None:
        points_q = points_q.where(col(DailyPointTotal.platform_day) >= start)
        workouts_q = workouts_q.where(col(Activity.platform_day) >= start)
    if end is not None:
        points_q = points_q.where(col(DailyPointTotal.platform_day) <= end)
        workouts_q = workouts_q.where(col(Activity.platform_day) <= end)
    return ActivitySummary(
        start=start, end=end, days_with_data=days, total_steps=steps,
        average_steps=round(steps / days) if days else 0,
        total_active_minutes=active_minutes, average_active_minutes=round(active_minutes / days) if days else 0,
        total_calories=round(sum(float(s.calories or 0) for s in chosen)),
        qualifying_days=sum(1 for s in chosen if is_qualifying(summary_activity(s))),
        total_points=int(session.exec(points_q).one()), workouts=int(session.exec(workouts_q).one()),
    )


def activity_history(session: Session, user_id: uuid.UUID, start: date, end: date, *, page: int = 1,
                     limit: int = 20, workout_limit: int = 50) -> ActivityHistory:
    """Everything the activity page shows for [start, end] (inclusive platform days) in one read: one page of
    days (`activities`), the range's totals (`activity_summary`) and its workouts (`workouts`), all from one
    `chosen_summaries` call. Raises InvalidInput like `activities`."""
    _check_range(start, end)
    _check_page(page, limit)
    summaries = chosen_summaries(session, user_id, start, end)
    rows, total = _day_rows(session, user_id, start, end, page, limit, summaries=summaries)
    return ActivityHistory(rows=rows, total_days=total, summary=_summarise(session, user_id, start, end, summaries),
                           workouts=workouts(session, user_id, start=start, end=end, limit=workout_limit))
