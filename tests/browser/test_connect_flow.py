"""Issue 5's end-to-end flow in Debian's chromium: a member opens Trackers, connects Fitbit through the Terra
stand-in's widget (tests/terra_sim as a real server; FitTrack's TERRA_BASE_URL points at it), comes back to
FitTrack, sees the connection and — within a minute, without doing anything else — points from the 30-day backfill
(Terra's signed `auth` webhook → the webhook task → the backfill sync of /daily and /activity)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from app.cli.devserver import child_system
from tests.browser.server import SIGNING_SECRET, BrowserServer, running_app
from tests.support.members import PASSWORD, email_of, member
from tests.terra_sim import SimConfig, create_app
from tests.terra_sim.server import running_app as running_sim_app

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def terra_and_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimConfig, str, BrowserServer]]:
    """The stand-in on a free port (sending signed webhooks to the app) and the app pointed at it, for the module."""
    config = SimConfig(signing_secret=SIGNING_SECRET, data_webhook_days=3, data_delay_seconds=0.5)
    with running_sim_app(create_app(config)) as sim_url:
        env = {"TERRA_BASE_URL": sim_url, "TERRA_DEV_ID": config.dev_id, "TERRA_API_KEY": config.api_key}
        with running_app(tmp_path_factory.mktemp("connect-server"), extra_env=env) as app, \
                child_system(app) as system:
            config.fittrack_url = app.base_url
            server = BrowserServer(app, system)
            yield config, sim_url, server
        server.assert_clean()


@pytest.fixture
def terra_and_app(terra_and_server: tuple[SimConfig, str, BrowserServer]) -> Iterator[tuple[SimConfig, str,
                                                                                            BrowserServer]]:
    """The module's stand-in and app, for this test (`BrowserServer.for_test`)."""
    config, sim_url, server = terra_and_server
    with server.for_test() as served:
        yield config, sim_url, served


def test_member_connects_fitbit_and_sees_backfilled_points(terra_and_app: tuple[SimConfig, str, BrowserServer],
                                                          browser: Browser) -> None:
    _config, sim_url, server = terra_and_app
    runner = member(connect=False, display_name="Casey Runner")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)

    page.goto(server.base_url + "/login")
    page.locator("input[type=email]").fill(email_of(runner.user_id))
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.base_url + "/")

    page.get_by_text("Trackers", exact=True).first.click()  # the navigation entry
    page.wait_for_url(server.base_url + "/connections")
    expect(page.get_by_text("can only be connected from the FitTrack mobile app")).to_be_visible()
    fitbit = page.locator(".q-card").filter(has=page.get_by_text("Fitbit", exact=True))
    expect(fitbit.get_by_text("Not connected")).to_be_visible()
    fitbit.get_by_role("button", name="Connect").click()

    page.wait_for_url(re.compile(re.escape(sim_url) + r"/widget/"))  # Terra's widget, in this tab
    page.get_by_role("button", name="Connect Fitbit").click()

    page.wait_for_url(re.compile(re.escape(server.base_url) + r"/connections/callback\?"))
    expect(page.get_by_text("Connected — importing your last 30 days")).to_be_visible()
    fitbit = page.locator(".q-card").filter(has=page.get_by_text("Fitbit", exact=True))
    expect(fitbit.get_by_text("Connected", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"\d+ days imported so far — import finished\."))).to_be_visible(
        timeout=60_000)
    balance = page.locator(".q-header").get_by_text(re.compile(r"^[1-9][\d,]*$"))
    expect(balance).to_be_visible(timeout=60_000)  # the header balance went up from 0 (live)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "connections-after-backfill.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})  # phone width: cards stack, nothing overflows
    page.goto(server.base_url + "/connections")
    expect(page.get_by_text("Primary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "connections-phone.png"), full_page=True)
    page.context.close()
