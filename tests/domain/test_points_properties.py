"""Properties of the points rules and of the points engine (PRODUCT.md §4), with Hypothesis.

Pure rules (`domain.points.rules`): the 1,000 cap, `total == min(1000, uncapped)`, forfeited = the excess, and
monotonicity (more activity never earns fewer points).

The engine end to end (`domain.tracking.ingest.apply_event` → `domain.points.engine.recompute_day` →
`domain.points.ledger.post`) on a real SQLite file, each example with fresh members in the same database:
  (a) the daily cap is never exceeded, whatever the payloads;
  (b) a day's credited points do not depend on the order or duplication of its payloads: they equal what applying only
      the latest payload (by ordering timestamp) gives, and the rate table's award for that data;
  (c) awards never decrease; a lowered total becomes a `lowered_total` review item, never a negative entry;
  (d) a daily payload belongs to `metadata.start_time[:10]`; an activity to the New York day of its start instant,
      around midnight and DST;
  (e) manual uploads earn nothing; implausible days are held for review instead of credited.
One example-based scenario runs the same checks on PostgreSQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.system import System
from domain.models import Activity, DailyPointTotal, DailySummary, PointTransaction, ReviewItem, User
from domain.points import ledger
from domain.points.rules import DAILY_CAP, DayActivity, day_award, is_qualifying
from domain.shared.enums import ReviewKind, ReviewStatus
from domain.tracking.ingest import IngestOutcome, apply_event
from tests.support.builders import Member, activity_payload, daily_payload, day_start_local, make_member
from tests.support.db import read_session, write_session

HOUR = 3600
DAY = date(2016, 4, 12)
DB_SETTINGS = settings(max_examples=30, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------------------------

activities = st.builds(
    DayActivity,
    steps=st.integers(0, 120_000),
    vigorous_seconds=st.integers(0, 20 * HOUR),
    moderate_seconds=st.integers(0, 20 * HOUR),
    light_seconds=st.integers(0, 20 * HOUR),
    workouts=st.integers(0, 8),
)
streaks = st.integers(0, 40)


@given(activities, streaks)
def test_total_is_capped_and_the_excess_forfeited(day: DayActivity, streak: int) -> None:
    award = day_award(day, streak)
    parts = award.steps + award.step_goal + award.active_minutes + award.workouts + award.streak
    assert award.uncapped == parts
    assert award.total <= DAILY_CAP
    assert award.total == min(DAILY_CAP, award.uncapped)
    assert award.forfeited == award.uncapped - award.total >= 0
    assert 0 <= award.steps <= 200 and award.step_goal in (0, 100) and 0 <= award.workouts <= 150
    assert award.streak == (5 * min(streak, 10) if is_qualifying(day) else 0)


@st.composite
def activity_and_more(draw: st.DrawFn) -> tuple[DayActivity, DayActivity]:
    base = draw(activities)
    more = DayActivity(
        steps=base.steps + draw(st.integers(0, 30_000)),
        vigorous_seconds=base.vigorous_seconds + draw(st.integers(0, 5 * HOUR)),
        moderate_seconds=base.moderate_seconds + draw(st.integers(0, 5 * HOUR)),
        light_seconds=base.light_seconds + draw(st.integers(0, 5 * HOUR)),
        workouts=base.workouts + draw(st.integers(0, 4)),
    )
    return base, more


@given(activity_and_more(), streaks, st.integers(0, 10))
def test_more_activity_or_a_longer_streak_never_earns_less(pair: tuple[DayActivity, DayActivity], streak: int,
                                                           longer: int) -> None:
    less, more = pair
    assert day_award(more, streak).uncapped >= day_award(less, streak).uncapped
    assert day_award(more, streak).total >= day_award(less, streak).total
    assert day_award(less, streak + longer).total >= day_award(less, streak).total
    if is_qualifying(less):
        assert is_qualifying(more)


@given(activities, streaks, st.sampled_from(["steps", "vigorous_seconds", "moderate_seconds", "light_seconds",
                                              "workouts"]), st.integers(1, 5_000))
def test_each_source_is_monotonic_on_its_own(day: DayActivity, streak: int, field: str, extra: int) -> None:
    bigger = replace(day, **{field: getattr(day, field) + extra})
    assert day_award(bigger, streak).total >= day_award(day, streak).total


# ---------------------------------------------------------------------------------------------------------------
# The engine: helpers
# ---------------------------------------------------------------------------------------------------------------


def apply(system: System, payload: dict, ordering_ts: int) -> IngestOutcome:
    """One webhook body applied in its own write transaction, as the webhook task does."""
    with write_session(system) as session:
        return apply_event(session, payload, ordering_ts=ordering_ts)


def credited(system: System, user_id: uuid.UUID, day: date) -> int:
    """Points credited to the member for the day; the daily total must equal the sum of the day's earn entries."""
    with read_session(system) as session:
        total = session.get(DailyPointTotal, (user_id, day))
        earned = session.exec(select(sa.func.coalesce(sa.func.sum(PointTransaction.amount), 0)).where(
            PointTransaction.user_id == user_id, PointTransaction.transaction_type == "earn",
            PointTransaction.platform_day == day)).one()
    points = total.points if total else 0
    assert points == int(earned)
    return points


