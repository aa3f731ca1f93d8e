"""The drawer's links in Debian's chromium: each link is one element whose icon and label are a template slot
(issue 12 §2, memory per page) — they must still render, point where they did and mark the current page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.server import BrowserServer
from tests.browser.test_live_leaderboard import sign_in
from tests.support.members import email_of, member

pytestmark = pytest.mark.browser


def test_drawer_links_render_and_mark_the_current_page(app_server: BrowserServer, page: Page) -> None:
    walker = member(display_name="Nav Walker")
    sign_in(page, app_server, email_of(walker.user_id))
    page.goto(app_server.base_url + "/leaderboard")
    nav = page.locator(".ft-nav").first
    for label, target in (("Dashboard", "/"), ("Leaderboard", "/leaderboard"), ("Sweepstakes", "/drawings"),
                          ("Activity", "/activity"), ("Trackers", "/connections"), ("Profile", "/profile"),
                          ("Settings", "/settings")):
        link = nav.locator(f"a[href='{target}']")
        expect(link).to_contain_text(label)
        expect(link.locator(".q-icon")).to_have_count(1)
    expect(nav.locator("a.ft-active")).to_have_attribute("href", "/leaderboard")
    nav.locator("a[href='/activity']").click()
    page.wait_for_url(app_server.base_url + "/activity")
