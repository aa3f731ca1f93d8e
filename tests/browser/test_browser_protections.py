"""Issue 13 §4 in Debian's chromium: the NiceGUI pages work under FitTrack's Content-Security-Policy — the
dashboard and the leaderboard render, their websocket connects (through the Origin check) and the browser reports
no CSP violation; the pages may not be framed by another site."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from domain.shared.calendar import platform_day
from domain.shared.types import utcnow
from tests.browser.server import BrowserServer
from tests.support.members import PASSWORD, email_of, member, send_daily

pytestmark = pytest.mark.browser

# Records every CSP violation the page reports, from the first script on (before NiceGUI's own scripts run).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_dashboard_and_leaderboard_work_under_the_csp(app_server: BrowserServer, page: Page) -> None:
    me = member(display_name="Csp Checker", biological_sex="F", fitness_level="INT")
    send_daily(me.terra_user_id, platform_day(utcnow()), steps=7_000)
    console: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            console.append(message.text)

    page.on("console", keep)
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(app_server.base_url + "/login")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and response.headers["x-frame-options"] == "DENY"
    page.locator("input[type=email]").fill(email_of(me.user_id))
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()  # a UI event: travels over the websocket
    page.wait_for_url(app_server.base_url + "/")
    for path, text in (("/", "Csp Checker"), ("/leaderboard?period=daily", "Csp Checker")):
        page.goto(app_server.base_url + path)
        expect(page.locator("body")).to_contain_text(text)
        page.wait_for_function("window.did_handshake === true")  # the websocket passed the Origin check
        assert page.evaluate("window.__cspViolations") == [], path
    assert [text for text in console if "Content Security Policy" in text] == []


def test_another_site_cannot_frame_a_page(app_server: BrowserServer, page: Page) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "frame" in message.text else None)
    page.set_content(f'<iframe id="f" onload="window.__framed = true" src="{app_server.base_url}/login"></iframe>')
    page.wait_for_function("window.__framed === true")  # the frame finished loading (Chromium's error page)
    expect(page.frame_locator("#f").locator("input[type=email]")).to_have_count(0)
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused), refused
