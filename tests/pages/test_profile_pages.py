"""The profile pages through NiceGUI's `user` fixture (no browser): `/profile` (edit → the tier follows; date of
birth and state read-only; refused values shown; state change request) and `/u/{id}` (public, signed out)."""

from __future__ import annotations

import uuid
from datetime import date

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from domain.accounts import tiers
from domain.models import Profile, ProfileChangeRequest
from domain.shared.calendar import platform_day
from domain.shared.types import utcnow
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in


def _set(user: SimulatedUser, marker: str, value: object) -> None:
    for element in user.find(marker=marker).elements:
        element.set_value(value)  # type: ignore[attr-defined]


async def test_editing_the_profile_updates_the_tier(user: SimulatedUser) -> None:
    dob = date(1990, 6, 15)
    ada = member(display_name="Ada Lovelace", biological_sex="F", fitness_level="INT", state_code="TX",
                 date_of_birth=dob)
    today = platform_day(utcnow())
    await sign_in(user, email_of(ada.user_id))
    await user.open("/profile")
    await user.should_see(str(tiers.tier_code("F", dob, "INT", today)), retries=300)  # loaded in the background
    await user.should_see("TX")
    await user.should_see("Request a state change")

    _set(user, "fitness_level", "ADV")
    _set(user, "open_tier_opt_in", True)
    user.find(marker="save").click()
    advanced = tiers.tier_code("F", dob, "ADV", today)
    await user.should_see(f"Competing in {advanced} and OPEN", retries=300)
    with read_session() as session:
        stored = session.get(Profile, ada.user_id)
        assert stored is not None and (stored.tier_code, stored.open_tier_opt_in) == (advanced, True)

    _set(user, "biological_sex", "-")
    user.find(marker="save").click()
    await user.should_see("Open tier only (biological sex not stated)", retries=300)

    _set(user, "timezone", "Nowhere/Special")
    user.find(marker="save").click()
    await user.should_see("Time zone must be an IANA zone name such as America/Chicago", retries=300)
    with read_session() as session:
        assert session.get(Profile, ada.user_id).timezone == "America/New_York"  # type: ignore[union-attr]


async def test_state_change_request_from_the_dialog(user: SimulatedUser) -> None:
    ada = member(state_code="TX")
    await sign_in(user, email_of(ada.user_id))
    await user.open("/profile")
    await user.should_see(marker="state-request", retries=300)  # the form is loaded in the background
    user.find(marker="state-request").click()
    _set(user, "new-state", "CA")
    user.find(marker="send-state-request").click()
    await user.should_see("State change request sent to support", retries=300)
    with read_session() as session:
        requests = session.exec(select(ProfileChangeRequest)).all()
        assert [(r.user_id, r.requested_value, r.status) for r in requests] == [(ada.user_id, "CA", "pending")]


async def test_public_profile_renders_signed_out(user: SimulatedUser) -> None:
    ada = member(display_name="Ada Lovelace", state_code="TX")
    await user.open(f"/u/{ada.user_id}")
    await user.should_see("Ada Lovelace")
    await user.should_see("Member since")
    await user.should_not_see("TX")
    await user.should_not_see("@")
    await user.open(f"/u/{uuid.uuid4()}")
    await user.should_see("No such member")
    await user.open("/u/not-a-uuid")
    await user.should_see("No such member")
    with write_session() as session:  # issue 13 §5: a hidden member has no public card
        profile = session.exec(select(Profile).where(Profile.user_id == ada.user_id)).one()
        profile.leaderboard_privacy = "hidden"
        session.add(profile)
    await user.open(f"/u/{ada.user_id}")
    await user.should_see("No such member")
    await user.should_not_see("Ada Lovelace")


async def test_profile_link_in_the_drawer(user: SimulatedUser) -> None:
    ada = member()
    await sign_in(user, email_of(ada.user_id))
    await user.open("/")
    links = [item for item in user.find(kind=ui.item).elements if item.props.get("href") == "/profile"]
    assert len(links) == 1
    await user.open("/profile")
    await user.should_see("Set at registration")
