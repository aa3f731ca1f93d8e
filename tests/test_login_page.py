"""The login page and the page guard (PRODUCT.md §3, §7), through NiceGUI's simulated user."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User as SimUser

from tests.auth_support import create_account


@pytest.fixture
def fast_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSWORD_HASH_FAST", "1")
    from app.settings import get_settings

    get_settings.cache_clear()


def _members_page() -> None:
    """A member page registered by the test itself, so the test does not depend on other pages' content."""

    @ui.page("/members-area")
    def members_area() -> None:
        ui.label("Members only content")


async def _sign_in(user: SimUser, email: str, password: str, *, enter: bool = False) -> None:
    user.find(marker="email").type(email)
    user.find(marker="password").type(password)
    if enter:
        user.find(marker="password").trigger("keydown.enter")
    else:
        user.find(marker="sign-in").click()


async def test_wrong_password_shows_the_message(fast_hash: None, user: SimUser) -> None:
    create_account("ann@example.com")
    await user.open("/login")
    await user.should_see("FitTrack")
    await _sign_in(user, "ann@example.com", "wrong-password-1")
    await user.should_see("Email or password is incorrect", retries=50)


async def test_empty_form_asks_for_both_fields(user: SimUser) -> None:
    await user.open("/login")
    user.find(marker="sign-in").click()
    await user.should_see("Enter your email and password.")


async def test_pending_account_message(fast_hash: None, user: SimUser) -> None:
    create_account("new@example.com", status="pending")
    await user.open("/login")
    await _sign_in(user, "new@example.com", "right-password-123")
    await user.should_see("Please verify your email before signing in", retries=50)


async def test_signed_out_visit_redirects_to_login(user: SimUser) -> None:
    _members_page()
    response = await user.http_client.get("/members-area?tab=2")
    assert response.status_code == 307
    assert response.headers["location"] == "/login?redirect_to=%2Fmembers-area%3Ftab%3D2"
    await user.open("/members-area")  # follows the redirect to the login form
    await user.should_see(marker="sign-in")
    await user.should_not_see("Members only content")


async def test_right_password_lands_on_the_requested_page(fast_hash: None, user: SimUser) -> None:
    _members_page()
    create_account("bea@example.com")
    await user.open("/members-area")
    await _sign_in(user, "bea@example.com", "right-password-123", enter=True)
    await user.should_see("Members only content", retries=50)
    # signed in: the page guard lets the member through and /login sends them on
    assert (await user.http_client.get("/members-area")).status_code == 200
    again = await user.http_client.get("/login?redirect_to=/members-area")
    assert again.status_code == 307 and again.headers["location"] == "/members-area"
    # a member is refused on admin pages
    refused = await user.http_client.get("/admin/review")
    assert refused.status_code == 403 and "administrators only" in refused.text
    # signing out ends the session in the database; member pages redirect again
    await user.open("/logout")
    await user.should_see(marker="sign-in")
    assert (await user.http_client.get("/members-area")).status_code == 307


async def test_suspending_a_signed_in_member_ends_their_access(fast_hash: None, user: SimUser) -> None:
    _members_page()
    user_id = create_account("cid@example.com")
    await user.open("/login?redirect_to=/members-area")
    await _sign_in(user, "cid@example.com", "right-password-123")
    await user.should_see("Members only content", retries=50)
    from app.db import write_session
    from domain.models import User

    with write_session() as session:
        row = session.get(User, user_id)
        row.status = "suspended"
        session.add(row)
    assert (await user.http_client.get("/members-area")).status_code == 307


async def test_admin_passes_the_admin_guard(fast_hash: None, user: SimUser) -> None:
    @ui.page("/admin/test-only")
    def admin_test_page() -> None:
        ui.label("Admin test page")

    create_account("root@example.com", role="admin")
    await user.open("/login?redirect_to=/admin/test-only")
    await _sign_in(user, "root@example.com", "right-password-123")
    await user.should_see("Admin test page", retries=50)


async def test_open_redirects_are_refused() -> None:
    from app.web_auth import safe_redirect_target

    assert safe_redirect_target("https://evil.example") == "/"
    assert safe_redirect_target("//evil.example") == "/"
    assert safe_redirect_target("/\\evil.example") == "/"
    assert safe_redirect_target("/leaderboard?period=weekly") == "/leaderboard?period=weekly"
    assert safe_redirect_target(None) == "/"
