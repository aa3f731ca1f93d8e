"""Platform time (PRODUCT.md §4, §5): the platform day is the calendar day in America/New_York; weeks start on
Monday 00:00 America/New_York; months are calendar months there. All stored timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.shared.enums import Period

PLATFORM_TZ = ZoneInfo("America/New_York")


def platform_day(moment: datetime) -> date:
    """The platform day (America/New_York date) of an aware datetime. Raises ValueError for a naive one."""
    if moment.tzinfo is None:
        raise ValueError("platform_day needs an aware datetime")
    return moment.astimezone(PLATFORM_TZ).date()


def day_start_utc(day: date) -> datetime:
    """The UTC instant at which platform day `day` begins (00:00 America/New_York, DST-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=PLATFORM_TZ).astimezone(UTC)


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """First and last platform day (inclusive) of the `period` containing `day`. All-time spans date.min..date.max."""
    if period == Period.daily:
        return day, day
    if period == Period.weekly:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == Period.monthly:
        start = day.replace(day=1)
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, nxt - timedelta(days=1)
    return date.min, date.max


def period_key(period: Period, day: date) -> str:
    """A stable name for the period containing `day`, e.g. `daily:2016-04-12`, `weekly:2016-04-11`, `alltime`."""
    if period == Period.alltime:
        return "alltime"
    return f"{period.value}:{period_bounds(period, day)[0].isoformat()}"
