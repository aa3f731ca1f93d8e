"""The sign-up pages through NiceGUI's simulated user (PRODUCT.md §3; issue 4 §1–§4): register → "check your email"
→ read the email at /dev/mailbox → follow its link → verified → sign in; field-level refusals; forgot / reset
password; the dev mailbox is gone in prod."""

from __future__ import annotations

import re
from collections.abc import Callable

from nicegui.testing import User as SimUser
from sqlmodel import col, select

from app.settings import Env
from app.system import System
from domain.models import OutboxMessage, User
from tests.support.accounts import create_account
from tests.support.db import read_session
from tests.support.jobs import run_queued
from tests.support.system import current

PASSWORD = "correct horse battery"


def _set(user: SimUser, marker: str, value: object) -> None:
    for element in user.find(marker=marker).elements:
        element.set_value(value)  # type: ignore[attr-defined]


def _fill(user: SimUser, *, email: str, dob: str, state: str, terms: bool = True) -> None:
    user.find(marker="email").type(email)
    user.find(marker="password").type(PASSWORD)
    user.find(marker="display_name").type("Page Joiner")
    _set(user, "date_of_birth", dob)
    _set(user, "state", state)
    _set(user, "accept_terms", terms)


def _link_in_latest_email(path: str) -> str:
    with read_session() as session:
        message = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.created_at).desc())).first()
    assert message is not None
    match = re.search(rf"http://[^/\s]+({path}\?token=[\w-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


async def test_register_read_the_email_in_the_dev_mailbox_and_verify(user: SimUser) -> None:
    await user.open("/login")
    await user.should_see(marker="create-account")
    await user.open("/register")
    _fill(user, email="page.joiner@example.com", dob="1990-05-17", state="TX")
    user.find(marker="password").trigger("keydown.enter")  # Enter submits
    await user.should_see("Check your email", retries=300)
    await user.open("/dev/mailbox")
    await user.should_see("Confirm your email for FitTrack")
    await user.should_see("To page.joiner@example.com", retries=100)
    await user.open(_link_in_latest_email("/verify-email"))
    await user.should_see("Your email is confirmed. Welcome to FitTrack!")
    with read_session() as session:
        member = session.exec(select(User).where(User.email == "page.joiner@example.com")).one()
    assert member.status == "active" and member.email_verified_at is not None
    await user.open("/login")
    user.find(marker="email").type("page.joiner@example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="sign-in").click()
    await user.should_not_see(marker="sign-in", retries=300)


async def test_refusals_are_shown_under_their_fields(user: SimUser) -> None:
    await user.open("/register")
    _fill(user, email="young@example.com", dob="2015-01-01", state="NY", terms=False)
    user.find(marker="register").click()
    await user.should_see("Sorry, FitTrack sweepstakes are not available to residents of NY.", retries=300)
    await user.should_see("Accept the terms and official rules to join.")
    _set(user, "state", "MS")
    user.find(marker="register").click()
    await user.should_see("You must be at least 21 years old to join FitTrack in MS.", retries=300)
    await user.should_not_see("Check your email")


async def test_verify_link_that_is_not_valid(user: SimUser) -> None:
    await user.open("/verify-email?token=nonsense")
    await user.should_see("This link is not valid. Request a new one.")


async def test_forgot_and_reset_password_pages(user: SimUser) -> None:
    create_account("forgetful@example.com", "old-password-123")
    await user.open("/forgot-password")
    user.find(marker="email").type("forgetful@example.com")
    user.find(marker="send-reset").click()
    await user.should_see(marker="reset-sent", retries=300)
    run_queued(current())  # the request only enqueued the lookup (issue 13 §6)
    await user.open(_link_in_latest_email("/reset-password"))
    user.find(marker="new_password").type("password123")
    user.find(marker="set-password").click()
    await user.should_see("This password is too common", retries=300)
    user.find(marker="new_password").clear().type(PASSWORD)
    user.find(marker="new_password").trigger("keydown.enter")
    await user.should_see("Your password has been changed.", retries=300)


async def test_dev_mailbox_does_not_exist_in_prod(user: SimUser, system_factory: Callable[..., System],
                                                  serve: Callable[[System], None]) -> None:
    await user.open("/dev/mailbox")
    await user.should_see("No emails yet.")
    serve(system_factory(env=Env.prod, storage_secret="prod-storage-secret-for-this-test",
                         public_base_url="http://test"))  # prod accepts only its own Host (issue 13 §1)
    response = await user.http_client.get("/dev/mailbox")
    assert response.status_code == 404
