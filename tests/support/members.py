"""Helpers for the member page, API and live-push tests: members with a real (fast) password, Terra data applied
through the real ingest service, and signing in through the real login page."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import date

from nicegui.testing import User as SimulatedUser

from domain.models import User
from domain.tracking.ingest import IngestOutcome, apply_event
from tests.support.builders import Member, add_member, daily_payload
from tests.support.db import hash_password, write_session

PASSWORD = "correct-horse-battery-staple"
_ordering = itertools.count(int(time.time() * 1000))


def member(*, role: str = "user", password: str = PASSWORD, **kwargs: object) -> Member:
    """An active member (committed) who can sign in with `password`; kwargs go to `builders.add_member`."""
    with write_session() as session:
        built = add_member(session, **kwargs)  # type: ignore[arg-type]
        user = session.get(User, built.user_id)
        assert user is not None
        user.password_hash = hash_password(password)
        user.role = role
        session.add(user)
    return built


def email_of(user_id: uuid.UUID) -> str:
    with write_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


def send_daily(terra_user_id: str | None, day: date, **kwargs: object) -> IngestOutcome:
    """Apply one Terra `daily` body (builders.daily_payload kwargs) through `domain.tracking.ingest.apply_event`.

    `terra_user_id` is a `Member.terra_user_id`; it must not be None (the member needs a connected tracker)."""
    assert terra_user_id is not None, "the member has no connected tracker"
    with write_session() as session:
        return apply_event(session, daily_payload(terra_user_id, day, **kwargs),  # type: ignore[arg-type]
                           ordering_ts=next(_ordering))


def apply(payload: dict) -> IngestOutcome:
    with write_session() as session:
        return apply_event(session, payload, ordering_ts=next(_ordering))


async def sign_in(user: SimulatedUser, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, as a member would."""
    await user.open("/login")
    user.find(marker="email").type(email)
    user.find(marker="password").type(password)
    user.find(marker="sign-in").click()
    await user.should_see(marker="balance", retries=300)  # the signed-in frame (not the login form or landing)
