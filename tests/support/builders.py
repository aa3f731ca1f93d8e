"""Small test-data builders: members (user + profile, optionally a Terra connection) and Terra webhook bodies.

Members are built with the real domain service (`domain.accounts.members`), so tests exercise the same path as the seed
and the replay. Terra bodies follow the shapes of the official examples in
`../shared/data/terra/openapi_webhook_examples` (notes/terra.md §2.4): `daily` carries running totals in
`distance_data.steps` and `active_durations_data`; `activity` carries one workout session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.system import System
from domain.accounts.members import connect_tracker, create_member
from domain.models import TrackerConnection, User
from domain.shared.calendar import PLATFORM_TZ
from tests.support.db import write_session

TEST_PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$test$not-a-real-hash"


@dataclass(frozen=True)
class Member:
    """Ids of a member built for a test; `terra_user_id` is None when no tracker is connected."""

    user_id: uuid.UUID
    terra_user_id: str | None
    connection_id: uuid.UUID | None


def add_member(
    session: Session,
    *,
    email: str | None = None,
    display_name: str = "Test Member",
    biological_sex: str | None = "F",
    fitness_level: str = "INT",
    date_of_birth: date = date(1990, 6, 15),
    state_code: str = "NY",
    terra_user_id: str | None = None,
    connect: bool = True,
    provider: str = "FITBIT",
) -> Member:
    """Create an active member (User + Profile) in `session` (flushed), with a connected primary Terra tracker
    unless `connect=False`. Email and Terra user id default to fresh unique values."""
    tag = uuid.uuid4().hex
    user: User = create_member(
        session, email=email or f"member-{tag}@test.fittrack.test", password_hash=TEST_PASSWORD_HASH,
        display_name=display_name, date_of_birth=date_of_birth, state_code=state_code,
        biological_sex=biological_sex, fitness_level=fitness_level,
    )
    if not connect:
        return Member(user.id, None, None)
    connection: TrackerConnection = connect_tracker(
        session, user_id=user.id, provider=provider, terra_user_id=terra_user_id or f"terra-{tag}",
    )
    return Member(user.id, connection.terra_user_id, connection.id)


def make_member(system: System | None = None, **kwargs: Any) -> Member:
    """`add_member` in its own committed unit of work on `system` (default: the current test System)."""
    with write_session(system) as session:
        return add_member(session, **kwargs)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def day_start_local(day: date) -> datetime:
    """00:00 America/New_York on `day`, as an aware datetime carrying the New York offset of that moment."""
    return datetime(day.year, day.month, day.day, tzinfo=PLATFORM_TZ)


def _terra_user(terra_user_id: str, provider: str) -> dict[str, Any]:
    return {
        "user_id": terra_user_id, "provider": provider, "last_webhook_update": _iso(datetime.now(UTC)),
        "scopes": "ACTIVITY_EXPORT,HEALTH_EXPORT", "reference_id": f"ref-{terra_user_id}"[:64], "active": True,
    }


def daily_payload(
    terra_user_id: str,
    day: date,
    *,
    steps: int = 0,
    vigorous_seconds: int = 0,
    moderate_seconds: int = 0,
    low_seconds: int = 0,
    inactivity_seconds: int | None = None,
    upload_type: int = 1,
    start_time: str | None = None,
    provider: str = "FITBIT",
    distance_meters: float | None = None,
    calories: float | None = None,
) -> dict[str, Any]:
    """A Terra `daily` webhook body for one day's running totals.

    `metadata.start_time` defaults to 00:00 America/New_York on `day` (PRODUCT.md §9 mapping), with the right
    offset for that date; pass `start_time` to send any literal string (e.g. another offset)."""
    start = day_start_local(day)
    end = day_start_local(day + timedelta(days=1))
    active = {
        "activity_seconds": vigorous_seconds + moderate_seconds + low_seconds,
        "vigorous_intensity_seconds": vigorous_seconds,
        "moderate_intensity_seconds": moderate_seconds,
        "low_intensity_seconds": low_seconds,
    }
    if inactivity_seconds is not None:
        active["inactivity_seconds"] = inactivity_seconds
    distance: dict[str, Any] = {"steps": steps}
    if distance_meters is not None:
        distance["distance_meters"] = distance_meters
    record: dict[str, Any] = {
        "metadata": {
            "start_time": start_time or _iso(start), "end_time": _iso(end), "upload_type": upload_type,
            "timestamp_localization": 1,
        },
        "distance_data": distance,
        "active_durations_data": active,
    }
    if calories is not None:
        record["calories_data"] = {"total_burned_calories": calories}
    return {"type": "daily", "version": "2022-03-16", "user": _terra_user(terra_user_id, provider), "data": [record]}


def activity_payload(
    terra_user_id: str,
    start: datetime,
    *,
    duration_seconds: int = 45 * 60,
    summary_id: str | None = None,
    activity_type: int = 8,
    upload_type: int = 1,
    steps: int | None = None,
    name: str = "Morning Run",
    provider: str = "FITBIT",
) -> dict[str, Any]:
    """A Terra `activity` webhook body for one workout session starting at aware `start`."""
    if start.tzinfo is None:
        raise ValueError("activity start must be timezone-aware")
    end = start + timedelta(seconds=duration_seconds)
    record: dict[str, Any] = {
        "metadata": {
            "name": name, "summary_id": summary_id or str(uuid.uuid4()), "start_time": _iso(start),
            "end_time": _iso(end), "type": activity_type, "upload_type": upload_type,
        },
        "active_durations_data": {"activity_seconds": duration_seconds},
    }
    if steps is not None:
        record["distance_data"] = {"summary": {"steps": steps}}
    return {"type": "activity", "version": "2022-03-16", "user": _terra_user(terra_user_id, provider),
            "data": [record]}