def entries(system: System, user_id: uuid.UUID) -> list[PointTransaction]:
    with read_session(system) as session:
        return list(session.exec(select(PointTransaction).where(PointTransaction.user_id == user_id)
                                 .order_by(col(PointTransaction.entry_seq))).all())


def reviews(system: System, user_id: uuid.UUID, kind: ReviewKind | None = None) -> list[ReviewItem]:
    with read_session(system) as session:
        query = select(ReviewItem).where(ReviewItem.user_id == user_id)
        if kind is not None:
            query = query.where(ReviewItem.kind == kind.value)
        return list(session.exec(query).all())


def held(system: System, user_id: uuid.UUID, day: date) -> int:
    return sum(r.amount for r in reviews(system, user_id, ReviewKind.held_points)
               if r.platform_day == day and r.status == ReviewStatus.pending.value)


def assert_ledger_ok(system: System, user_id: uuid.UUID) -> None:
    """Only positive earn entries (the engine never claws back); cached totals agree; invariants hold."""
    rows = entries(system, user_id)
    assert all(r.transaction_type == "earn" and r.amount > 0 for r in rows), [(r.transaction_type, r.amount)
                                                                              for r in rows]
    with read_session(system) as session:
        user = session.get(User, user_id)
        assert user is not None
        assert user.point_balance == user.points_earned == sum(r.amount for r in rows)
    with write_session(system) as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok, audit.problems


@dataclass(frozen=True)
class Totals:
    """A daily running total as a tracker sends it."""

    steps: int = 0
    vigorous: int = 0
    moderate: int = 0
    low: int = 0
    upload_type: int = 1

    def payload(self, member: Member, day: date) -> dict:
        assert member.terra_user_id is not None
        return daily_payload(member.terra_user_id, day, steps=self.steps, vigorous_seconds=self.vigorous,
                             moderate_seconds=self.moderate, low_seconds=self.low, upload_type=self.upload_type)

    def activity(self, workouts: int = 0) -> DayActivity:
        if self.upload_type == 2:
            return DayActivity(workouts=workouts)
        return DayActivity(steps=self.steps, vigorous_seconds=self.vigorous, moderate_seconds=self.moderate,
                           light_seconds=self.low, workouts=workouts)


@dataclass(frozen=True)
class Workout:
    """One workout session: start hour on its day (New York), minutes, Terra activity type."""

    hour: int
    minutes: int
    activity_type: int = 8
    upload_type: int = 1
    steps: int | None = None

    def payload(self, member: Member, day: date, summary_id: str) -> dict:
        assert member.terra_user_id is not None
        return activity_payload(member.terra_user_id, day_start_local(day) + timedelta(hours=self.hour),
                                duration_seconds=self.minutes * 60, summary_id=summary_id,
                                activity_type=self.activity_type, upload_type=self.upload_type, steps=self.steps)


