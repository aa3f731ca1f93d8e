"""The points engine (PRODUCT.md §4): what a platform day deserves, and the ledger entries that bring the member's
credited points for that day up to it.

Recompute is idempotent: a day's deserved points are a pure function of its latest stored data (the chosen daily
summary, the day's deduplicated workout sessions and the streak), and only the difference to what the day already
got (credited + held for review) is posted. Replaying or re-receiving payloads changes nothing; a later payload that
lowers a day never claws points back — it is recorded as a `lowered_total` review item. Implausible days are held
(`held_points` review item) instead of credited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import Activity, DailyPointTotal, DailySummary, ReviewItem, TrackerConnection, User
from domain.points import ledger
from domain.points.ledger import Clock
from domain.points.rules import (
    STREAK_BONUS_MAX_DAYS,
    WORKOUT_MIN_SECONDS,
    DayActivity,
    DayAward,
    day_award,
    is_qualifying,
    plausibility_problems,
)
from domain.shared.enums import ReviewKind, ReviewStatus, TransactionType
from domain.shared.events import PointsCredited
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

MANUAL_UPLOAD = 2  # Terra UploadType 2 = manual entry: earns nothing (PRODUCT.md §4 "Source trust")


@dataclass(frozen=True)
class DayResult:
    """Outcome of one recompute: `deserved` (capped total), what was `credited_now` / `held_now` (points) by this
    call, and `lowered` when the data now deserves less than the day already got."""

    user_id: uuid.UUID
    platform_day: date
    award: DayAward
    credited_now: int
    held_now: int
    lowered: bool

    @property
    def deserved(self) -> int:
        return self.award.total


def _choose(rows: Iterable, primary_ids: set[uuid.UUID]):  # type: ignore[no-untyped-def]
    """Pick one record among duplicates: primary tracker → most detailed → first received (PRODUCT.md §4)."""
    return min(
        rows, key=lambda r: (r.connection_id not in primary_ids, -r.metric_fields, r.first_received_at, str(r.id))
    )


def _primary_connection_ids(session: Session, user_id: uuid.UUID) -> set[uuid.UUID]:
    return set(session.exec(select(TrackerConnection.id).where(
        TrackerConnection.user_id == user_id, TrackerConnection.is_primary == sa.true())).all())


def chosen_summaries(session: Session, user_id: uuid.UUID, start: date, end: date) -> dict[date, DailySummary]:
    """The winning daily summary per platform day in [start, end] across the member's connections."""
    primary = _primary_connection_ids(session, user_id)
    by_day: dict[date, list[DailySummary]] = {}
    rows = session.exec(select(DailySummary).where(
        DailySummary.user_id == user_id, DailySummary.summary_date >= start, DailySummary.summary_date <= end)).all()
    for row in rows:
        by_day.setdefault(row.summary_date, []).append(row)
    return {d: _choose(candidates, primary) for d, candidates in by_day.items()}


def summary_activity(summary: DailySummary | None) -> DayActivity:
    """The points inputs of a daily summary; manual uploads and missing data count as nothing."""
    if summary is None or summary.upload_type == MANUAL_UPLOAD:
        return DayActivity()
    return DayActivity(steps=summary.steps, vigorous_seconds=summary.vigorous_seconds,
                       moderate_seconds=summary.moderate_seconds, light_seconds=summary.low_seconds)


def distinct_sessions(session: Session, user_id: uuid.UUID, day: date) -> list[Activity]:
    """The day's workout sessions with cross-device duplicates merged: sessions of the same type whose times
    overlap are one session, represented by primary tracker → most detailed → first received. Manual uploads are
    excluded."""
    primary = _primary_connection_ids(session, user_id)
    return _merge_sessions(
        session.exec(select(Activity).where(Activity.user_id == user_id, Activity.platform_day == day)), primary)


def streak_length(summaries: dict[date, DailySummary], day: date, max_days: int = STREAK_BONUS_MAX_DAYS) -> int:
    """Consecutive qualifying days ending at `day` (0 if `day` does not qualify) in `summaries` (chosen summaries
    by day), counting at most `max_days` (default 10: the streak bonus stops growing there, PRODUCT.md §4)."""
    length = 0
    current = day
    while length < max_days and is_qualifying(summary_activity(summaries.get(current))):
        length += 1
        current -= timedelta(days=1)
    return length


@dataclass
class _Loaded:
    """One member's stored data for a run of platform days, read once by `_load` (issue 12 §4: each affected day's
    data is read once, not per day per streak step). `summaries` are the chosen summaries (streak look-back
    included), `activities` the raw sessions by platform day, `totals` / `reviews` the rows of the days being
    recomputed (reviews keyed by (day, kind): the first pending item, as `_upsert_review` finds it), `open_amounts`
    the held points per day still pending or rejected."""

    primary: set[uuid.UUID]
    summary_days: set[date]
    summaries: dict[date, DailySummary]
    activities: dict[date, list[Activity]]
    totals: dict[date, DailyPointTotal]
    open_amounts: dict[date, int]
    reviews: dict[tuple[date, str], ReviewItem]


