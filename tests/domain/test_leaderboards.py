"""Leaderboards from the database (PRODUCT.md §5), on a SQLite file and on PostgreSQL: ranking and every tie-break,
periods (week starts Monday 00:00 America/New_York), top-100 and ±10 windows, privacy, OPEN membership, exclusions,
and a Hypothesis property against an independent Python ranking."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.system import System
from domain.competition.leaderboards import (
    HIDDEN_NAME,
    Board,
    boards_for_user,
    default_board,
    get_board,
    initials,
    shown_name,
)
from domain.shared.calendar import platform_day
from domain.shared.enums import Period
from domain.shared.errors import InvalidInput
from tests.support.db import read_session, write_session
from tests.support.leaderboards import OTHER_TIER, TIER, USERS, at, earn, make_member, uid

MON = date(2016, 4, 11)  # a Monday
TUE = MON + timedelta(days=1)


def board_of(db_system: System, period: Period = Period.weekly, day: date = TUE, **kw: object) -> Board:
    with read_session(db_system) as s:
        return get_board(s, board=kw.pop("board", TIER), period=period, day=day, **kw)  # type: ignore[arg-type]


def order(board: Board) -> list[uuid.UUID]:
    return [e.user_id for e in board.entries]


def test_rank_order_and_every_tie_break(db_system: System) -> None:
    with write_session(db_system) as s:
        late_100 = make_member(s, "Late Hundred", user_id=uid(1))
        early_100 = make_member(s, "Early Hundred", user_id=uid(9))
        two_days_50 = make_member(s, "Two Days", user_id=uid(8))
        one_day_50 = make_member(s, "One Day", user_id=uid(2))
        tie_hi_id = make_member(s, "Tie High", user_id=uid(7))
        tie_lo_id = make_member(s, "Tie Low", user_id=uid(6))
        zero_hi = make_member(s, "Zero High", user_id=uid(5))
        zero_lo = make_member(s, "Zero Low", user_id=uid(4))
        top = make_member(s, "Top", user_id=uid(3))
        earn(s, late_100, TUE, 100, at(20))
        earn(s, early_100, TUE, 60, at(1))
        earn(s, early_100, MON, 40, at(10))  # reaches 100 at minute 10, before late_100 (minute 20)
        earn(s, two_days_50, MON, 25, at(2))
        earn(s, two_days_50, TUE, 25, at(30))  # reached 50 at minute 30 ...
        earn(s, one_day_50, TUE, 50, at(30))  # ... same instant, but only one active day
        earn(s, tie_hi_id, TUE, 30, at(40))
        earn(s, tie_lo_id, TUE, 30, at(40))  # identical: lower user id first
        earn(s, top, TUE, 500, at(50))
    expected = [top, early_100, late_100, two_days_50, one_day_50, tie_lo_id, tie_hi_id, zero_lo, zero_hi]
    for period in (Period.weekly, Period.alltime, Period.monthly):
        board = board_of(db_system, period)
        assert order(board) == expected, period
        assert [e.rank for e in board.entries] == list(range(1, 10))
        assert board.total_members == 9
    weekly = board_of(db_system)
    assert [e.points for e in weekly.entries] == [500, 100, 100, 50, 50, 30, 30, 0, 0]
    assert [e.active_days for e in weekly.entries] == [1, 2, 1, 2, 1, 1, 1, 0, 0]
    # The daily board of Tuesday only counts Tuesday: early_100 has 60 there.
    daily = board_of(db_system, Period.daily)
    assert [(e.user_id, e.points) for e in daily.entries[:4]] == [
        (top, 500), (late_100, 100), (early_100, 60), (one_day_50, 50)]


def test_weekly_boundary_is_monday_midnight_new_york(db_system: System) -> None:
    sunday_night = datetime(2016, 4, 11, 3, 59, 59, tzinfo=UTC)  # Sunday 23:59:59 EDT
    monday_morning = datetime(2016, 4, 11, 4, 0, 0, tzinfo=UTC)  # Monday 00:00:00 EDT
    assert platform_day(sunday_night) == date(2016, 4, 10)
    assert platform_day(monday_morning) == MON
    with write_session(db_system) as s:
        a = make_member(s, "Sunday Sam")
        b = make_member(s, "Monday Mo")
        earn(s, a, platform_day(sunday_night), 300, sunday_night)
        earn(s, b, platform_day(monday_morning), 100, monday_morning)
    this_week = board_of(db_system, Period.weekly, MON + timedelta(days=6))
    assert (this_week.period_start, this_week.period_end) == (MON, date(2016, 4, 17))
    assert [(e.user_id, e.points) for e in this_week.entries] == [(b, 100), (a, 0)]
    last_week = board_of(db_system, Period.weekly, date(2016, 4, 10))
    assert (last_week.period_start, last_week.period_end) == (date(2016, 4, 4), date(2016, 4, 10))
    assert [(e.user_id, e.points) for e in last_week.entries] == [(a, 300), (b, 0)]
    alltime = board_of(db_system, Period.alltime)
    assert (alltime.period_start, alltime.period_end) == (None, None)
    assert [(e.user_id, e.points) for e in alltime.entries] == [(a, 300), (b, 100)]


def test_monthly_and_daily_periods(db_system: System) -> None:
    april_30, may_1 = date(2016, 4, 30), date(2016, 5, 1)
    with write_session(db_system) as s:
        a = make_member(s, "April")
        b = make_member(s, "May")
        earn(s, a, april_30, 70, at(1))
        earn(s, a, date(2016, 4, 1), 10, at(2))
        earn(s, b, may_1, 50, at(3))
        earn(s, a, may_1, 20, at(4))
    april = board_of(db_system, Period.monthly, date(2016, 4, 15))
    assert (april.period_start, april.period_end) == (date(2016, 4, 1), april_30)
    assert [(e.user_id, e.points, e.active_days) for e in april.entries] == [(a, 80, 2), (b, 0, 0)]
    may = board_of(db_system, Period.monthly, date(2016, 5, 31))
    assert [(e.user_id, e.points) for e in may.entries] == [(b, 50), (a, 20)]
    day = board_of(db_system, Period.daily, april_30)
    assert (day.period_start, day.period_end) == (april_30, april_30)
    assert [(e.user_id, e.points) for e in day.entries] == [(a, 70), (b, 0)]


def test_top_100_and_around_me_windows(db_system: System) -> None:
    members: list[uuid.UUID] = []
    with write_session(db_system) as s:
        for i in range(250):
            m = make_member(s, f"Member {i:03d}")
            members.append(m)
            if i < 240:  # the last 10 have no points and rank by user id
                earn(s, m, TUE, 1000 - i * 3, at(i))
    zero_sorted = sorted(members[240:], key=str)
    expected = members[:240] + zero_sorted

    board = board_of(db_system, viewer_id=None)
    assert len(board.entries) == 100 and board.me is None and board.around_me == ()
    assert order(board) == expected[:100] and board.total_members == 250

    top = board_of(db_system, viewer_id=expected[0])
    assert top.me is not None and top.me.rank == 1 and top.me.is_viewer
    assert [e.rank for e in top.around_me] == list(range(1, 12))

    middle = board_of(db_system, viewer_id=expected[149])
    assert middle.me is not None and middle.me.rank == 150
    assert [e.rank for e in middle.around_me] == list(range(140, 161))
    assert [e.user_id for e in middle.around_me] == expected[139:160]
    assert len(middle.entries) == 100 and middle.entries[-1].rank == 100

    bottom = board_of(db_system, viewer_id=expected[-1])
    assert bottom.me is not None and bottom.me.rank == 250 and bottom.me.points == 0
    assert [e.rank for e in bottom.around_me] == list(range(240, 251))

    small = board_of(db_system, viewer_id=expected[4], limit=3)
    assert [e.rank for e in small.entries] == [1, 2, 3]
    assert [e.rank for e in small.around_me] == list(range(1, 16))


def test_privacy_names_hidden_counted_viewer_sees_own_name(db_system: System) -> None:
    with write_session(db_system) as s:
        vis = make_member(s, "Jane Doe")
        ini = make_member(s, "john ronald doe", privacy="initials")
        one = make_member(s, "Cher", privacy="initials")
        hid = make_member(s, "Secret Agent", privacy="hidden")
        for n, m in enumerate((hid, vis, ini, one)):
            earn(s, m, TUE, 400 - n * 100, at(n))
    board = board_of(db_system)
    assert [(e.user_id, e.display_name) for e in board.entries] == [
        (hid, HIDDEN_NAME), (vis, "Jane Doe"), (ini, "J. R."), (one, "C.")]
    assert board.entries[0].hidden and board.entries[0].rank == 1 and board.total_members == 4
    as_hidden = board_of(db_system, viewer_id=hid)
    assert as_hidden.me is not None and as_hidden.me.display_name == "Secret Agent"
    assert as_hidden.entries[0].display_name == "Secret Agent"
    as_other = board_of(db_system, viewer_id=ini)
    assert as_other.me is not None and as_other.me.display_name == "john ronald doe"
    assert initials("  ") == "?" and shown_name("Ann Lee", "hidden", is_viewer=True) == "Ann Lee"
    # ids: a hidden member's only to themselves
    assert [e.public_user_id for e in board.entries] == [None, vis, ini, one]
    assert as_hidden.entries[0].public_user_id == hid


def test_open_membership_and_boards_for_user(db_system: System) -> None:
    with write_session(db_system) as s:
        tier_only = make_member(s, "Tier Only")
        opted = make_member(s, "Opted In", open_opt_in=True)
        no_sex = make_member(s, "No Tier", tier=None)
        other = make_member(s, "Other Tier", tier=OTHER_TIER)
        for n, m in enumerate((tier_only, opted, no_sex, other)):
            earn(s, m, TUE, 10 * (n + 1), at(n))
    open_board = board_of(db_system, board="OPEN")
    assert order(open_board) == [no_sex, opted]
    assert order(board_of(db_system)) == [opted, tier_only]
    assert order(board_of(db_system, board=OTHER_TIER)) == [other]
    empty = board_of(db_system, board="F-60+-ADV")
    assert empty.entries == () and empty.total_members == 0
    with read_session(db_system) as s:
        assert boards_for_user(s, tier_only) == [TIER]
        assert boards_for_user(s, opted) == [TIER, "OPEN"]
        assert boards_for_user(s, no_sex) == ["OPEN"]
        assert boards_for_user(s, uuid.uuid4()) == []
        assert [default_board(s, m) for m in (tier_only, opted, no_sex, uuid.uuid4())] == [TIER, TIER, "OPEN", "OPEN"]


def test_banned_and_deleted_excluded_suspended_listed(db_system: System) -> None:
    with write_session(db_system) as s:
        ok = make_member(s, "Active")
        sus = make_member(s, "Suspended", status="suspended")
        ban = make_member(s, "Banned", status="banned")
        gone = make_member(s, "Deleted", status="deleted")
        for n, m in enumerate((ok, sus, ban, gone)):
            earn(s, m, TUE, 100 + n, at(n))
    board = board_of(db_system, viewer_id=ban)
    assert order(board) == [sus, ok] and board.total_members == 2
    assert board.me is None and board.around_me == ()
    with read_session(db_system) as s:
        assert boards_for_user(s, ban) == []


def test_bad_input_is_refused(db_system: System) -> None:
    with read_session(db_system) as s:
        for bad in ("M-30-39", "open", "X-18-29-BEG", ""):
            with pytest.raises(InvalidInput):
                get_board(s, board=bad, period=Period.daily, day=TUE)
        with pytest.raises(InvalidInput):
            get_board(s, board=TIER, period=Period.daily, day=TUE, limit=0)


def test_board_sql_compiles_for_oracle() -> None:
    from sqlalchemy.dialects import oracle

    from domain.competition.leaderboards import board_statement

    for board in (TIER, "OPEN"):
        for period in Period:
            sql = str(board_statement(board, period, TUE, viewer_id=uuid.uuid4(), limit=100, around=10)
                      .compile(dialect=oracle.dialect()))
            assert "row_number() OVER" in sql and " IS 1" not in sql and "LIMIT" not in sql.upper().split("ORDER")[0]


# ------------------------------------------------------------------------------------ Hypothesis: order property
BASE = date(2016, 4, 4)  # Monday; days 0..9 span two weeks
member_st = st.fixed_dictionaries({
    "where": st.sampled_from(["tier", "tier+open", "open", "other"]),
    "status": st.sampled_from(["active", "active", "suspended", "banned"]),
    "posts": st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from([10, 20, 30]), st.integers(0, 3)), max_size=4),
})


def _python_board(members: list[dict], board: str, period: Period, day: date) -> list[tuple[uuid.UUID, int, int]]:
    """An independent model of PRODUCT.md §5 ranking over the generated data."""
    from domain.shared.calendar import period_bounds

    lo, hi = period_bounds(period, day)
    rows = []
    for m in members:
        on = {"tier": [TIER], "tier+open": [TIER, "OPEN"], "open": ["OPEN"], "other": [OTHER_TIER]}[m["where"]]
        if board not in on or m["status"] == "banned":
            continue
        day_points: dict[date, int] = {}
        day_reached: dict[date, datetime] = {}
        last_any = None
        for d, amount, t in m["posts"]:
            pday = BASE + timedelta(days=d)
            day_points[pday] = day_points.get(pday, 0) + amount
            day_reached[pday] = at(t)  # the last post to a day sets its reached_at
            last_any = at(t)
        days = [d for d in day_points if lo <= d <= hi]
        points = sum(day_points[d] for d in days)
        reached = max((day_reached[d] for d in days), default=None)
        if period == Period.alltime:
            reached = last_any
        rows.append((m["id"], points, reached, len(days)))
    rows.sort(key=lambda r: (-r[1], r[2] is None, r[2] or datetime.min.replace(tzinfo=UTC), -r[3], str(r[0])))
    return [(r[0], r[1], r[3]) for r in rows]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(member_st, min_size=1, max_size=14),
    board=st.sampled_from([TIER, "OPEN"]),
    period=st.sampled_from(list(Period)),
    day_index=st.integers(0, 9),
    viewer_index=st.integers(0, 20),
)
def test_property_board_order_equals_independent_sort(
    db_system: System, members: list[dict], board: str, period: Period, day_index: int, viewer_index: int,
) -> None:
    with write_session(db_system) as s:
        s.execute(sa.update(USERS).values(status="deleted"))  # earlier examples leave every board
        for m in members:
            tier = {"tier": TIER, "tier+open": TIER, "open": None, "other": OTHER_TIER}[m["where"]]
            m["id"] = make_member(s, "P Q", tier=tier, open_opt_in=m["where"] == "tier+open", status=m["status"])
            for d, amount, t in m["posts"]:
                earn(s, m["id"], BASE + timedelta(days=d), amount, at(t))
    day = BASE + timedelta(days=day_index)
    expected = _python_board(members, board, period, day)
    viewer = members[viewer_index % len(members)]["id"]
    got = board_of(db_system, period, day, board=board, viewer_id=viewer, limit=1000)
    assert [(e.user_id, e.points, e.active_days) for e in got.entries] == expected
    assert got.total_members == len(expected)
    ids = [r[0] for r in expected]
    if viewer in ids:
        rank = ids.index(viewer) + 1
        assert got.me is not None and got.me.rank == rank
        assert [e.rank for e in got.around_me] == list(range(max(1, rank - 10), min(len(ids), rank + 10) + 1))
    else:
        assert got.me is None