def expected_points(final: dict[date, Totals], workouts: dict[date, int]) -> dict[date, int]:
    """The rate table applied to each day's final data, with streaks from consecutive qualifying days
    (an independent calculation: only `domain.points.rules`)."""
    result = {}
    for day in final:
        streak = 0
        current = day
        while current in final and is_qualifying(final[current].activity()):
            streak += 1
            current -= timedelta(days=1)
        result[day] = day_award(final[day].activity(workouts.get(day, 0)), streak).total
    return result


# Running totals that stay plausible (≤ 60,000 steps, ≤ 16 active hours) so every point is credited, not held.
increments = st.tuples(st.integers(0, 9_000), st.integers(0, 1_800), st.integers(0, 2_400), st.integers(0, 3_000))


def running_totals(steps: list[tuple[int, int, int, int]]) -> list[Totals]:
    totals, current = [], Totals()
    for d_steps, d_vig, d_mod, d_low in steps:
        current = Totals(current.steps + d_steps, current.vigorous + d_vig, current.moderate + d_mod,
                         current.low + d_low)
        totals.append(current)
    return totals


# ---------------------------------------------------------------------------------------------------------------
# (b) any order and duplication of a day's payloads gives the same ledger
# ---------------------------------------------------------------------------------------------------------------

workout_sets = st.lists(st.sampled_from([(7, 15), (9, 20), (11, 45), (14, 19), (17, 90), (20, 30)]), max_size=4,
                        unique=True)


@DB_SETTINGS
@given(data=st.data(), steps=st.lists(increments, min_size=1, max_size=6), workouts=workout_sets)
def test_any_order_and_duplication_of_a_days_payloads_gives_the_same_points(
    system: System, data: st.DataObject, steps: list, workouts: list[tuple[int, int]],
) -> None:
    member, reference = make_member(system), make_member(system)
    totals = running_totals(steps)
    # (kind, index, ordering_ts): a tracker's ordering timestamps grow with its running totals
    events = [("daily", i, 1_000 * (i + 1)) for i in range(len(totals))]
    events += [("activity", i, 500 + 1_000 * i) for i in range(len(workouts))]
    summary_ids = [str(uuid.uuid4()) for _ in workouts]
    extra = data.draw(st.lists(st.sampled_from(events), max_size=6), label="duplicates")
    order = data.draw(st.permutations(events + extra), label="delivery order")

    def body(m: Member, kind: str, i: int) -> dict:
        if kind == "daily":
            return totals[i].payload(m, DAY)
        return Workout(*workouts[i]).payload(m, DAY, summary_ids[i])

    seen = 0
    for kind, i, ts in order:
        apply(system, body(member, kind, i), ts)
        now = credited(system, member.user_id, DAY)
        assert now >= seen  # (c) never decreases along the way
        seen = now

    # only the latest daily payload plus each workout once, for a second member
    for kind, i, ts in [e for e in events if e[0] == "activity"] + [events[len(totals) - 1]]:
        apply(system, body(reference, kind, i), ts)

    n_workouts = sum(1 for _, minutes in workouts if minutes >= 20)
    expected = expected_points({DAY: totals[-1]}, {DAY: n_workouts})[DAY]
    assert credited(system, member.user_id, DAY) == credited(system, reference.user_id, DAY) == expected
    with read_session(system) as session:
        summary = session.exec(select(DailySummary).where(DailySummary.user_id == member.user_id)).one()
        assert (summary.steps, summary.ordering_ts) == (totals[-1].steps, 1_000 * len(totals))
        assert len(session.exec(select(Activity).where(Activity.user_id == member.user_id)).all()) == len(workouts)
    assert reviews(system, member.user_id) == []  # running totals never go down: nothing to review
    assert_ledger_ok(system, member.user_id)


