"""Browser-test fixtures: the app as a subprocess (tests/browser/server.py) and Debian's chromium driven by
Playwright (no browser download: `executable_path` points at the system binary).

Per module, not per test (issue 11 §7): one app server (`browser_server`; `scaled_browser_server` for the production
topology) and one Chromium (`browser`). Module scope, not session scope: Playwright's sync API keeps an event loop
running in this thread while it is open, which must be over before the asyncio tests of the same xdist worker run
(`--dist loadfile` keeps a module's tests together, and pytest tears module fixtures down when the module is done).

No database reset between tests: each test creates its own members, drawings and sponsors (fresh ids and emails) and
reads back only what it made; checks of global figures (a list's total, a count on the admin overview) compare with
the database of the moment or filter by the test's own names. A real reset is not possible without a hook in
production code: the ledger and audit tables are append-only (database triggers refuse DELETE), and the running app
keeps working on the data meanwhile (its embedded Huey consumer, and NiceGUI clients of the previous test that live
on for the reconnect timeout with their timers and live subscriptions) — rows vanishing underneath would fail in the
app, not in the test. Isolation of the checks instead: `app_server` makes the server's System current (so
`tests.support` helpers write into the app's database), and after the test waits until the app's queue is empty and
fails the test if the app or the worker logged a traceback during it (`BrowserServer.for_test`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page, sync_playwright

from app.cli.devserver import child_system
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, BrowserServer, huey_worker, running_app

REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKER_INDEX = int(_WORKER.removeprefix("gw") or 0) if _WORKER.startswith("gw") else 0
# The scaled server's own Redis database per xdist worker (4..9; the `redis_url` fixture uses 10..15), flushed first.
SCALED_REDIS_URL = f"{REDIS_BASE_URL}/{4 + _WORKER_INDEX % 6}"


@pytest.fixture(scope="module")
def browser_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserServer]:
    """The app with an empty SQLite database and its embedded Huey consumer, for every test of the module; fails
    the module's last test if the app logged a traceback at any time (shutdown included)."""
    with running_app(tmp_path_factory.mktemp("browser-server")) as app, child_system(app) as system:
        server = BrowserServer(app, system)
        yield server
    server.assert_clean()


@pytest.fixture(scope="module")
def scaled_browser_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserServer]:
    """The production topology on one machine: the app with REDIS_URL (RedisHuey, Redis pub/sub, Redis leaderboards,
    no embedded consumer then) and a separate `huey_consumer` process doing the work."""
    client = redis.Redis.from_url(SCALED_REDIS_URL)
    client.flushdb()
    client.close()
    with running_app(tmp_path_factory.mktemp("scaled-server"), extra_env={"REDIS_URL": SCALED_REDIS_URL}) as app, \
            huey_worker(app) as worker_log, child_system(app) as system:
        server = BrowserServer(app, system, worker_log)
        yield server
    server.assert_clean()


@pytest.fixture
def app_server(browser_server: BrowserServer) -> Iterator[BrowserServer]:
    """The module's app server, for this test (`BrowserServer.for_test`)."""
    with browser_server.for_test() as server:
        yield server


@pytest.fixture
def scaled_app_server(scaled_browser_server: BrowserServer) -> Iterator[BrowserServer]:
    """The module's scaled server, for this test (`BrowserServer.for_test`); the test also fails unless the separate
    worker, not the app, processed a webhook delivery during it."""
    mark = scaled_browser_server.mark()
    with scaled_browser_server.for_test() as server:
        yield server
    assert "process_webhook_delivery" in scaled_browser_server.worker_log_text(mark)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the tests of one module (each test gets fresh browser contexts: own cookies and storage)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"chromium is missing at {CHROMIUM}: apt-get install chromium (make setup-test)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (desktop size), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
