"""Issue 4's end-to-end flow in Debian's chromium, at desktop and phone width: register → read the verification
email in the dev outbox → verify → sign in → complete the profile → see the tier → sign out. The email address is
unique per test (the desktop and phone runs share the module's server): the test reads its own email in the outbox."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.server import BrowserServer

pytestmark = pytest.mark.browser
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800},
                                     "phone": {"width": 390, "height": 844}}
PASSWORD = "a-long-enough-passphrase"


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the Quasar select labelled `label`."""
    page.get_by_label(label).click()
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_register_verify_sign_in_profile_tier_sign_out(app_server: BrowserServer, browser: Browser,
                                                       viewport: str) -> None:
    page = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.set_default_timeout(20_000)
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    born = date(date.today().year - 34, 6, 15)

    page.goto(app_server.base_url + "/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Display name").fill("Grace Walker")
    page.get_by_label("Date of birth").fill(born.isoformat())
    choose(page, "State", "CA")
    page.get_by_text("I am a US resident and accept the terms").click()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your email")).to_be_visible()

    page.goto(app_server.base_url + "/dev/mailbox")
    mail = page.locator(".q-card").filter(has_text=f"To {email} ")
    expect(mail).to_have_count(1)
    link = mail.locator("a[href*='verify-email?token=']")
    expect(link).to_be_visible()
    page.goto(link.get_attribute("href") or "")
    expect(page.get_by_text("Your email is confirmed")).to_be_visible()

    page.goto(app_server.base_url + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app_server.base_url + "/")

    page.goto(app_server.base_url + "/profile")
    choose(page, "Biological sex", "Female")
    choose(page, "Fitness level", "Intermediate")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("F-30-39-INT").first).to_be_visible()

    page.get_by_role("button", name="Sign out").first.click()  # in the header at every width
    page.wait_for_url("**/login**")
    page.goto(app_server.base_url + "/profile")
    page.wait_for_url("**/login**")  # signed out: member pages send us to sign in again
    page.context.close()