@DB_SETTINGS
@given(data=st.data(), days=st.lists(st.lists(increments, min_size=1, max_size=3), min_size=2, max_size=4))
def test_any_order_across_consecutive_days_gives_the_rate_table_points_with_streaks(
    system: System, data: st.DataObject, days: list[list],
) -> None:
    """Days arriving out of order: a later day's streak bonus is recomputed when an earlier day arrives."""
    member = make_member(system)
    per_day = {DAY + timedelta(days=d): running_totals(steps) for d, steps in enumerate(days)}
    events = [(day, i, 1_000 * (d * 10 + i + 1)) for d, (day, totals) in enumerate(per_day.items())
              for i in range(len(totals))]
    extra = data.draw(st.lists(st.sampled_from(events), max_size=4), label="duplicates")
    order = data.draw(st.permutations(events + extra), label="delivery order")

    seen: dict[date, int] = {}
    for day, i, ts in order:
        apply(system, per_day[day][i].payload(member, day), ts)
        for d in per_day:
            now = credited(system, member.user_id, d)
            assert now >= seen.get(d, 0)
            seen[d] = now

    expected = expected_points({day: totals[-1] for day, totals in per_day.items()}, {})
    assert {day: credited(system, member.user_id, day) for day in per_day} == expected
    assert_ledger_ok(system, member.user_id)


# ---------------------------------------------------------------------------------------------------------------
# (a) the daily cap is never exceeded
# ---------------------------------------------------------------------------------------------------------------

any_totals = st.builds(Totals, steps=st.integers(0, 80_000), vigorous=st.integers(0, 10 * HOUR),
                       moderate=st.integers(0, 10 * HOUR), low=st.integers(0, 10 * HOUR),
                       upload_type=st.sampled_from([0, 1, 1, 1, 2, 3]))
any_workout = st.builds(Workout, hour=st.integers(5, 21), minutes=st.integers(5, 150),
                        activity_type=st.sampled_from([0, 1, 8]), upload_type=st.sampled_from([1, 1, 2]),
                        steps=st.none() | st.integers(0, 40_000))
any_event = st.one_of(
    st.tuples(st.just("daily"), st.integers(0, 2), any_totals, st.integers(1, 50)),
    st.tuples(st.just("activity"), st.integers(0, 2), any_workout, st.integers(1, 50)),
)


@DB_SETTINGS
@given(events=st.lists(any_event, min_size=1, max_size=12))
def test_daily_cap_is_never_exceeded_whatever_the_payloads(system: System, events: list) -> None:
    member = make_member(system)
    days = [DAY + timedelta(days=d) for d in range(3)]
    for kind, d, what, ts in events:
        body = what.payload(member, days[d]) if kind == "daily" else what.payload(member, days[d], str(uuid.uuid4()))
        apply(system, body, ts)
        for day in days:
            points = credited(system, member.user_id, day)
            assert points <= DAILY_CAP
            assert points + held(system, member.user_id, day) <= DAILY_CAP
    with read_session(system) as session:
        per_day = session.exec(select(col(PointTransaction.platform_day), sa.func.sum(PointTransaction.amount)).where(
            PointTransaction.user_id == member.user_id, PointTransaction.transaction_type == "earn",
        ).group_by(col(PointTransaction.platform_day))).all()
    assert all(total <= DAILY_CAP for _, total in per_day)
    assert_ledger_ok(system, member.user_id)