def _load(session: Session, user_id: uuid.UUID, first: date, last: date, summaries_until: date) -> _Loaded:
    """Read everything the recompute of platform days [first, last] needs in four queries: the daily summaries of
    [first − 9 days, summaries_until] (the streak look-back, and the later days whose streak the run can change) and
    the workout sessions of [first, last], each with whether its connection is the member's primary one (all that
    choosing among duplicates needs), then the daily totals and the review items of [first, last]."""
    primary: set[uuid.UUID] = set()
    by_day: dict[date, list[DailySummary]] = {}
    for row, is_primary in session.exec(
            select(DailySummary, col(TrackerConnection.is_primary))
            .join(TrackerConnection, col(TrackerConnection.id) == col(DailySummary.connection_id))
            .where(DailySummary.user_id == user_id,
                   DailySummary.summary_date >= first - timedelta(days=STREAK_BONUS_MAX_DAYS - 1),
                   DailySummary.summary_date <= summaries_until)):
        by_day.setdefault(row.summary_date, []).append(row)
        if is_primary:
            primary.add(row.connection_id)
    activities: dict[date, list[Activity]] = {}
    for activity, is_primary in session.exec(
            select(Activity, col(TrackerConnection.is_primary))
            .join(TrackerConnection, col(TrackerConnection.id) == col(Activity.connection_id))
            .where(Activity.user_id == user_id, Activity.platform_day >= first, Activity.platform_day <= last)):
        activities.setdefault(activity.platform_day, []).append(activity)
        if is_primary:
            primary.add(activity.connection_id)
    totals = {t.platform_day: t for t in session.exec(select(DailyPointTotal).where(
        DailyPointTotal.user_id == user_id, DailyPointTotal.platform_day >= first,
        DailyPointTotal.platform_day <= last))}
    open_amounts: dict[date, int] = {}
    reviews: dict[tuple[date, str], ReviewItem] = {}
    for item in session.exec(select(ReviewItem).where(
            ReviewItem.user_id == user_id, ReviewItem.platform_day >= first, ReviewItem.platform_day <= last,
            col(ReviewItem.status).in_([ReviewStatus.pending.value, ReviewStatus.rejected.value]))):
        if item.kind == ReviewKind.held_points.value:
            open_amounts[item.platform_day] = open_amounts.get(item.platform_day, 0) + item.amount
        if item.status == ReviewStatus.pending.value:
            reviews.setdefault((item.platform_day, item.kind), item)
    return _Loaded(primary, set(by_day), {d: _choose(c, primary) for d, c in by_day.items()}, activities, totals,
                   open_amounts, reviews)


def _merge_sessions(activities: Iterable[Activity], primary_ids: set[uuid.UUID]) -> list[Activity]:
    """`distinct_sessions` on rows already read: manual uploads dropped, overlapping sessions of one type merged."""
    rows = [a for a in activities if a.upload_type != MANUAL_UPLOAD]
    rows.sort(key=lambda a: (a.start_time, a.end_time))
    clusters: list[list[Activity]] = []
    for activity in rows:
        for cluster in clusters:
            if any(o.activity_type == activity.activity_type and o.start_time < activity.end_time
                   and activity.start_time < o.end_time for o in cluster):
                cluster.append(activity)
                break
        else:
            clusters.append([activity])
    return [_choose(cluster, primary_ids) for cluster in clusters]


def _upsert_review(session: Session, loaded: _Loaded, *, user_id: uuid.UUID, day: date, kind: ReviewKind,
                   amount: int, reason: str, evidence: dict, clock: Clock) -> ReviewItem:
    """Add `amount` to the day's pending review item of `kind` (created when there is none) and refresh its reason
    and evidence."""
    item = loaded.reviews.get((day, kind.value))
    now = clock()
    if item is None:
        item = ReviewItem(user_id=user_id, platform_day=day, kind=kind.value, amount=0, reason=reason, created_at=now)
        loaded.reviews[(day, kind.value)] = item
    item.amount += amount
    item.reason = reason[:255]
    item.evidence = evidence
    item.updated_at = now
    session.add(item)
    return item


def recompute_day(session: UnitOfWork, user_id: uuid.UUID, day: date, clock: Clock = utcnow) -> DayResult:
    """Bring the member's credited points for platform day `day` up to what its latest data deserves.

    Locks the member's row (one recompute per member at a time), computes the award from the stored data, and posts
    the positive difference as an `earn` entry with idempotency key `earn:{user}:{day}:{accounted}:{deserved}`, or
    holds it for review when the day is implausible. Returns the `DayResult`. Raises `NotFound` for an unknown member.
    Nothing is committed here (the caller's write transaction makes it atomic); records `PointsCredited` when
    points were credited or held."""
    user = ledger.lock_user(session, user_id)
    result = _recompute_loaded(session, user, day, _load(session, user_id, day, day, day), clock)
    session.flush()
    return result


