"""The stand-in's data: the real Fitbit dataset (Furberg et al. 2016; `app.cli.fitbit_dataset` reads and maps it) with
its dates shifted so the dataset's last day (2016-05-12) becomes yesterday (UTC) — so a fresh connection always has
about a month of recent history.

- Daily items: `app.cli.fitbit_dataset.daily_payload` (PRODUCT.md §9 column mapping) for the shifted date.
- Activity items (workouts): derived from `hourlySteps_merged.csv` — each run of consecutive hours with at least
  `WORKOUT_HOURLY_STEPS` steps is one workout starting at the run's first hour, lasting steps / `CADENCE` minutes
  (at most the run's length), type 8 (running) when an hour reached `RUNNING_HOURLY_STEPS`, else 7 (walking).
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app.cli.fitbit_dataset import DailyRow, daily_payload, local_midnight, read_daily, read_hourly

WORKOUT_HOURLY_STEPS = 3000
RUNNING_HOURLY_STEPS = 7000
CADENCE = 110  # steps per minute used to turn an hour's steps into a workout duration
ACTIVITY_WALKING, ACTIVITY_RUNNING = 7, 8


def utc_today() -> date:
    return datetime.now(UTC).date()


@functools.lru_cache(maxsize=4)
def _load(data_dir: Path) -> tuple[dict[str, dict[date, DailyRow]], dict[tuple[str, date], list[tuple[int, int]]]]:
    """The daily rows by person and date, and the hourly steps, of `data_dir` — read once per process (the CSVs are
    read-only data; every stand-in shares them)."""
    daily: dict[str, dict[date, DailyRow]] = defaultdict(dict)
    for row in read_daily(data_dir):
        daily[row.id][row.activity_date] = row
    return dict(daily), read_hourly(data_dir)


class SimDataset:
    """The dataset by person, with the date shift computed from `today` (a callable, UTC date) on every read."""

    def __init__(self, data_dir: Path, today: Callable[[], date] = utc_today) -> None:
        self.today = today
        self.daily, self.hourly = _load(Path(data_dir).resolve())
        self.last_day = max(day for days in self.daily.values() for day in days)
        self.persons = sorted(self.daily)

    def offset(self) -> timedelta:
        """Dataset date + offset = the date served (the last dataset day becomes yesterday, UTC)."""
        return (self.today() - timedelta(days=1)) - self.last_day

    def shifted(self, dataset_day: date) -> date:
        return dataset_day + self.offset()

    def summary(self, person: str) -> str:
        """A short label for the widget's person select: days and mean steps."""
        days = self.daily.get(person, {})
        mean = sum(r.total_steps for r in days.values()) / len(days) if days else 0
        return f"{person} — {len(days)} days, {mean:,.0f} steps/day"

    def daily_items(self, person: str, start: date, end: date) -> list[dict[str, Any]]:
        """Terra Daily objects for the person's days whose shifted date is within [start, end] (inclusive)."""
        offset = self.offset()
        items = []
        for day in sorted(self.daily.get(person, {})):
            served = day + offset
            if start <= served <= end:
                row = dataclasses.replace(self.daily[person][day], activity_date=served)
                items.append(daily_payload("-", "-", row)["data"][0])
        return items

    def activity_items(self, person: str, start: date, end: date) -> list[dict[str, Any]]:
        """Terra Activity objects (workouts derived from hourly steps) whose shifted date is within [start, end]."""
        offset = self.offset()
        items = []
        for day in sorted(self.daily.get(person, {})):
            served = day + offset
            if not start <= served <= end:
                continue
            run: list[tuple[int, int]] = []
            for hour, steps in [*self.hourly.get((person, day), []), (99, 0)]:
                if steps >= WORKOUT_HOURLY_STEPS and (not run or run[-1][0] == hour - 1):
                    run.append((hour, steps))
                    continue
                if run:
                    items.append(self._workout(person, served, run))
                run = [(hour, steps)] if steps >= WORKOUT_HOURLY_STEPS else []
        return items

    @staticmethod
    def _workout(person: str, served: date, run: list[tuple[int, int]]) -> dict[str, Any]:
        steps = sum(s for _, s in run)
        minutes = min(60 * len(run), max(round(steps / CADENCE), 1))
        running = max(s for _, s in run) >= RUNNING_HOURLY_STEPS
        start = local_midnight(served) + timedelta(hours=run[0][0])
        end = start + timedelta(minutes=minutes)
        seconds = minutes * 60
        return {
            "metadata": {
                "summary_id": f"sim-{person}-{served.isoformat()}-{run[0][0]:02d}",
                "start_time": start.isoformat(), "end_time": end.isoformat(),
                "type": ACTIVITY_RUNNING if running else ACTIVITY_WALKING,
                "name": "Running" if running else "Walking",
                "upload_type": 1, "timestamp_localization": 1,
            },
            "distance_data": {"summary": {"steps": steps, "distance_meters": round(steps * 0.75, 1)}},
            "active_durations_data": {
                "activity_seconds": seconds,
                "vigorous_intensity_seconds": seconds if running else 0,
                "moderate_intensity_seconds": 0 if running else seconds,
            },
            "calories_data": {"total_burned_calories": float(minutes * (11 if running else 5))},
        }
