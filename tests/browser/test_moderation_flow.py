"""Issue 7 "done when" in Debian's chromium: a member is signed in; an admin finds them in the users list, opens
their page and suspends them with a reason; the member's open session ends at once, signing in again is refused,
and their tickets are still in the drawing. Reactivating lets them back in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from domain.models import Drawing, Ticket
from tests.browser.server import BrowserServer
from tests.support.db import read_session, write_session
from tests.support.members import PASSWORD, email_of, member

pytestmark = pytest.mark.browser


def sign_in(page: Page, server: BrowserServer, email: str) -> None:
    page.goto(server.base_url + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_suspended_member_is_signed_out_and_refused(app_server: BrowserServer, browser: Browser) -> None:
    admin = member(role="admin", display_name="Ada Admin")
    target = member(display_name="Sam Suspect")
    target_email = email_of(target.user_id)
    now = datetime.now(UTC)
    with write_session() as session:
        drawing = Drawing(drawing_type="monthly", name="Monthly Mega", ticket_cost_points=10, status="completed",
                          drawing_time=now - timedelta(days=1), sales_close=now - timedelta(days=1, minutes=5))
        session.add(drawing)
        session.flush()
        session.add_all([Ticket(drawing_id=drawing.id, user_id=target.user_id, ticket_number=n) for n in (1, 2)])

    member_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    member_page.set_default_timeout(20_000)
    sign_in(member_page, app_server, target_email)
    member_page.wait_for_url(app_server.base_url + "/")

    admin_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    admin_page.set_default_timeout(20_000)
    sign_in(admin_page, app_server, email_of(admin.user_id))
    admin_page.wait_for_url(app_server.base_url + "/")
    admin_page.goto(app_server.base_url + "/admin/users?q=Sam")
    admin_page.get_by_role("link", name=target_email).click()
    admin_page.wait_for_url(f"{app_server.base_url}/admin/users/{target.user_id}")
    expect(admin_page.get_by_text("Sam Suspect").first).to_be_visible()
    admin_page.get_by_role("button", name="Suspend").click()
    dialog = admin_page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Suspend")).to_be_disabled()  # a reason is required
    dialog.get_by_label("Reason (required, kept in the audit log)").fill("Shared account, ticket 311")
    dialog.get_by_role("button", name="Suspend").click()
    expect(admin_page.get_by_text("Status: suspended")).to_be_visible()
    admin_page.get_by_role("tab", name="Audit trail").click()
    expect(admin_page.get_by_text("“Shared account, ticket 311”")).to_be_visible()

    member_page.goto(app_server.base_url + "/activity")  # the old session no longer works
    member_page.wait_for_url("**/login**")
    sign_in(member_page, app_server, target_email)
    expect(member_page.get_by_text("This account is suspended; contact support")).to_be_visible()
    with read_session() as session:
        assert len(session.exec(select(Ticket).where(Ticket.user_id == target.user_id)).all()) == 2

    admin_page.get_by_role("button", name="Reactivate").click()
    dialog = admin_page.get_by_role("dialog")
    dialog.get_by_label("Reason (required, kept in the audit log)").fill("Appeal accepted")
    dialog.get_by_role("button", name="Reactivate").click()
    expect(admin_page.get_by_text("Status: active")).to_be_visible()
    sign_in(member_page, app_server, target_email)
    member_page.wait_for_url(app_server.base_url + "/")