def test_a_maxed_out_day_is_credited_exactly_the_cap(system: System) -> None:
    member = make_member(system)
    apply(system, Totals(25_000, 8 * HOUR, 2 * HOUR, 2 * HOUR).payload(member, DAY), 1)
    for hour in (6, 9, 12, 15):
        apply(system, Workout(hour, 40).payload(member, DAY, str(uuid.uuid4())), 2 + hour)
    apply(system, Totals(26_000, 9 * HOUR, 2 * HOUR, 2 * HOUR).payload(member, DAY), 100)
    assert credited(system, member.user_id, DAY) == DAILY_CAP
    with read_session(system) as session:
        total = session.get(DailyPointTotal, (member.user_id, DAY))
        assert total is not None and total.deserved == DAILY_CAP
        assert total.breakdown is not None and total.breakdown["forfeited"] == total.breakdown["uncapped"] - DAILY_CAP
    assert_ledger_ok(system, member.user_id)


# ---------------------------------------------------------------------------------------------------------------
# (c) awards never decrease; a lowered total is flagged for review
# ---------------------------------------------------------------------------------------------------------------

plausible_totals = st.builds(Totals, steps=st.integers(0, 60_000), vigorous=st.integers(0, 4 * HOUR),
                             moderate=st.integers(0, 4 * HOUR), low=st.integers(0, 6 * HOUR))


@DB_SETTINGS
@given(sequence=st.lists(plausible_totals, min_size=1, max_size=8))
def test_awards_never_decrease_and_lowered_totals_are_flagged(system: System, sequence: list[Totals]) -> None:
    member = make_member(system)
    before = 0
    ever_lowered = False
    for i, totals in enumerate(sequence):
        apply(system, totals.payload(member, DAY), 1_000 * (i + 1))  # newer each time: every payload is stored
        deserved = expected_points({DAY: totals}, {})[DAY]
        after = credited(system, member.user_id, DAY)
        assert after == max(before, deserved)
        ever_lowered = ever_lowered or deserved < before
        flagged = [r for r in reviews(system, member.user_id, ReviewKind.lowered_total)
                   if r.status == ReviewStatus.pending.value]
        if ever_lowered:  # one open item for the day, kept up to date
            assert len(flagged) == 1 and flagged[0].platform_day == DAY and flagged[0].amount == 0
        else:
            assert flagged == []
        before = after
    assert held(system, member.user_id, DAY) == 0
    assert_ledger_ok(system, member.user_id)


@DB_SETTINGS
@given(payloads=st.lists(st.tuples(plausible_totals, st.integers(1, 20)), min_size=1, max_size=8))
def test_older_payloads_never_overwrite_newer_ones(system: System, payloads: list[tuple[Totals, int]]) -> None:
    """Arbitrary ordering timestamps: the stored summary is the one with the greatest timestamp (on ties, the later
    delivery), and the day is credited at least what that summary deserves."""
    member = make_member(system)
    seen = 0
    for totals, ts in payloads:
        apply(system, totals.payload(member, DAY), ts)
        now = credited(system, member.user_id, DAY)
        assert now >= seen
        seen = now
    newest_ts = max(ts for _, ts in payloads)
    newest = [t for t, ts in payloads if ts == newest_ts][-1]
    with read_session(system) as session:
        summary = session.exec(select(DailySummary).where(DailySummary.user_id == member.user_id)).one()
    assert (summary.steps, summary.vigorous_seconds, summary.ordering_ts) == (newest.steps, newest.vigorous,
                                                                             newest_ts)
    assert credited(system, member.user_id, DAY) >= expected_points({DAY: newest}, {})[DAY]
    assert_ledger_ok(system, member.user_id)


def test_lowered_total_example(system: System) -> None:
    member = make_member(system)
    apply(system, Totals(steps=12_000).payload(member, DAY), 1)
    assert credited(system, member.user_id, DAY) == 120 + 100 + 5
    apply(system, Totals(steps=8_000).payload(member, DAY), 2)  # the tracker corrected itself downwards
    assert credited(system, member.user_id, DAY) == 225
    [item] = reviews(system, member.user_id)
    assert (item.kind, item.status, item.platform_day) == ("lowered_total", "pending", DAY)
    assert item.evidence is not None and (item.evidence["deserved"], item.evidence["credited"]) == (85, 225)
    apply(system, Totals(steps=7_000).payload(member, DAY), 3)  # one open item per day, updated
    assert len(reviews(system, member.user_id)) == 1
    apply(system, Totals(steps=15_000).payload(member, DAY), 4)  # rises above: the difference is credited
    assert credited(system, member.user_id, DAY) == 150 + 100 + 5
    assert [e.amount for e in entries(system, member.user_id)] == [225, 30]
    assert_ledger_ok(system, member.user_id)


