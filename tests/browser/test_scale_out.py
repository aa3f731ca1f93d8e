"""Scale-out, demonstrated (issue 12 §6) in Debian's chromium: HAProxy (cookie-sticky, websocket-aware,
health-checked) in front of two NiceGUI instances on PostgreSQL, with NiceGUI's per-user storage in Redis, two Huey
workers and a scheduler (`app.cli.scale.running_topology`, what `make scale` runs), started once for the module.

- A member watching their board through HAProxy on instance A sees it move live when a rival's Terra webhook is
  posted to instance B and processed by a separate worker (Redis pub/sub reaches A's page).
- Stopping the member's instance moves them to the other one: the page comes back there, still signed in.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator

import httpx
import pytest
import redis
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from app.adapters.terra.signature import sign
from app.cli.devserver import child_system
from app.cli.scale import Topology, running_topology
from app.system import System
from domain.shared.calendar import platform_day
from domain.shared.types import utcnow
from tests.browser.server import SIGNING_SECRET, prepare_database
from tests.support import system as test_system
from tests.support.builders import daily_payload
from tests.support.members import PASSWORD, email_of, member, send_daily

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/3"  # this module's own Redis database


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Topology, System]]:
    """The scaled-out topology on a fresh PostgreSQL database and Redis database, and a `System` on its settings
    (to create members directly)."""
    name = f"fittrack_scale_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    flush = redis.Redis.from_url(REDIS_URL)
    flush.flushdb()
    flush.close()
    overrides = {"ENV": "test", "TERRA_SIGNING_SECRET": SIGNING_SECRET, "PASSWORD_HASH_FAST": "1",
                 "LOG_LEVEL": "INFO"}
    database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        # one worker besides the scheduler (make scale runs two): the same shape, one process less to start
        with running_topology(tmp_path_factory.mktemp("scale"), database_url=database_url, redis_url=REDIS_URL,
                              workers=1, env_overrides=overrides, prepare=prepare_database) as running, \
                child_system(running.instances[0]) as system:
            yield running, system
            for app in running.instances:
                assert "Traceback" not in app.log(), app.log()[-4000:]
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def scaled(topology: tuple[Topology, System]) -> Iterator[Topology]:
    """The module's topology with its System current (`tests.support` helpers write into its database)."""
    running, system = topology
    previous = test_system.current()
    test_system.use(system)
    try:
        yield running
    finally:
        test_system.use(previous)


def instance_of(context: BrowserContext) -> str:
    """The instance HAProxy pinned this browser to (its FTSERVER cookie: `web1`, `web2`)."""
    return next(c["value"] for c in context.cookies() if c["name"] == "FTSERVER")


def open_board(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")
    page.goto(base_url + "/leaderboard?period=daily")


def post_webhook(base_url: str, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Terra-Signature": sign(SIGNING_SECRET, body),
               "X-Terra-Ordering-Timestamp": str(int(time.time() * 1000))}
    return httpx.post(base_url + "/webhooks/terra", content=body, headers=headers, timeout=10)


def test_board_on_instance_a_moves_live_from_a_webhook_posted_to_instance_b(scaled: Topology, page: Page) -> None:
    today = platform_day(utcnow())
    me = member(display_name="Scale Me", biological_sex="M", fitness_level="ADV")
    rival = member(display_name="Scale Rival", biological_sex="M", fitness_level="ADV")
    send_daily(me.terra_user_id, today, steps=6_000)

    open_board(page, scaled.base_url, email_of(me.user_id))
    rows = page.locator(".ft-table").first.locator("tbody tr")
    expect(rows.first).to_contain_text("Scale Me")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    mine = instance_of(page.context)
    other = next(scaled.server_name(i) for i in range(len(scaled.instances)) if scaled.server_name(i) != mine)
    handled_before = scaled.consumer_log_text().count("process_webhook_delivery")

    assert rival.terra_user_id is not None
    response = post_webhook(scaled.instance_named(other).base_url,
                            daily_payload(rival.terra_user_id, today, steps=14_000))
    assert response.status_code == 200, response.text
    expect(rows.first).to_contain_text("Scale Rival", timeout=10_000)
    expect(rows.nth(1)).to_contain_text("Scale Me")
    assert page.evaluate("window.__sameDocument") is True  # pushed into the open page, no reload
    assert instance_of(page.context) == mine
    assert scaled.consumer_log_text().count("process_webhook_delivery") > handled_before  # a worker did it


def test_stopping_the_members_instance_moves_them_to_the_other_still_signed_in(
    scaled: Topology, page: Page,
) -> None:
    today = platform_day(utcnow())
    me = member(display_name="Failover Me", biological_sex="F", fitness_level="BEG")
    send_daily(me.terra_user_id, today, steps=7_000)
    open_board(page, scaled.base_url, email_of(me.user_id))
    rows = page.locator(".ft-table").first.locator("tbody tr")
    expect(rows.first).to_contain_text("Failover Me")
    page.evaluate("window.__sameDocument = true")
    before = instance_of(page.context)

    scaled.stop_instance(int(before.removeprefix("web")) - 1)

    # NiceGUI's socket reconnects through HAProxy to the other instance, which does not know this page: the page
    # reloads there (same URL), and the Redis-backed user storage still holds the member's browser session.
    page.wait_for_function("window.__sameDocument === undefined", timeout=30_000)
    expect(page).to_have_url(re.compile(r"/leaderboard\?period=daily$"))
    expect(rows.first).to_contain_text("Failover Me", timeout=15_000)
    assert instance_of(page.context) != before
    page.goto(scaled.base_url + "/leaderboard?period=weekly")  # a member page: signed out would mean /login
    expect(page).to_have_url(re.compile(r"/leaderboard\?period=weekly$"))
