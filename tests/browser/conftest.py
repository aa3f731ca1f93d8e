"""Browser-test fixtures: the app as a subprocess (tests/browser/server.py) and Debian's chromium driven by
Playwright (no browser download: `executable_path` points at the system binary)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, Server, child_database, huey_worker, running_app

SCALED_REDIS_URL = "redis://127.0.0.1:6379/3"  # this fixture's own Redis database, flushed before use


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[Server]:
    """A freshly started app with an empty database; fails the test if the server logged a traceback."""
    with running_app(tmp_path / "server") as server, child_database(server):
        yield server
    assert "Traceback" not in server.log(), server.log()


@pytest.fixture
def scaled_app_server(tmp_path: Path) -> Iterator[Server]:
    """The production topology on one machine: the app with REDIS_URL (RedisHuey, Redis pub/sub, Redis leaderboards)
    and a separate `huey_consumer` process doing the work. Fails the test if either logged a traceback."""
    import redis

    redis.Redis.from_url(SCALED_REDIS_URL).flushdb()
    with running_app(tmp_path / "server", extra_env={"REDIS_URL": SCALED_REDIS_URL}) as server, \
            huey_worker(server) as worker_log, child_database(server):
        yield server
    assert "Traceback" not in server.log(), server.log()
    assert "Traceback" not in worker_log.read_text(), worker_log.read_text()
    assert "process_webhook_delivery" in worker_log.read_text()  # the worker, not the app, processed it


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium for one test. Function-scoped on purpose: Playwright's sync API keeps an event loop running in this
    thread while it is open, which would break the asyncio tests that run after the browser tests."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"chromium is missing at {CHROMIUM}: apt-get install chromium (make setup-test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