def test_replaying_every_payload_changes_nothing(system: System) -> None:
    member = make_member(system)
    bodies = [(Totals(4_000, 0, 600, 1200).payload(member, DAY), 1),
              (Workout(8, 35).payload(member, DAY, "w-1"), 2),
              (Totals(11_000, 900, 1800, 3600).payload(member, DAY), 3),
              (Totals(6_000).payload(member, DAY + timedelta(days=1)), 4)]
    for body, ts in bodies:
        apply(system, body, ts)
    first = [(e.id, e.amount) for e in entries(system, member.user_id)]
    for body, ts in bodies + bodies[::-1]:
        outcome = apply(system, body, ts)
        assert outcome.points_changes == []
    assert [(e.id, e.amount) for e in entries(system, member.user_id)] == first
    assert_ledger_ok(system, member.user_id)


# ---------------------------------------------------------------------------------------------------------------
# (d) which day a payload belongs to
# ---------------------------------------------------------------------------------------------------------------


def _days_of(system: System, user_id: uuid.UUID) -> tuple[set[date], set[date | None]]:
    """(days of the member's stored daily summaries, platform days of their ledger entries)."""
    with read_session(system) as session:
        summaries = {s.summary_date for s in session.exec(select(DailySummary).where(DailySummary.user_id == user_id))}
        earned = {e.platform_day for e in session.exec(select(PointTransaction).where(
            PointTransaction.user_id == user_id))}
    return summaries, earned


@pytest.mark.parametrize(
    "start_time",
    [
        "2016-04-12T00:00:00.000000-04:00",  # midnight New York (the replay's mapping)
        "2016-04-12T00:00:00.000000+01:00",  # = 2016-04-11 19:00 New York: still the 12th
        "2016-04-12T00:00:00Z",  # = 2016-04-11 20:00 New York
        "2016-04-12T23:30:00.000000-07:00",  # = 2016-04-13 02:30 New York: still the 12th
        "2016-04-12T00:00:00",  # no offset at all
    ],
)
def test_daily_payload_belongs_to_the_date_in_start_time(system: System, start_time: str) -> None:
    member = make_member(system)
    assert member.terra_user_id is not None
    apply(system, daily_payload(member.terra_user_id, DAY, steps=6_000, start_time=start_time), 1)
    assert _days_of(system, member.user_id) == ({DAY}, {DAY})


@DB_SETTINGS
@given(day=st.dates(date(2015, 1, 1), date(2030, 12, 31)), hour=st.integers(0, 23), minute=st.integers(0, 59),
       offset_minutes=st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15))
def test_daily_payload_day_is_sliced_before_any_timezone_conversion(
    system: System, day: date, hour: int, minute: int, offset_minutes: int,
) -> None:
    sign = "+" if offset_minutes >= 0 else "-"
    offset = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    member = make_member(system)
    assert member.terra_user_id is not None
    start_time = f"{day.isoformat()}T{hour:02d}:{minute:02d}:00.000000{offset}"
    apply(system, daily_payload(member.terra_user_id, day, steps=5_000, start_time=start_time), 1)
    assert _days_of(system, member.user_id) == ({day}, {day})


