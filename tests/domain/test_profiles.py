"""Profiles and tiers (PRODUCT.md §3, §5): the tier rule for every combination and around birthdays (Hypothesis),
`domain.accounts.profiles` on SQLite and PostgreSQL (tier recomputed on change and nightly, not-stated sex → OPEN only,
date of birth / state refused, state change requests, time zones), and the API (`/api/v1/users/me`,
`/me/profile`, `/me/state-change-request`, `/users/{id}/public` — never leaking email, DOB, state or weight).

Leap days (decided and documented in `domain.accounts.tiers.age_on` / `domain.accounts.profiles`): a member born on Feb
29 gets a year older on Mar 1 in non-leap years (and on Feb 29 in leap years).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from app.system import System
from domain.accounts import eligibility, profiles, tiers
from domain.accounts.members import create_member
from domain.accounts.profiles import ProfileUpdate
from domain.competition import public_profiles
from domain.models import Profile, ProfileChangeRequest, User
from domain.shared.errors import Conflict, InvalidInput, NotFound
from tests.support.builders import TEST_PASSWORD_HASH
from tests.support.db import read_session, write_session
from tests.support.members import member
from tests.support.system import current

# A fixed clock: 2026-06-15 16:00 UTC is platform day 2026-06-15 (America/New_York).
NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
TODAY = date(2026, 6, 15)


def clock() -> datetime:
    return NOW


# ------------------------------------------------------------------------------------------- the rule (pure)
def _birthday_in(dob: date, year: int) -> date:
    """The day a member born on `dob` gets a year older in `year` (Feb 29 → Mar 1 in non-leap years)."""
    try:
        return dob.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _oracle_age(dob: date, on: date) -> int:
    return sum(1 for year in range(dob.year + 1, on.year + 1) if _birthday_in(dob, year) <= on)


def _oracle_bracket(age: int) -> str | None:
    for low, high, name in ((18, 29, "18-29"), (30, 39, "30-39"), (40, 49, "40-49"), (50, 59, "50-59")):
        if low <= age <= high:
            return name
    return "60+" if age >= 60 else None


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(sex=st.sampled_from(["M", "F", None]), level=st.sampled_from(tiers.FITNESS_LEVELS), dob=dates, on=dates)
def test_tier_code_follows_sex_age_bracket_and_level(sex: str | None, level: str, dob: date, on: date) -> None:
    tier = tiers.tier_code(sex, dob, level, on)
    bracket = _oracle_bracket(_oracle_age(dob, on)) if on >= dob else None
    if sex is None or bracket is None:
        assert tier is None
        assert tiers.boards_for(tier, False) == [tiers.OPEN_TIER]
    else:
        assert tier == f"{sex}-{bracket}-{level}"
        assert tier in tiers.ALL_TIERS
        assert tiers.boards_for(tier, False) == [tier]
        assert tiers.boards_for(tier, True) == [tier, tiers.OPEN_TIER]


def test_all_thirty_tiers_and_open_are_reachable() -> None:
    ages = {"18-29": 25, "30-39": 35, "40-49": 45, "50-59": 55, "60+": 70}
    seen = {
        tiers.tier_code(sex, date(TODAY.year - ages[bracket], 1, 1), level, TODAY)
        for sex in tiers.SEXES for bracket in tiers.AGE_BRACKETS for level in tiers.FITNESS_LEVELS
    }
    assert seen == set(tiers.ALL_TIERS) and len(seen) == 30
    assert {tiers.boards_for(t, False)[0] for t in (*seen, None)} == set(tiers.BOARD_CODES)


@given(dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2040, 12, 31)),
       boundary=st.sampled_from([(18, None, "18-29"), (30, "18-29", "30-39"), (40, "30-39", "40-49"),
                                 (50, "40-49", "50-59"), (60, "50-59", "60+")]),
       sex=st.sampled_from(tiers.SEXES), level=st.sampled_from(tiers.FITNESS_LEVELS))
def test_bracket_moves_on_the_birthday(dob: date, boundary: tuple[int, str | None, str], sex: str,
                                       level: str) -> None:
    years, before, after = boundary
    birthday = _birthday_in(dob, dob.year + years)
    on_eve = tiers.tier_code(sex, dob, level, birthday - timedelta(days=1))
    assert on_eve == (None if before is None else f"{sex}-{before}-{level}")
    assert tiers.tier_code(sex, dob, level, birthday) == f"{sex}-{after}-{level}"


def test_leap_day_birthday_counts_on_march_first_in_non_leap_years() -> None:
    dob = date(1996, 2, 29)
    assert tiers.tier_code("F", dob, "BEG", date(2026, 2, 28)) == "F-18-29-BEG"
    assert tiers.tier_code("F", dob, "BEG", date(2026, 3, 1)) == "F-30-39-BEG"
    assert tiers.tier_code("F", date(1992, 2, 29), "BEG", date(2032, 2, 28)) == "F-30-39-BEG"
    assert tiers.tier_code("F", date(1992, 2, 29), "BEG", date(2032, 2, 29)) == "F-40-49-BEG"  # leap year


@given(state=st.sampled_from(sorted(eligibility.US_STATES)))
def test_state_lists_and_minimum_ages(state: str) -> None:
    problem = eligibility.state_problem(state.lower())
    assert (problem is None) == (state not in {"NY", "FL", "RI"})
    assert eligibility.minimum_age(state) == {"AL": 19, "NE": 19, "MS": 21}.get(state, 18)


def test_non_us_state_is_refused() -> None:
    assert eligibility.state_problem("ON") is not None
    assert eligibility.state_problem("PR") is not None
    assert len(eligibility.US_STATES) == 51


# --------------------------------------------------------------------------------------- domain on both DBs
def _add(db_system: System, *, sex: str | None = "F", dob: date = date(1990, 6, 1), state: str = "TX",
         level: str = "INT", name: str = "Jane Doe") -> uuid.UUID:
    with write_session(db_system) as session:
        user = create_member(session, email=f"{uuid.uuid4().hex}@example.test", password_hash=TEST_PASSWORD_HASH,
                             display_name=name, date_of_birth=dob, state_code=state, biological_sex=sex,
                             fitness_level=level, clock=clock)
        return user.id


def _update(db_system: System, user_id: uuid.UUID, **changes: object) -> Profile:
    with write_session(db_system) as session:
        return profiles.update_profile(session, user_id, ProfileUpdate.from_dict(changes), clock)


def test_tier_is_recomputed_on_every_change(db_system: System) -> None:
    user_id = _add(db_system)
    assert _update(db_system, user_id, fitness_level="ADV").tier_code == "F-30-39-ADV"
    assert _update(db_system, user_id, biological_sex="M").tier_code == "M-30-39-ADV"
    # Not stated → OPEN only, whatever the opt-in says.
    profile = _update(db_system, user_id, biological_sex=None, open_tier_opt_in=False)
    assert profile.tier_code is None
    assert tiers.boards_for(profile.tier_code, profile.open_tier_opt_in) == ["OPEN"]
    profile = _update(db_system, user_id, biological_sex="F", open_tier_opt_in=True, display_name="  Jo  ",
                      height_inches=65.5, weight_pounds=140, goals={"daily_steps": 9000},
                      timezone="America/Chicago", leaderboard_privacy="initials")
    assert profile.tier_code == "F-30-39-ADV"
    with read_session(db_system) as session:
        stored = session.get(Profile, user_id)
        assert stored is not None
        assert (stored.display_name, stored.tier_code, stored.timezone, stored.goals, stored.open_tier_opt_in) == \
            ("Jo", "F-30-39-ADV", "America/Chicago", {"daily_steps": 9000}, True)


@pytest.mark.parametrize(("changes", "field"), [
    ({"date_of_birth": date(1991, 1, 1)}, "date_of_birth"),
    ({"state_code": "CA"}, "state_code"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "EST5EDT "}, "timezone"),
    ({"biological_sex": "X"}, "biological_sex"),
    ({"fitness_level": "PRO"}, "fitness_level"),
    ({"height_inches": 5.0}, "height_inches"),
    ({"weight_pounds": float("nan")}, "weight_pounds"),
    ({"leaderboard_privacy": "secret"}, "leaderboard_privacy"),
    ({"display_name": "   "}, "display_name"),
    ({"goals": ["run"]}, "goals"),
    ({"tier_code": "M-18-29-ADV"}, "tier_code"),
])
def test_bad_or_locked_fields_are_refused_and_nothing_changes(
    system: System, changes: dict[str, object], field: str,
) -> None:
    user_id = _add(system)
    with pytest.raises(InvalidInput) as refused:
        _update(system, user_id, **{"fitness_level": "ADV", **changes})
    assert refused.value.extra["field"] == field
    with read_session(system) as session:
        stored = session.get(Profile, user_id)
        assert stored is not None
        assert (stored.fitness_level, stored.date_of_birth, stored.state_code) == ("INT", date(1990, 6, 1), "TX")


def test_unchanged_dob_and_state_are_accepted(system: System) -> None:
    user_id = _add(system)
    profile = _update(system, user_id, date_of_birth=date(1990, 6, 1), state_code="tx", fitness_level="BEG")
    assert profile.tier_code == "F-30-39-BEG"


def test_state_change_request_is_recorded_for_admins(db_system: System) -> None:
    user_id = _add(db_system)
    with write_session(db_system) as session:
        for state, message in (("NY", "not available"), ("ZZ", "US state"), ("TX", "already")):
            with pytest.raises(InvalidInput, match=message):
                profiles.request_state_change(session, user_id, state, None, clock)
        made = profiles.request_state_change(session, user_id, " ca ", "Moved to Sacramento", clock)
        assert (made.field, made.requested_value, made.status) == ("state_code", "CA", "pending")
    with write_session(db_system) as session, pytest.raises(Conflict):
        profiles.request_state_change(session, user_id, "OR", None, clock)
    with read_session(db_system) as session:
        queue = profiles.list_change_requests(session)
        assert [(r.user_id, r.requested_value, r.reason) for r in queue] == [(user_id, "CA", "Moved to Sacramento")]
        assert session.get(Profile, user_id).state_code == "TX"  # type: ignore[union-attr]


def test_nightly_recompute_moves_birthdays_to_the_next_bracket(db_system: System) -> None:
    turning_30 = _add(db_system, dob=date(1996, 6, 16))  # 29 on TODAY (2026-06-15), 30 tomorrow
    leap = _add(db_system, dob=date(1996, 2, 29), sex="M")  # 30 since Mar 1 2026 (no Feb 29 in 2026)
    not_stated = _add(db_system, sex=None, dob=date(1996, 6, 16))
    with read_session(db_system) as session:
        assert session.get(Profile, turning_30).tier_code == "F-18-29-INT"  # type: ignore[union-attr]
        assert session.get(Profile, leap).tier_code == "M-30-39-INT"  # type: ignore[union-attr]
    with write_session(db_system) as session:
        assert profiles.recompute_all_tiers(session, TODAY) == 0
    with write_session(db_system) as session:
        assert profiles.recompute_tiers(session, TODAY + timedelta(days=1)) == [turning_30]
    with read_session(db_system) as session:
        assert session.get(Profile, turning_30).tier_code == "F-30-39-INT"  # type: ignore[union-attr]
    with write_session(db_system) as session:  # as of Feb 28 2026 both were 29
        assert set(profiles.recompute_tiers(session, date(2026, 2, 28))) == {turning_30, leap}
    with read_session(db_system) as session:
        assert session.get(Profile, leap).tier_code == "M-18-29-INT"  # type: ignore[union-attr]
        assert session.get(Profile, not_stated).tier_code is None  # type: ignore[union-attr]
    with write_session(db_system) as session:  # Mar 1 2026: the leap-day member turns 30
        assert profiles.recompute_tiers(session, date(2026, 3, 1)) == [leap]


def test_public_profile_follows_privacy(system: System) -> None:
    user_id = _add(system, name="Jane Doe")
    other = _add(system, name="Zed")
    with write_session(system) as session:
        for uid, points in ((user_id, 500), (other, 900)):
            user = session.get(User, uid)
            assert user is not None
            user.points_earned = points
            session.add(user)
    for privacy, shown in (("visible", "Jane Doe"), ("initials", "J. D.")):
        _update(system, user_id, leaderboard_privacy=privacy)
        with read_session(system) as session:
            card = public_profiles.public_profile(session, user_id, TODAY)
        assert (card.display_name, card.tier_code, card.board, card.points_earned, card.alltime_rank,
                card.join_month) == (shown, "F-30-39-INT", "F-30-39-INT", 500, 2, "2026-06")
    _update(system, user_id, leaderboard_privacy="hidden")  # issue 13 §5: no public card, not even a nameless one
    with read_session(system) as session, pytest.raises(NotFound):
        public_profiles.public_profile(session, user_id, TODAY)


# ------------------------------------------------------------------------------------------------------ API
def bearer(user_id: uuid.UUID) -> dict[str, str]:
    token, _ = current().tokens.issue(user_id, "user")
    return {"Authorization": f"Bearer {token}"}


def test_api_profile_round_trip(client: TestClient) -> None:
    ada = member(display_name="Ada Lovelace", biological_sex="F", state_code="TX", date_of_birth=date(1990, 1, 2))
    auth = bearer(ada.user_id)
    assert client.put("/api/v1/users/me", json={"display_name": "Ada L."}, headers=auth).json()["display_name"] \
        == "Ada L."
    got = client.get("/api/v1/users/me/profile", headers=auth)
    assert got.status_code == 200
    assert got.json()["state_code"] == "TX" and got.json()["date_of_birth"] == "1990-01-02"
    put = client.put("/api/v1/users/me/profile", headers=auth, json={
        "fitness_level": "ADV", "open_tier_opt_in": True, "timezone": "America/Denver", "weight_pounds": 150.5,
        "goals": {"daily_steps": 12000}, "date_of_birth": "1990-01-02", "state_code": "TX"})
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["tier_code"].endswith("-ADV") and body["tier_code"].startswith("F-")
    assert body["boards"] == [body["tier_code"], "OPEN"]
    assert body["timezone"] == "America/Denver" and body["goals"] == {"daily_steps": 12000}
    body = client.put("/api/v1/users/me/profile", headers=auth, json={"biological_sex": None}).json()
    assert (body["tier_code"], body["boards"], body["weight_pounds"]) == (None, ["OPEN"], 150.5)


@pytest.mark.parametrize(("payload", "field"), [
    ({"date_of_birth": "2000-01-01"}, "date_of_birth"),
    ({"state_code": "CA"}, "state_code"),
    ({"timezone": "Nowhere/Special"}, "timezone"),
    ({"display_name": ""}, "display_name"),
])
def test_api_refuses_bad_profile_input_with_the_field(
    client: TestClient, payload: dict[str, object], field: str,
) -> None:
    ada = member(state_code="TX")
    response = client.put("/api/v1/users/me/profile", headers=bearer(ada.user_id), json=payload)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field


def test_api_tier_cannot_be_sent(client: TestClient) -> None:
    ada = member(state_code="TX")
    response = client.put("/api/v1/users/me/profile", headers=bearer(ada.user_id), json={"tier_code": "OPEN"})
    assert response.status_code == 422
    assert "tier_code" in response.json()["detail"]


def test_api_state_change_request(client: TestClient) -> None:
    ada = member(state_code="TX")
    auth = bearer(ada.user_id)
    url = "/api/v1/users/me/state-change-request"
    assert client.post(url, headers=auth, json={"state_code": "FL"}).json()["field"] == "state_code"
    made = client.post(url, headers=auth, json={"state_code": "CA", "reason": "Moved"})
    assert made.status_code == 201
    assert (made.json()["requested_value"], made.json()["status"]) == ("CA", "pending")
    assert client.post(url, headers=auth, json={"state_code": "OR"}).status_code == 409
    with read_session() as session:
        assert len(session.exec(select(ProfileChangeRequest)).all()) == 1
    assert client.get("/api/v1/users/me/profile", headers=auth).json()["state_code"] == "TX"


def test_api_public_profile_never_leaks_private_fields(client: TestClient) -> None:
    ada = member(display_name="Ada Lovelace", state_code="TX")
    auth = bearer(ada.user_id)
    client.put("/api/v1/users/me/profile", headers=auth, json={"weight_pounds": 133, "leaderboard_privacy": "initials"})
    response = client.get(f"/api/v1/users/{ada.user_id}/public")  # no sign-in needed
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user_id", "display_name", "tier_code", "board", "join_month", "points_earned",
                         "alltime_rank"}
    assert body["display_name"] == "A. L."
    assert body["alltime_rank"] == 1 and body["points_earned"] == 0
    text = json.dumps({k: v for k, v in body.items() if k != "user_id"})
    for secret in ("Lovelace", "@", "TX", "133", "1990"):
        assert secret not in text
    client.put("/api/v1/users/me/profile", headers=auth, json={"leaderboard_privacy": "hidden"})
    hidden = client.get(f"/api/v1/users/{ada.user_id}/public")  # issue 13 §5: as if there were no such member
    unknown = client.get(f"/api/v1/users/{uuid.uuid4()}/public")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"]
