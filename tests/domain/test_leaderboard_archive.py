"""Archived final standings (PRODUCT.md §5: "At a period's end the final standings are archived and can be
browsed"): which periods are archived, idempotence (also under concurrent archivers), browsing, the hourly task."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from app.system import System
from domain.competition.leaderboards import archive_ended_periods, get_archive, list_archives
from domain.shared.calendar import platform_day
from domain.shared.enums import Period
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.types import utcnow
from tests.support.db import read_session, write_session
from tests.support.leaderboards import ARCHIVES, OTHER_TIER, TIER, at, earn, make_member

TODAY = date(2016, 4, 20)  # a Wednesday


def archive(db_system: System, today: date) -> int:
    """The production path (`tasks.leaderboards.archive_now` calls the same function with the app's sessions)."""
    return archive_ended_periods(partial(read_session, db_system), partial(write_session, db_system), today, utcnow)


def seed(db_system: System) -> dict[str, object]:
    with write_session(db_system) as s:
        a = make_member(s, "Jane Doe", open_opt_in=True)
        b = make_member(s, "Bo Hidden", privacy="hidden")
        c = make_member(s, "Old Timer", tier=OTHER_TIER)
        earn(s, a, date(2016, 4, 12), 100, at(1))  # Tue of the week 04-11..04-17 (ended)
        earn(s, b, date(2016, 4, 12), 150, at(2))
        earn(s, a, date(2016, 4, 18), 40, at(3))  # Mon of the running week
        earn(s, b, TODAY, 10, at(4))  # today: nothing of it is archived yet
        earn(s, c, date(2016, 2, 1), 20, at(5))  # February: only the month is within the look-back
        earn(s, c, date(2016, 1, 15), 20, at(6))  # January: out of every look-back window
    return {"a": a, "b": b, "c": c}


EXPECTED = {
    (TIER, "daily", date(2016, 4, 12)), ("OPEN", "daily", date(2016, 4, 12)),
    (TIER, "daily", date(2016, 4, 18)), ("OPEN", "daily", date(2016, 4, 18)),
    (TIER, "weekly", date(2016, 4, 11)), ("OPEN", "weekly", date(2016, 4, 11)),
    (OTHER_TIER, "monthly", date(2016, 2, 1)),
}


def archived(db_system: System) -> set[tuple[str, str, date]]:
    with read_session(db_system) as s:
        rows = s.execute(sa.select(ARCHIVES.c.tier_code, ARCHIVES.c.period, ARCHIVES.c.period_start)).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def test_archives_ended_periods_once(db_system: System) -> None:
    ids = seed(db_system)
    assert archive(db_system, TODAY) == len(EXPECTED)
    assert archived(db_system) == EXPECTED
    assert archive(db_system, TODAY) == 0  # idempotent
    assert archived(db_system) == EXPECTED
    assert archive(db_system, TODAY + timedelta(days=1)) == 1  # the next day, Wednesday's daily boards have ended too
    assert (TIER, "daily", TODAY) in archived(db_system)
    with read_session(db_system) as s:
        week = get_archive(s, TIER, Period.weekly, date(2016, 4, 11))
    assert (week.summary.period_start, week.summary.period_end) == (date(2016, 4, 11), date(2016, 4, 17))
    assert week.standings == [
        {"rank": 1, "user_id": str(ids["b"]), "display_name": "Hidden member", "points": 150, "active_days": 1,
         "hidden": True},
        {"rank": 2, "user_id": str(ids["a"]), "display_name": "Jane Doe", "points": 100, "active_days": 1,
         "hidden": False},
    ]
    # shown to a viewer: a hidden member's id only to themselves (PRODUCT.md §5)
    assert [(r.rank, r.user_id, r.display_name) for r in week.seen_by(ids["a"])] == [  # type: ignore[arg-type]
        (1, None, "Hidden member"), (2, ids["a"], "Jane Doe")]
    assert [r.user_id for r in week.seen_by(ids["b"])] == [ids["b"], ids["a"]]  # type: ignore[arg-type]
    assert [r.user_id for r in week.seen_by(None)] == [None, ids["a"]]


def test_concurrent_archivers_write_each_archive_once(db_system: System) -> None:
    seed(db_system)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(archive(db_system, TODAY))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sum(results) == len(EXPECTED)
    assert archived(db_system) == EXPECTED


def test_archive_keeps_the_top_100(db_system: System) -> None:
    with write_session(db_system) as s:
        for i in range(120):
            m = make_member(s, f"Member {i}")
            earn(s, m, date(2016, 4, 19), 500 - i, at(i))
    archive(db_system, TODAY)
    with read_session(db_system) as s:
        day = get_archive(s, TIER, Period.daily, date(2016, 4, 19))
    assert [r["rank"] for r in day.standings] == list(range(1, 101))
    assert day.standings[0]["points"] == 500 and day.summary.entries == 100


def test_browse_archives(db_system: System) -> None:
    seed(db_system)
    archive(db_system, TODAY)
    with read_session(db_system) as s:
        everything = list_archives(s, page=1, limit=100)
        assert everything.total == len(EXPECTED) and everything.pages == 1
        starts = [a.period_start for a in everything.items]
        assert starts == sorted(starts, reverse=True)  # newest first
        tier_daily = list_archives(s, TIER, Period.daily)
        assert [a.period_start for a in tier_daily.items] == [date(2016, 4, 18), date(2016, 4, 12)]
        page2 = list_archives(s, None, None, page=2, limit=3)
        assert page2.total == 7 and page2.pages == 3 and len(page2.items) == 3
        assert list_archives(s, "F-60+-ADV").total == 0
        with pytest.raises(NotFound):
            get_archive(s, TIER, Period.weekly, date(2016, 4, 18))
        with pytest.raises(InvalidInput):
            list_archives(s, "NOPE")
        with pytest.raises(InvalidInput):
            list_archives(s, TIER, Period.alltime)
        with pytest.raises(InvalidInput):
            list_archives(s, page=0)


def test_hourly_task_archives_yesterday(system: System) -> None:
    from tasks.leaderboards import archive_now, rebuild_now

    yesterday = platform_day(utcnow()) - timedelta(days=1)
    with write_session(system) as s:
        m = make_member(s, "Task Member")
        earn(s, m, yesterday, 30, utcnow())
    assert archive_now(system) >= 1
    assert (TIER, "daily", yesterday) in archived(system)
    assert archive_now(system) == 0
    assert rebuild_now(system) == 0  # no Redis configured: no-op