@pytest.mark.parametrize(
    ("start", "day"),
    [
        (datetime(2016, 4, 13, 3, 59, 59, tzinfo=UTC), date(2016, 4, 12)),  # 23:59:59 EDT
        (datetime(2016, 4, 13, 4, 0, 0, tzinfo=UTC), date(2016, 4, 13)),
        (datetime(2016, 3, 13, 4, 59, 59, tzinfo=UTC), date(2016, 3, 12)),  # the night of spring-forward (EST)
        (datetime(2016, 3, 13, 5, 0, 0, tzinfo=UTC), date(2016, 3, 13)),
        (datetime(2016, 3, 14, 3, 59, 59, tzinfo=UTC), date(2016, 3, 13)),  # its end is already EDT
        (datetime(2016, 11, 7, 4, 59, 59, tzinfo=UTC), date(2016, 11, 6)),  # the 25-hour day
        (datetime(2016, 11, 7, 5, 0, 0, tzinfo=UTC), date(2016, 11, 7)),
        (datetime(2026, 3, 8, 4, 59, 59, tzinfo=UTC), date(2026, 3, 7)),
        (datetime(2026, 3, 8, 5, 0, 0, tzinfo=UTC), date(2026, 3, 8)),
        (datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC), date(2026, 11, 1)),
        (datetime(2026, 11, 2, 5, 0, 0, tzinfo=UTC), date(2026, 11, 2)),
    ],
)
def test_workout_belongs_to_the_new_york_day_of_its_start(system: System, start: datetime, day: date) -> None:
    member = make_member(system)
    assert member.terra_user_id is not None
    apply(system, activity_payload(member.terra_user_id, start, duration_seconds=30 * 60), 1)
    with read_session(system) as session:
        [activity] = session.exec(select(Activity).where(Activity.user_id == member.user_id)).all()
    assert activity.platform_day == day
    assert _days_of(system, member.user_id) == (set(), {day})
    assert credited(system, member.user_id, day) == 50


# ---------------------------------------------------------------------------------------------------------------
# (e) source trust: manual uploads and implausible days
# ---------------------------------------------------------------------------------------------------------------


@DB_SETTINGS
@given(totals=any_totals.map(lambda t: replace(t, upload_type=2)), workout=any_workout.map(
    lambda w: replace(w, upload_type=2)))
def test_manual_uploads_earn_nothing(system: System, totals: Totals, workout: Workout) -> None:
    member = make_member(system)
    apply(system, totals.payload(member, DAY), 1)
    apply(system, workout.payload(member, DAY, str(uuid.uuid4())), 2)
    assert entries(system, member.user_id) == []
    assert credited(system, member.user_id, DAY) == 0
    assert held(system, member.user_id, DAY) == 0


def test_manual_days_earn_nothing_break_streaks_and_never_claw_back(system: System) -> None:
    member = make_member(system)
    apply(system, Totals(steps=6_000).payload(member, DAY), 1)
    apply(system, Totals(steps=30_000, upload_type=2).payload(member, DAY + timedelta(days=1)), 2)
    apply(system, Totals(steps=6_000).payload(member, DAY + timedelta(days=2)), 3)
    # day 2 is manual: nothing for it, and day 3's streak restarts at 1
    assert [credited(system, member.user_id, DAY + timedelta(days=d)) for d in range(3)] == [65, 0, 65]
    # a manual entry replacing day 1's automatic data: the day deserves 0 now, keeps its 65, and is flagged
    apply(system, Totals(steps=30_000, upload_type=2).payload(member, DAY), 4)
    assert credited(system, member.user_id, DAY) == 65
    assert [(r.kind, r.platform_day) for r in reviews(system, member.user_id)] == [("lowered_total", DAY)]
    assert_ledger_ok(system, member.user_id)


@DB_SETTINGS
@given(totals=st.builds(Totals, steps=st.integers(60_001, 200_000), vigorous=st.integers(0, 3 * HOUR),
                        moderate=st.integers(0, 3 * HOUR), low=st.integers(0, 3 * HOUR)))
