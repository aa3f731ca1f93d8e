"""The login page and the page guard (PRODUCT.md §3, §7), through NiceGUI's simulated user."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.testing import User as SimUser
from nicegui.testing.user_interaction import UserInteraction

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
    await user.should_see("Email or password is incorrect", retries=300)


async def test_empty_form_asks_for_both_fields(user: SimUser) -> None:
    await user.open("/login")
    user.find(marker="sign-in").click()
    await user.should_see("Enter your email and password.")


async def test_pending_account_message(fast_hash: None, user: SimUser) -> None:
    create_account("new@example.com", status="pending")
    await user.open("/login")
    await _sign_in(user, "new@example.com", "right-password-123")
    await user.should_see("Please verify your email before signing in", retries=300)


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
    await user.should_see("Members only content", retries=300)
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
    await user.should_see("Members only content", retries=300)
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
    await user.should_see("Admin test page", retries=300)


async def test_open_redirects_are_refused() -> None:
    from app.web_auth import safe_redirect_target

    assert safe_redirect_target("https://evil.example") == "/"
    assert safe_redirect_target("//evil.example") == "/"
    assert safe_redirect_target("/\\evil.example") == "/"
    assert safe_redirect_target("/leaderboard?period=weekly") == "/leaderboard?period=weekly"
    assert safe_redirect_target(None) == "/"


@pytest.mark.parametrize("target", [
    unquote("/%09/evil.com"),  # "/\t/evil.com": browsers drop the tab → "//evil.com"
    "/\n/evil.com", "/\r/evil.com", "/ /evil.com", "/\x00/evil.com", "/\u200b/evil.com",
    "//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com", "HTTPS://evil.com", "javascript:alert(1)",
    "evil.com", "", "/login", "/login?redirect_to=//evil.com", "/leaderboard?q=a b",
])
def test_redirect_target_nasty_cases_fall_back_to_home(target: str) -> None:
    from app.web_auth import safe_redirect_target

    assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize("target", ["/", "/leaderboard?period=daily", "/activity", "/admin/review?status=pending#x"])
def test_redirect_target_same_site_paths_are_kept(target: str) -> None:
    from app.web_auth import safe_redirect_target

    assert safe_redirect_target(target) == target


async def test_encoded_tab_redirect_is_refused_after_sign_in(fast_hash: None, user: SimUser) -> None:
    create_account("eve@example.com")
    await user.open("/login?redirect_to=/%09/evil.com")
    await _sign_in(user, "eve@example.com", "right-password-123")
    await user.should_not_see(marker="sign-in", retries=300)  # sent home ("/"), not off-site
    again = await user.http_client.get("/login?redirect_to=/%09/evil.com")
    assert again.status_code == 307 and again.headers["location"] == "/"


async def test_page_guard_reads_the_session_once_per_request(fast_hash: None, user: SimUser) -> None:
    from app.db import get_engine
    from app.web_auth import current_user

    seen: list[str | None] = []

    @ui.page("/members-twice")
    def members_twice() -> None:
        first, second = current_user(), current_user()
        assert first is second
        seen.append(first.email if first else None)
        ui.label("Members twice")

    create_account("dee@example.com")
    await user.open("/login?redirect_to=/members-twice")
    await _sign_in(user, "dee@example.com", "right-password-123")
    await user.should_see("Members twice", retries=300)

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "browser_session" in statement.lower():
            statements.append(statement)

    engine = get_engine()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = await user.http_client.get("/members-twice")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(statements) == 1  # the page guard's lookup, reused by both current_user() calls
    assert seen[-1] == "dee@example.com"


async def test_admin_events_recheck_the_role_every_time(
    fast_hash: None, caplog: pytest.LogCaptureFixture, user: SimUser
) -> None:
    from app.db import write_session
    from app.web_auth import require_admin_event
    from domain.models import User

    done: list[str] = []

    @ui.page("/admin/event-test")
    def admin_event_page() -> None:
        async def act() -> None:
            admin = await require_admin_event()
            done.append(admin.email)
            ui.label(f"Done {len(done)}")

        ui.button("Act", on_click=act)

    admin_id = create_account("boss@example.com", role="admin")
    await user.open("/login?redirect_to=/admin/event-test")
    await _sign_in(user, "boss@example.com", "right-password-123")
    await user.should_see("Act", retries=300)
    user.find("Act").click()
    await user.should_see("Done 1", retries=300)

    with write_session() as session:  # demoted while the page stays open: the next event is refused
        row = session.get(User, admin_id)
        row.role = "user"
        session.add(row)
    user.find("Act").click()
    await user.should_see("Administrator role required", retries=300)
    assert done == ["boss@example.com"]
    # the refused handler raised Forbidden, which NiceGUI logs as an error: expected here, nothing else may be
    errors = [r for r in caplog.get_records("call") if r.levelname == "ERROR"]
    assert errors and all("Administrator role required" in r.getMessage() for r in errors)
    caplog.clear()


async def test_frame_sign_out_button_ends_the_session(fast_hash: None, user: SimUser) -> None:
    from app.web_auth import current_user
    from components.frame import frame

    @ui.page("/members-framed")
    def members_framed() -> None:
        member = current_user()
        assert member is not None
        with frame("Framed", member):
            ui.label("Framed content")

    create_account("fay@example.com")
    await user.open("/login?redirect_to=/members-framed")
    await _sign_in(user, "fay@example.com", "right-password-123")
    await user.should_see("Framed content", retries=300)
    sign_out_button = next(b for b in user.find(ui.button).elements if b.props.get("icon") == "logout")
    UserInteraction(user, {sign_out_button}, None).click()
    await user.should_see(marker="sign-in", retries=300)
    assert (await user.http_client.get("/members-framed")).status_code == 307
