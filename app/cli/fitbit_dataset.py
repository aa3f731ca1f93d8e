"""The real Fitbit dataset (Furberg et al. 2016, Zenodo DOI 10.5281/zenodo.53894; PRODUCT.md §9) as typed rows, and
Terra `daily` webhook bodies built from it with PRODUCT.md §9's column mapping.

Files read from `settings.fitbit_data_dir`: `dailyActivity_merged.csv` (one row per member and day) and
`hourlySteps_merged.csv` (steps per member and hour). Ids stay strings (they exceed 32 bits); dates are `date`s.
Used by the replay (`app.cli.replay`), the benchmark (`bench`) and the replay test.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DAILY_FILE = "dailyActivity_merged.csv"
HOURLY_FILE = "hourlySteps_merged.csv"
NEW_YORK = ZoneInfo("America/New_York")
TERRA_VERSION = "2022-03-16"
UPLOAD_TYPE_AUTOMATIC = 1


@dataclass(frozen=True)
class DailyRow:
    """One row of `dailyActivity_merged.csv`: totals for one member and one calendar day.

    Units: steps; `total_distance_km` kilometres; minutes for the four intensity columns; kilocalories."""

    id: str
    activity_date: date
    total_steps: int
    total_distance_km: float
    very_active_minutes: int
    fairly_active_minutes: int
    lightly_active_minutes: int
    sedentary_minutes: int
    calories: int


def _parse_date(text: str) -> date:
    return datetime.strptime(text.strip(), "%m/%d/%Y").date()


def read_daily(data_dir: Path) -> list[DailyRow]:
    """All rows of `dailyActivity_merged.csv`, sorted by (activity_date, id)."""
    rows = []
    with open(Path(data_dir) / DAILY_FILE, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            rows.append(DailyRow(
                id=rec["Id"].strip(),
                activity_date=_parse_date(rec["ActivityDate"]),
                total_steps=int(rec["TotalSteps"]),
                total_distance_km=float(rec["TotalDistance"]),
                very_active_minutes=int(rec["VeryActiveMinutes"]),
                fairly_active_minutes=int(rec["FairlyActiveMinutes"]),
                lightly_active_minutes=int(rec["LightlyActiveMinutes"]),
                sedentary_minutes=int(rec["SedentaryMinutes"]),
                calories=int(rec["Calories"]),
            ))
    rows.sort(key=lambda r: (r.activity_date, r.id))
    return rows


def read_hourly(data_dir: Path) -> dict[tuple[str, date], list[tuple[int, int]]]:
    """`hourlySteps_merged.csv` as {(id, day): [(hour 0–23, steps), …] sorted by hour}."""
    out: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    with open(Path(data_dir) / HOURLY_FILE, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            moment = datetime.strptime(rec["ActivityHour"].strip(), "%m/%d/%Y %I:%M:%S %p")
            out[(rec["Id"].strip(), moment.date())].append((moment.hour, int(rec["StepTotal"])))
    for hours in out.values():
        hours.sort()
    return dict(out)


def local_midnight(day: date) -> datetime:
    """00:00 America/New_York on `day` (aware; the real UTC offset, DST-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)


def daily_payload(
    user_terra: str,
    reference_id: str,
    row: DailyRow,
    steps: int | None = None,
    fraction: float | None = None,
    *,
    emitted_at: datetime | None = None,
    provider: str = "FITBIT",
) -> dict[str, Any]:
    """A Terra `daily` webhook body (envelope as Terra's official example) for one CSV row (PRODUCT.md §9 mapping).

    TotalSteps → `distance_data.steps`; TotalDistance km × 1000 → `distance_meters`; Very/Fairly/Lightly active and
    Sedentary minutes × 60 → `vigorous_/moderate_/low_intensity_seconds` / `inactivity_seconds`; Calories →
    `calories_data.total_burned_calories`; ActivityDate → `metadata.start_time` at 00:00 America/New_York (real
    offset), `end_time` the next midnight; `upload_type` 1 (automatic).

    For an intraday running total pass `steps` (the running step count) and `fraction` (0..1): minutes, distance and
    calories become floor(final × fraction), so successive running totals never exceed the day's final values.
    `emitted_at` (aware) sets `user.last_webhook_update` (default: the end of the day), keeping bodies deterministic.
    `provider` is the Terra provider name in `user.provider` (the seed uses other devices too).
    """
    f = 1.0 if fraction is None else min(max(fraction, 0.0), 1.0)

    def part(value: float) -> int:
        return math.floor(value * f) if fraction is not None else int(value)

    start = local_midnight(row.activity_date)
    end = local_midnight(row.activity_date + timedelta(days=1))
    emitted = emitted_at or end
    distance_m = row.total_distance_km * 1000
    day = {
        "metadata": {
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "upload_type": UPLOAD_TYPE_AUTOMATIC,
            "timestamp_localization": 1,
        },
        "distance_data": {
            "steps": row.total_steps if steps is None else min(max(int(steps), 0), row.total_steps),
            "distance_meters": round(distance_m if fraction is None else distance_m * f, 1),
        },
        "active_durations_data": {
            "vigorous_intensity_seconds": part(row.very_active_minutes) * 60,
            "moderate_intensity_seconds": part(row.fairly_active_minutes) * 60,
            "low_intensity_seconds": part(row.lightly_active_minutes) * 60,
            "inactivity_seconds": part(row.sedentary_minutes) * 60,
        },
        "calories_data": {"total_burned_calories": float(part(row.calories))},
    }
    return {
        "type": "daily",
        "version": TERRA_VERSION,
        "user": {
            "user_id": user_terra,
            "provider": provider,
            "last_webhook_update": emitted.astimezone(ZoneInfo("UTC")).isoformat(timespec="microseconds"),
            "scopes": "activity,heartrate,profile",
            "reference_id": reference_id,
            "active": True,
        },
        "data": [day],
    }


def dumps(payload: dict[str, Any]) -> bytes:
    """The raw body as Terra sends it: Python's default `json.dumps` separators, UTF-8."""
    return json.dumps(payload).encode("utf-8")