def test_implausible_days_are_held_for_review_not_credited(system: System, totals: Totals) -> None:
    member = make_member(system)
    apply(system, totals.payload(member, DAY), 1)
    assert entries(system, member.user_id) == []
    assert credited(system, member.user_id, DAY) == 0
    [item] = reviews(system, member.user_id)
    assert (item.kind, item.status, item.platform_day) == ("held_points", "pending", DAY)
    assert item.amount == expected_points({DAY: totals}, {})[DAY] > 0
    assert "steps" in item.reason
    # the same payload again holds nothing more
    apply(system, totals.payload(member, DAY), 1)
    assert held(system, member.user_id, DAY) == item.amount
    assert_ledger_ok(system, member.user_id)


@pytest.mark.parametrize(
    ("totals", "workout", "reason"),
    [
        (Totals(steps=8_000, vigorous=10 * HOUR, moderate=5 * HOUR, low=2 * HOUR), None, "active hours"),
        (Totals(steps=8_000), Workout(hour=9, minutes=20, steps=6_000), "cadence"),  # 300 steps/min
    ],
)
def test_other_implausible_data_is_held(system: System, totals: Totals, workout: Workout | None,
                                        reason: str) -> None:
    member = make_member(system)
    if workout is not None:
        apply(system, workout.payload(member, DAY, "w-1"), 1)
    apply(system, totals.payload(member, DAY), 2)
    assert credited(system, member.user_id, DAY) == 0
    [item] = reviews(system, member.user_id)
    assert item.kind == "held_points" and reason in item.reason and item.amount > 0
    assert_ledger_ok(system, member.user_id)


# ---------------------------------------------------------------------------------------------------------------
# The same on PostgreSQL (example-based)
# ---------------------------------------------------------------------------------------------------------------


def test_engine_scenario_postgres(pg_system: System) -> None:
    system = pg_system
    member, reference = make_member(system), make_member(system)
    totals = running_totals([(3_000, 0, 600, 900), (4_000, 300, 900, 1200), (5_500, 600, 300, 0),
                             (9_000, 1200, 600, 600)])
    workouts = [Workout(7, 45), Workout(12, 19), Workout(18, 25, activity_type=1)]
    events = [("daily", i, 1_000 * (i + 1)) for i in range(len(totals))]
    events += [("activity", i, 300 + 1_000 * i) for i in range(len(workouts))]
    order = [events[3], events[5], events[0], events[3], events[1], events[4], events[6], events[2], events[0],
             events[5]]
    for m, sequence in [(member, order), (reference, [events[3], events[4], events[5], events[6]])]:
        seen = 0
        for kind, i, ts in sequence:
            body = totals[i].payload(m, DAY) if kind == "daily" else workouts[i].payload(m, DAY, f"w-{i}")
            apply(system, body, ts)
            now = credited(system, m.user_id, DAY)
            assert now >= seen
            seen = now
    expected = expected_points({DAY: totals[-1]}, {DAY: 2})[DAY]
    assert credited(system, member.user_id, DAY) == credited(system, reference.user_id, DAY) == expected

    # a lowered total is flagged, never clawed back
    apply(system, Totals(steps=1_000).payload(member, DAY), 99_999)
    assert credited(system, member.user_id, DAY) == expected
    assert [r.kind for r in reviews(system, member.user_id)] == ["lowered_total"]

    # the cap, a manual day and an implausible day
    next_day, manual_day, wild_day = (DAY + timedelta(days=d) for d in (1, 2, 3))
    apply(system, Totals(30_000, 10 * HOUR, 2 * HOUR, 2 * HOUR).payload(member, next_day), 1)
    apply(system, Totals(30_000, upload_type=2).payload(member, manual_day), 1)
    apply(system, Totals(90_000).payload(member, wild_day), 1)
    assert credited(system, member.user_id, next_day) == DAILY_CAP
    assert credited(system, member.user_id, manual_day) == 0
    assert credited(system, member.user_id, wild_day) == 0
    assert held(system, member.user_id, wild_day) > 0
    assert_ledger_ok(system, member.user_id)
    assert_ledger_ok(system, reference.user_id)
