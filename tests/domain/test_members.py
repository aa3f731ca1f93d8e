"""domain.accounts.members: creating members (tier computed, never taken from input) and linking tracker connections."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.system import System
from domain.accounts.members import connect_tracker, create_member, get_member_by_email
from domain.models import Profile, TrackerConnection, User
from domain.shared.errors import Conflict, InvalidInput
from tests.support.db import read_session, write_session

NOON = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 13:00 America/New_York


def _member(session, **overrides):  # type: ignore[no-untyped-def]
    fields = dict(
        email="Jane.Doe@Example.test", password_hash="x", display_name="Jane Doe", date_of_birth=date(1990, 3, 11),
        state_code="ca", biological_sex="F", fitness_level="INT", clock=lambda: NOON,
    )
    fields.update(overrides)
    return create_member(session, **fields)


def test_create_member_computes_tier_from_profile_on_todays_platform_day(db_system: System) -> None:
    with write_session(db_system) as session:
        user = _member(session, open_tier_opt_in=True, leaderboard_privacy="initials")
        user_id = user.id
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        profile = session.get(Profile, user_id)
        assert user is not None and profile is not None
        assert user.email == "jane.doe@example.test" and user.status == "active" and user.role == "user"
        assert user.email_verified_at is not None and user.point_balance == 0 and user.points_earned == 0
        # born 1990-03-11: still 35 on 2026-03-10 → 30-39
        assert profile.tier_code == "F-30-39-INT"
        assert profile.state_code == "CA" and profile.open_tier_opt_in and profile.leaderboard_privacy == "initials"
        assert get_member_by_email(session, " JANE.DOE@example.test ").id == user_id  # type: ignore[union-attr]


def test_member_without_sex_has_no_tier(db_system: System) -> None:
    with write_session(db_system) as session:
        user = _member(session, biological_sex=None)
        assert session.get(Profile, user.id).tier_code is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value"),
    [("biological_sex", "X"), ("fitness_level", "PRO"), ("leaderboard_privacy", "public"), ("role", "root"),
     ("status", "zombie"), ("email", "not-an-email"), ("display_name", "  "), ("state_code", "California")],
)
def test_invalid_input_is_refused_and_nothing_is_written(db_system: System, field: str, value: str) -> None:
    with pytest.raises(InvalidInput), write_session(db_system) as session:
        _member(session, **{field: value})
    with read_session(db_system) as session:
        assert session.exec(select(User)).all() == []
        assert session.exec(select(Profile)).all() == []


def test_duplicate_email_is_a_conflict(db_system: System) -> None:
    with write_session(db_system) as session:
        _member(session)
    with pytest.raises(Conflict), write_session(db_system) as session:
        _member(session, email="jane.doe@example.test")


def test_connect_tracker_is_idempotent_per_provider(db_system: System) -> None:
    with write_session(db_system) as session:
        user = _member(session)
        first = connect_tracker(session, user_id=user.id, provider="fitbit", terra_user_id="terra-1")
        again = connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id="terra-1")
        assert first.id == again.id
        assert again.status == "connected" and again.is_primary and again.provider == "FITBIT"
        other = _member(session, email="other@example.test")
        with pytest.raises(Conflict):
            connect_tracker(session, user_id=other.id, provider="FITBIT", terra_user_id="terra-1")
    with read_session(db_system) as session:
        assert len(session.exec(select(TrackerConnection)).all()) == 1
