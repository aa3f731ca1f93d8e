"""Platform time (PRODUCT.md §4, §5; `domain.shared.calendar`): the platform day is the America/New_York date, weeks
start Monday 00:00 New York, months are New York calendar months — around midnight and across DST switches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.calendar import PLATFORM_TZ, day_start_utc, period_bounds, period_key, platform_day
from domain.shared.enums import Period

NY = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # EDT (UTC−4): the platform day turns at 04:00 UTC
        (utc(2016, 4, 12, 3, 59, 59), date(2016, 4, 11)),
        (utc(2016, 4, 12, 4, 0, 0), date(2016, 4, 12)),
        (utc(2016, 4, 13, 3, 59, 59, 999999), date(2016, 4, 12)),
        # EST (UTC−5): the platform day turns at 05:00 UTC
        (utc(2016, 1, 5, 4, 59, 59), date(2016, 1, 4)),
        (utc(2016, 1, 5, 5, 0, 0), date(2016, 1, 5)),
        (utc(2016, 1, 5, 4, 0, 0), date(2016, 1, 4)),
        # 2016-03-13: spring forward at 02:00 EST = 07:00 UTC; the day starts at 05:00 UTC, the next at 04:00 UTC
        (utc(2016, 3, 13, 4, 59, 59), date(2016, 3, 12)),
        (utc(2016, 3, 13, 5, 0, 0), date(2016, 3, 13)),
        (utc(2016, 3, 13, 6, 59, 59), date(2016, 3, 13)),
        (utc(2016, 3, 13, 7, 0, 0), date(2016, 3, 13)),
        (utc(2016, 3, 14, 3, 59, 59), date(2016, 3, 13)),
        (utc(2016, 3, 14, 4, 0, 0), date(2016, 3, 14)),
        # 2016-11-06: fall back at 02:00 EDT = 06:00 UTC; the day starts at 04:00 UTC, the next at 05:00 UTC
        (utc(2016, 11, 6, 3, 59, 59), date(2016, 11, 5)),
        (utc(2016, 11, 6, 4, 0, 0), date(2016, 11, 6)),
        (utc(2016, 11, 6, 5, 30, 0), date(2016, 11, 6)),  # 01:30 EDT, the first time
        (utc(2016, 11, 6, 6, 30, 0), date(2016, 11, 6)),  # 01:30 EST, the second time
        (utc(2016, 11, 7, 4, 59, 59), date(2016, 11, 6)),
        (utc(2016, 11, 7, 5, 0, 0), date(2016, 11, 7)),
        # 2026-03-08 and 2026-11-01
        (utc(2026, 3, 8, 4, 59, 59), date(2026, 3, 7)),
        (utc(2026, 3, 8, 5, 0, 0), date(2026, 3, 8)),
        (utc(2026, 3, 9, 3, 59, 59), date(2026, 3, 8)),
        (utc(2026, 3, 9, 4, 0, 0), date(2026, 3, 9)),
        (utc(2026, 11, 1, 3, 59, 59), date(2026, 10, 31)),
        (utc(2026, 11, 1, 4, 0, 0), date(2026, 11, 1)),
        (utc(2026, 11, 2, 4, 59, 59), date(2026, 11, 1)),
        (utc(2026, 11, 2, 5, 0, 0), date(2026, 11, 2)),
        # New Year's Eve in New York
        (utc(2017, 1, 1, 4, 59, 59), date(2016, 12, 31)),
        (utc(2017, 1, 1, 5, 0, 0), date(2017, 1, 1)),
    ],
)
def test_platform_day_around_midnight_and_dst(moment: datetime, expected: date) -> None:
    assert platform_day(moment) == expected
    # the same instant in another zone is the same platform day
    assert platform_day(moment.astimezone(ZoneInfo("Asia/Tokyo"))) == expected
    assert platform_day(moment.astimezone(ZoneInfo("America/Los_Angeles"))) == expected


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        platform_day(datetime(2016, 4, 12, 12, 0))


@pytest.mark.parametrize(
    ("day", "start", "hours"),
    [
        (date(2016, 4, 12), utc(2016, 4, 12, 4), 24),
        (date(2016, 1, 5), utc(2016, 1, 5, 5), 24),
        (date(2016, 3, 13), utc(2016, 3, 13, 5), 23),
        (date(2016, 11, 6), utc(2016, 11, 6, 4), 25),
        (date(2026, 3, 8), utc(2026, 3, 8, 5), 23),
        (date(2026, 11, 1), utc(2026, 11, 1, 4), 25),
    ],
)
def test_day_start_and_length_across_dst(day: date, start: datetime, hours: int) -> None:
    assert day_start_utc(day) == start
    assert day_start_utc(day).tzinfo is not None and day_start_utc(day).utcoffset() == timedelta(0)
    assert day_start_utc(day + timedelta(days=1)) - day_start_utc(day) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2016, 4, 11), date(2016, 4, 11)),  # a Monday
        (date(2016, 4, 17), date(2016, 4, 11)),  # the Sunday after it
        (date(2016, 4, 18), date(2016, 4, 18)),
        (date(2016, 3, 13), date(2016, 3, 7)),  # DST Sunday belongs to the week that began before the switch
        (date(2016, 3, 14), date(2016, 3, 14)),
        (date(2016, 11, 6), date(2016, 10, 31)),
        (date(2026, 3, 8), date(2026, 3, 2)),
        (date(2026, 11, 1), date(2026, 10, 26)),
        (date(2026, 1, 1), date(2025, 12, 29)),  # weeks cross year ends
    ],
)
def test_week_starts_monday(day: date, monday: date) -> None:
    assert period_bounds(Period.weekly, day) == (monday, monday + timedelta(days=6))
    assert period_key(Period.weekly, day) == f"weekly:{monday.isoformat()}"


@pytest.mark.parametrize(
    ("moment", "week_start"),
    [
        # Sunday 23:59:59 New York (EDT) is still last week; Monday 00:00 New York starts the new one
        (utc(2016, 4, 18, 3, 59, 59), date(2016, 4, 11)),
        (utc(2016, 4, 18, 4, 0, 0), date(2016, 4, 18)),
        # the week after spring-forward begins at 04:00 UTC on Monday 2016-03-14
        (utc(2016, 3, 14, 3, 59, 59), date(2016, 3, 7)),
        (utc(2016, 3, 14, 4, 0, 0), date(2016, 3, 14)),
        # the week after fall-back begins at 05:00 UTC on Monday 2016-11-07
        (utc(2016, 11, 7, 4, 59, 59), date(2016, 10, 31)),
        (utc(2016, 11, 7, 5, 0, 0), date(2016, 11, 7)),
        (utc(2026, 3, 9, 3, 59, 59), date(2026, 3, 2)),
        (utc(2026, 3, 9, 4, 0, 0), date(2026, 3, 9)),
        (utc(2026, 11, 2, 4, 59, 59), date(2026, 10, 26)),
        (utc(2026, 11, 2, 5, 0, 0), date(2026, 11, 2)),
    ],
)
def test_week_boundary_is_monday_midnight_new_york(moment: datetime, week_start: date) -> None:
    assert period_bounds(Period.weekly, platform_day(moment))[0] == week_start


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (date(2016, 4, 12), (date(2016, 4, 1), date(2016, 4, 30))),
        (date(2016, 2, 29), (date(2016, 2, 1), date(2016, 2, 29))),
        (date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2016, 12, 31), (date(2016, 12, 1), date(2016, 12, 31))),
        (date(2016, 1, 31), (date(2016, 1, 1), date(2016, 1, 31))),
    ],
)
def test_month_bounds(day: date, bounds: tuple[date, date]) -> None:
    assert period_bounds(Period.monthly, day) == bounds
    assert period_key(Period.monthly, day) == f"monthly:{bounds[0].isoformat()}"


def test_daily_and_alltime_periods() -> None:
    day = date(2016, 4, 12)
    assert period_bounds(Period.daily, day) == (day, day)
    assert period_key(Period.daily, day) == "daily:2016-04-12"
    assert period_bounds(Period.alltime, day) == (date.min, date.max)
    assert period_key(Period.alltime, day) == "alltime"


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(instants)
def test_every_instant_lies_inside_its_platform_day(moment: datetime) -> None:
    day = platform_day(moment)
    assert day_start_utc(day) <= moment < day_start_utc(day + timedelta(days=1))
    assert day == moment.astimezone(NY).date()


@given(days)
def test_day_start_belongs_to_its_day_and_days_last_23_to_25_hours(day: date) -> None:
    start = day_start_utc(day)
    assert platform_day(start) == day
    assert platform_day(start - timedelta(microseconds=1)) == day - timedelta(days=1)
    assert start.astimezone(PLATFORM_TZ).time().isoformat() == "00:00:00"
    length = day_start_utc(day + timedelta(days=1)) - start
    assert length in {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}


@given(days)
def test_week_contains_the_day_starts_monday_and_has_seven_days(day: date) -> None:
    start, end = period_bounds(Period.weekly, day)
    assert start.weekday() == 0 and end - start == timedelta(days=6) and start <= day <= end
    # every day of that week has the same key
    assert {period_key(Period.weekly, start + timedelta(days=i)) for i in range(7)} == {period_key(Period.weekly, day)}
    assert period_key(Period.weekly, end + timedelta(days=1)) != period_key(Period.weekly, day)


@given(days)
def test_month_contains_the_day_and_is_the_calendar_month(day: date) -> None:
    start, end = period_bounds(Period.monthly, day)
    assert start == day.replace(day=1) and start <= day <= end
    assert (end + timedelta(days=1)).day == 1 and end.month == day.month


@given(instants)
def test_week_of_an_instant_starts_at_a_monday_midnight_new_york(moment: datetime) -> None:
    monday = period_bounds(Period.weekly, platform_day(moment))[0]
    start = day_start_utc(monday)
    assert start <= moment < start + timedelta(days=8)  # a week is 7 days ± one DST hour
    local = start.astimezone(NY)
    assert (local.weekday(), local.hour, local.minute) == (0, 0, 0)
