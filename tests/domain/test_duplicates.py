"""Cross-device duplicates (PRODUCT.md §4 "Duplicates"): the same session reported by two connected devices counts
once (primary tracker → most detailed record → first received); for daily summaries the primary connection wins;
the workout bonus stops at 3 sessions a day; type 0 (in vehicle) is a valid activity type."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import select

from app.system import System
from domain.accounts.members import connect_tracker
from domain.models import DailyPointTotal, ReviewItem, User
from domain.tracking.ingest import apply_event
from tests.support.builders import activity_payload, daily_payload, day_start_local, make_member
from tests.support.db import read_session, write_session

DAY = date(2016, 4, 26)


def apply(db_system: System, body: dict, ordering_ts: int = 1) -> None:
    with write_session(db_system) as session:
        apply_event(session, body, ordering_ts=ordering_ts)


def second_tracker(db_system: System, user_id: uuid.UUID, provider: str = "GARMIN") -> str:
    terra_id = f"terra-{uuid.uuid4().hex}"
    with write_session(db_system) as session:
        connect_tracker(session, user_id=user_id, provider=provider, terra_user_id=terra_id)
    return terra_id


def credited(db_system: System, user_id: uuid.UUID, day: date = DAY) -> int:
    with read_session(db_system) as session:
        total = session.get(DailyPointTotal, (user_id, day))
        return total.points if total else 0


def breakdown(db_system: System, user_id: uuid.UUID) -> dict:
    with read_session(db_system) as session:
        return session.exec(select(DailyPointTotal).where(DailyPointTotal.user_id == user_id)).one().breakdown or {}


def morning(minutes: int = 0) -> datetime:
    return day_start_local(DAY) + timedelta(hours=7, minutes=minutes)


def test_the_same_workout_from_two_devices_counts_once(db_system: System) -> None:
    member = make_member(db_system)
    garmin = second_tracker(db_system, member.user_id)
    assert member.terra_user_id is not None
    apply(db_system, activity_payload(member.terra_user_id, morning(), duration_seconds=40 * 60))
    apply(db_system, activity_payload(garmin, morning(3), duration_seconds=38 * 60))  # overlapping, same type
    assert breakdown(db_system, member.user_id)["workouts"] == 50
    apply(db_system, activity_payload(garmin, morning(120), duration_seconds=25 * 60))  # a later, separate run
    assert breakdown(db_system, member.user_id)["workouts"] == 100


def test_overlapping_sessions_of_different_types_are_two_workouts(db_system: System) -> None:
    member = make_member(db_system)
    assert member.terra_user_id is not None
    apply(db_system, activity_payload(member.terra_user_id, morning(), duration_seconds=30 * 60, activity_type=8))
    apply(db_system, activity_payload(member.terra_user_id, morning(5), duration_seconds=30 * 60, activity_type=1))
    assert breakdown(db_system, member.user_id)["workouts"] == 100


def test_the_primary_trackers_copy_decides_whether_a_duplicate_is_long_enough(db_system: System) -> None:
    member = make_member(db_system)  # FITBIT is primary
    garmin = second_tracker(db_system, member.user_id)
    assert member.terra_user_id is not None
    apply(db_system, activity_payload(garmin, morning(), duration_seconds=25 * 60))  # first received, long enough
    apply(db_system, activity_payload(member.terra_user_id, morning(2), duration_seconds=15 * 60))  # primary: 15 min
    assert breakdown(db_system, member.user_id)["workouts"] == 0  # the primary's record represents the session
    assert credited(db_system, member.user_id) == 50  # credited earlier, never clawed back automatically ...
    with read_session(db_system) as session:  # ... but flagged for an admin
        flags = session.exec(select(ReviewItem).where(ReviewItem.user_id == member.user_id)).all()
        assert [f.kind for f in flags] == ["lowered_total"]


def test_workout_bonus_stops_at_three_and_short_or_manual_sessions_earn_nothing(db_system: System) -> None:
    member = make_member(db_system)
    assert member.terra_user_id is not None
    for hour in range(5):  # five separate 30-minute sessions
        apply(db_system, activity_payload(member.terra_user_id, morning(hour * 60), duration_seconds=30 * 60))
    apply(db_system, activity_payload(member.terra_user_id, morning(400), duration_seconds=19 * 60))
    apply(db_system, activity_payload(member.terra_user_id, morning(500), duration_seconds=60 * 60, upload_type=2))
    assert breakdown(db_system, member.user_id)["workouts"] == 150


def test_activity_type_zero_is_a_valid_workout(db_system: System) -> None:
    member = make_member(db_system)
    assert member.terra_user_id is not None
    apply(db_system, activity_payload(member.terra_user_id, morning(), duration_seconds=30 * 60, activity_type=0))
    assert breakdown(db_system, member.user_id)["workouts"] == 50


def test_the_primary_connections_daily_summary_wins(db_system: System) -> None:
    member = make_member(db_system)  # FITBIT is primary
    garmin = second_tracker(db_system, member.user_id)
    assert member.terra_user_id is not None
    apply(db_system, daily_payload(garmin, DAY, steps=15_000))  # first received, not primary
    assert credited(db_system, member.user_id) == 150 + 100 + 5
    apply(db_system, daily_payload(member.terra_user_id, DAY, steps=8_000))  # the primary's lower total now counts
    assert credited(db_system, member.user_id) == 255  # ...but awards never go down automatically
    with read_session(db_system) as session:
        assert session.get(User, member.user_id).point_balance == 255
        assert breakdown(db_system, member.user_id)["steps"] == 80
