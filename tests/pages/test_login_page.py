"""The login page and the page guard (PRODUCT.md §3, §7), through NiceGUI's simulated user."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.testing import User as SimUser
from nicegui.testing.user_interaction import UserInteraction

from app.system import System
from app.web import auth
from components.page import PageContext, admin_page, member_page
from domain.models import User
from tests.support.accounts import create_account
from tests.support.db import write_session


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


async def test_wrong_password_shows_the_message(user: SimUser) -> None:
    create_account("ann@example.com")
    await user.open("/login")
    await user.should_see("FitTrack")
    await _sign_in(user, "ann@example.com", "wrong-password-1")
    await user.should_see("Email or password is incorrect", retries=300)


async def test_empty_form_asks_for_both_fields(user: SimUser) -> None:
    await user.open("/login")
    user.find(marker="sign-in").click()
    await user.should_see("Enter your email and password.")


async def test_pending_account_message(user: SimUser) -> None:
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


async def test_right_password_lands_on_the_requested_page(user: SimUser) -> None:
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


async def test_suspending_a_signed_in_member_ends_their_access(user: SimUser) -> None:
    _members_page()
    user_id = create_account("cid@example.com")
    await user.open("/login?redirect_to=/members-area")
    await _sign_in(user, "cid@example.com", "right-password-123")
    await user.should_see("Members only content", retries=300)
    with write_session() as session:
        row = session.get(User, user_id)
        row.status = "suspended"
        session.add(row)
    assert (await user.http_client.get("/members-area")).status_code == 307


async def test_admin_passes_the_admin_guard(user: SimUser) -> None:
    @ui.page("/admin/test-only")
    def admin_test_page() -> None:
        ui.label("Admin test page")

    create_account("root@example.com", role="admin")
    await user.open("/login?redirect_to=/admin/test-only")
    await _sign_in(user, "root@example.com", "right-password-123")
    await user.should_see("Admin test page", retries=300)


async def test_open_redirects_are_refused() -> None:
    from app.web.auth import safe_redirect_target

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
    from app.web.auth import safe_redirect_target

    assert safe_redirect_target(target) == "/"


@pytest.mark.parametrize("target", ["/", "/leaderboard?period=daily", "/activity", "/admin/review?status=pending#x"])
def test_redirect_target_same_site_paths_are_kept(target: str) -> None:
    from app.web.auth import safe_redirect_target

    assert safe_redirect_target(target) == target


async def test_encoded_tab_redirect_is_refused_after_sign_in(user: SimUser) -> None:
    create_account("eve@example.com")
    await user.open("/login?redirect_to=/%09/evil.com")
    await _sign_in(user, "eve@example.com", "right-password-123")
    await user.should_not_see(marker="sign-in", retries=300)  # sent home ("/"), not off-site
    again = await user.http_client.get("/login?redirect_to=/%09/evil.com")
    assert again.status_code == 307 and again.headers["location"] == "/"


async def test_page_guard_reads_the_session_once_per_request(user: SimUser, system: System) -> None:
    seen: list[str | None] = []

    @member_page("/members-twice", title="Members twice")
    def members_twice(ctx: PageContext) -> None:
        assert ctx.request is not None
        first, second = auth.request_user(ctx.request), auth.request_user(ctx.request)
        assert first[0] and first[1] is second[1] is ctx.user  # the guard's user, handed to the page as it is
        seen.append(ctx.user.email if ctx.user else None)
        ui.label("Members twice")

    create_account("dee@example.com")
    await user.open("/login?redirect_to=/members-twice")
    await _sign_in(user, "dee@example.com", "right-password-123")
    await user.should_see("Members twice", retries=300)

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "browser_session" in statement.lower():
            statements.append(statement)

    engine = system.db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = await user.http_client.get("/members-twice")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert len(statements) == 1  # the page guard's lookup, reused by the page decorator and the body
    assert seen[-1] == "dee@example.com"


async def test_admin_events_recheck_the_role_every_time(caplog: pytest.LogCaptureFixture, user: SimUser) -> None:
    done: list[str] = []

    @admin_page("/admin/event-test", title="Event test")
    def admin_event_page(ctx: PageContext) -> None:
        async def act() -> None:
            done.append(ctx.admin.email)
            ui.label(f"Done {len(done)}")

        ui.button("Act", on_click=ctx.guard(act)).mark("act")  # (the frame's drawer has "Activity" too)

    admin_id = create_account("boss@example.com", role="admin")
    await user.open("/login?redirect_to=/admin/event-test")
    await _sign_in(user, "boss@example.com", "right-password-123")
    await user.should_see(marker="act", retries=300)
    user.find(marker="act").click()
    await user.should_see("Done 1", retries=300)

    with write_session() as session:  # demoted while the page stays open: the next event is refused
        row = session.get(User, admin_id)
        row.role = "user"
        session.add(row)
    user.find(marker="act").click()
    await user.should_see("Administrator role required", retries=300)
    assert done == ["boss@example.com"]
    # the refused handler raised Forbidden, which NiceGUI logs as an error: expected here, nothing else may be
    errors = [r for r in caplog.get_records("call") if r.levelname == "ERROR"]
    assert errors and all("Administrator role required" in r.getMessage() for r in errors)
    caplog.clear()


async def test_frame_sign_out_button_ends_the_session(user: SimUser) -> None:
    @member_page("/members-framed", title="Framed")
    def members_framed(ctx: PageContext) -> None:
        assert ctx.user is not None
        ui.label("Framed content")

    create_account("fay@example.com")
    await user.open("/login?redirect_to=/members-framed")
    await _sign_in(user, "fay@example.com", "right-password-123")
    await user.should_see("Framed content", retries=300)
    sign_out_button = next(b for b in user.find(ui.button).elements if b.props.get("icon") == "logout")
    UserInteraction(user, {sign_out_button}, None).click()
    await user.should_see(marker="sign-in", retries=300)
    assert (await user.http_client.get("/members-framed")).status_code == 307
