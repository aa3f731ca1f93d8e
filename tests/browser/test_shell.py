"""The product shell in Debian's chromium: the landing page at `/` links to sign-in, the sign-in form leads to the
dashboard, a member is refused on the admin pages (403 page), and an admin finds a user with the users list's
search box. The module's tests share one server: the users list and the overview are compared with the number of
members in the database at that moment."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import func, select

from domain.models import User
from tests.browser.server import BrowserServer
from tests.support.db import read_session
from tests.support.members import PASSWORD, email_of, member

PAGE_SIZE = 20  # rows per page of the admin users list

pytestmark = pytest.mark.browser


def test_landing_sign_in_and_member_refused_on_admin(app_server: BrowserServer, page: Page) -> None:
    walker = member(display_name="Landing Walker")
    page.goto(app_server.base_url + "/")
    expect(page.get_by_text("Move more. Earn points. Win prizes.")).to_be_visible()
    expect(page.get_by_text("How points work")).to_be_visible()
    expect(page.get_by_text("Up to 1,000 points a day from all sources together.")).to_be_visible()
    expect(page.get_by_text("10.5281/zenodo.53894")).to_be_visible()  # the data credit

    page.get_by_role("link", name="Join FitTrack").first.click()
    page.wait_for_url("**/register")
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    page.go_back()

    page.get_by_role("link", name="Sign in").first.click()
    page.wait_for_url(app_server.base_url + "/login")
    page.locator("input[type=email]").fill(email_of(walker.user_id))
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app_server.base_url + "/")
    expect(page.get_by_text("Dashboard", exact=True).first).to_be_visible()
    expect(page.get_by_text("Landing Walker")).to_be_visible()
    expect(page.get_by_text("Move more. Earn points. Win prizes.")).to_have_count(0)

    for path in ("/admin", "/admin/users"):
        response = page.goto(app_server.base_url + path)
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()


def test_admin_finds_a_user_with_the_search_box(app_server: BrowserServer, page: Page) -> None:
    admin = member(role="admin", display_name="Shell Admin", connect=False)
    for number in range(3):
        member(display_name=f"Walker {number}", connect=False)
    target = member(display_name="Zelda Fitzgerald", connect=False)
    with read_session() as session:
        total = int(session.exec(select(func.count()).select_from(User)).one())  # these 5 and earlier tests' members
    assert total >= 5

    page.goto(app_server.base_url + "/login")
    page.locator("input[type=email]").fill(email_of(admin.user_id))
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app_server.base_url + "/")

    page.locator(".ft-nav [href='/admin/users']").click()  # the drawer's Admin → Users
    page.wait_for_url(app_server.base_url + "/admin/users")
    rows = page.locator(".ft-table tbody tr")
    expect(page.get_by_text(f"1–{min(total, PAGE_SIZE)} of {total} users")).to_be_visible()
    expect(rows).to_have_count(min(total, PAGE_SIZE))

    page.get_by_placeholder("Search email or display name").fill("zelda")
    expect(page.get_by_text("1–1 of 1 users")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zelda Fitzgerald")
    expect(rows.first).to_contain_text(email_of(target.user_id))

    page.goto(app_server.base_url + "/admin")
    expect(page.get_by_text("Admin overview", exact=True).first).to_be_visible()
    members = page.locator("a[href='/admin/users']").filter(has_text=re.compile("Members"))
    expect(members).to_contain_text(f"{total:,}")
