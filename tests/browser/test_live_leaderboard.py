"""End to end in Debian's chromium: a member with the leaderboard open sees a rival overtake them when the test
posts a signed Terra webhook — without a reload; a member is refused on /admin."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.adapters.terra.signature import sign
from domain.shared.calendar import platform_day
from domain.shared.types import utcnow
from tests.browser.server import SIGNING_SECRET, BrowserServer
from tests.support.builders import daily_payload
from tests.support.members import PASSWORD, email_of, member, send_daily

pytestmark = pytest.mark.browser


def sign_in(page: Page, server: BrowserServer, email: str) -> None:
    page.goto(server.base_url + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.base_url + "/")


def post_webhook(server: BrowserServer, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Terra-Signature": sign(SIGNING_SECRET, body),
               "X-Terra-Ordering-Timestamp": str(int(time.time() * 1000))}
    return httpx.post(server.base_url + "/webhooks/terra", content=body, headers=headers, timeout=10)


def test_leaderboard_moves_live_when_a_webhook_lands(app_server: BrowserServer, page: Page) -> None:
    overtake_live(app_server, page)


def test_live_update_crosses_processes_through_redis(scaled_app_server: BrowserServer, page: Page) -> None:
    """Same story with a separate Huey worker: the points land in another process and reach the page through
    Redis pub/sub; the board is read from Redis sorted sets."""
    overtake_live(scaled_app_server, page)


def overtake_live(app_server: BrowserServer, page: Page) -> None:
    """A member watches their tier's daily board; a rival's signed webhook puts the rival on top, in place."""
    today = platform_day(utcnow())
    me = member(display_name="Me Myself", biological_sex="F", fitness_level="INT")
    rival = member(display_name="Rival Runner", biological_sex="F", fitness_level="INT")
    send_daily(me.terra_user_id, today, steps=6_000)

    sign_in(page, app_server, email_of(me.user_id))
    page.goto(app_server.base_url + "/leaderboard?period=daily")
    rows = page.locator(".ft-table").first.locator("tbody tr")
    expect(rows.first).to_contain_text("Me Myself")
    expect(rows.nth(1)).to_contain_text("Rival Runner")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    assert rival.terra_user_id is not None  # member() connects a tracker
    response = post_webhook(app_server, daily_payload(rival.terra_user_id, today, steps=14_000))
    assert response.status_code == 200, response.text
    expect(rows.first).to_contain_text("Rival Runner", timeout=5_000)
    expect(rows.first).to_contain_text("245")  # 140 steps + 100 goal + 5 streak
    expect(rows.nth(1)).to_contain_text("Me Myself")
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_text("#2", exact=True)).to_be_visible()


def test_member_is_refused_on_admin(app_server: BrowserServer, page: Page) -> None:
    plain = member(display_name="Plain Member")
    sign_in(page, app_server, email_of(plain.user_id))
    for path in ("/admin", "/admin/review"):
        response = page.goto(app_server.base_url + path)
        assert response is not None and response.status == 403
        expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()