def _recompute_loaded(session: UnitOfWork, user: User, day: date, loaded: _Loaded, clock: Clock) -> DayResult:
    """`recompute_day` on data `_load` read (the member's row already locked in this transaction)."""
    user_id = user.id
    summary = loaded.summaries.get(day)
    inputs = summary_activity(summary)
    sessions = _merge_sessions(loaded.activities.get(day, ()), loaded.primary)
    workouts = [a for a in sessions if a.duration_seconds >= WORKOUT_MIN_SECONDS]
    inputs = DayActivity(steps=inputs.steps, vigorous_seconds=inputs.vigorous_seconds,
                         moderate_seconds=inputs.moderate_seconds, light_seconds=inputs.light_seconds,
                         workouts=len(workouts))
    award = day_award(inputs, streak_length(loaded.summaries, day))
    active_seconds = inputs.vigorous_seconds + inputs.moderate_seconds + inputs.light_seconds
    if summary is not None and summary.upload_type != MANUAL_UPLOAD:
        active_seconds = max(active_seconds, summary.activity_seconds or 0)
    cadences = [a.steps / (a.duration_seconds / 60) for a in sessions if a.steps and a.duration_seconds > 0]
    problems = plausibility_problems(steps=inputs.steps, active_seconds=active_seconds, activity_cadences=cadences)

    total = loaded.totals.get(day)
    if total is None:
        total = DailyPointTotal(user_id=user_id, platform_day=day, points=0)
        loaded.totals[day] = total
        session.add(total)
    credited = total.points
    accounted = credited + loaded.open_amounts.get(day, 0)
    now = clock()
    total.deserved = award.total
    total.breakdown = {**award.as_dict(), "held": accounted - credited}
    total.updated_at = now
    evidence = {"summary_id": str(summary.id) if summary else None,
                "delivery_id": str(summary.delivery_id) if summary and summary.delivery_id else None,
                "steps": inputs.steps, "active_seconds": active_seconds, "workouts": len(workouts),
                "deserved": award.total, "credited": credited, "problems": problems}

    credited_now = held_now = 0
    lowered = award.total < accounted
    if award.total > accounted:
        difference = award.total - accounted
        if problems:
            _upsert_review(session, loaded, user_id=user_id, day=day, kind=ReviewKind.held_points, amount=difference,
                           reason="; ".join(problems), evidence=evidence, clock=clock)
            held_now = difference
        else:
            ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=difference,
                        idempotency_key=f"earn:{user_id}:{day.isoformat()}:{accounted}:{award.total}",
                        reference_type="daily_points", reference_id=day.isoformat(),
                        description=f"Activity points for {day.isoformat()}", platform_day=day, clock=clock,
                        locked_user=user, daily_total=total)
            credited_now = difference
    elif lowered:
        _upsert_review(session, loaded, user_id=user_id, day=day, kind=ReviewKind.lowered_total, amount=0,
                       reason=f"Latest data deserves {award.total} points; the day already has {accounted}",
                       evidence=evidence, clock=clock)
    if problems and credited > 0:
        # Points credited while the day still looked plausible stay credited (awards never go down automatically);
        # an admin sees the day as a plausibility flag and can adjust by hand.
        _upsert_review(session, loaded, user_id=user_id, day=day, kind=ReviewKind.plausibility, amount=0,
                       reason=f"{credited} points already credited; " + "; ".join(problems), evidence=evidence,
                       clock=clock)
    if credited_now or held_now:
        session.flush()  # the event's policies see the day as written
        session.record(PointsCredited(user_id, day, credited_now, held_now))
    return DayResult(user_id, day, award, credited_now, held_now, lowered)


def recompute_days(session: UnitOfWork, user_id: uuid.UUID, days: Iterable[date],
                   clock: Clock = utcnow, *, locked_user: User | None = None) -> list[DayResult]:
    """Recompute the given platform days and every later day whose streak bonus they can change (the 9 following
    days that have data), each exactly once in date order, so the result does not depend on the order in which
    days arrive. Returns one `DayResult` per recomputed day.

    Batched (issue 12 §4): after locking the member, the data of the whole run — daily summaries from 9 days before
    the first touched day (streak look-back) to 9 days after the last, workout sessions, daily totals and review
    items of the affected days — is read once (`_load`, four queries whatever the number of days); each day is then
    computed in memory, and only the days that earn points cost ledger writes. `locked_user`: the member's row when
    the caller already locked it in this transaction (`ledger.lock_user`). Raises `NotFound` for an unknown member."""
    touched = set(days)
    if not touched:
        return []
    user = (locked_user if locked_user is not None and locked_user.id == user_id
            else ledger.lock_user(session, user_id))
    first, horizon = min(touched), max(touched) + timedelta(days=STREAK_BONUS_MAX_DAYS - 1)
    loaded = _load(session, user_id, first, horizon, horizon)
    affected = touched | {d for d in loaded.summary_days
                          if d > first and any(0 < (d - t).days < STREAK_BONUS_MAX_DAYS for t in touched)}
    results = [_recompute_loaded(session, user, day, loaded, clock) for day in sorted(affected)]
    session.flush()
    return results
