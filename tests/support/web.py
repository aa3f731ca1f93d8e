"""Fixtures for tests that call FitTrack over HTTP without NiceGUI: one bare FastAPI app per session with the JSON API
and the Terra webhook route (`web_app`), an async client on it for this test's System (`http`), and a real Huey
consumer on this test's queue (`consumer`). Imported by tests/api/conftest.py and tests/integration/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.api import api_router
from app.system import System
from app.web.problems import install_problem_handlers
from app.web.webhooks import router as webhook_router
from tests.support.jobs import ensure_tasks, running_consumer


@pytest.fixture(scope="session")
def web_app() -> FastAPI:
    """The JSON API routers and `POST /webhooks/terra` on a bare FastAPI app (no pages), built once per session."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(api_router)
    app.include_router(webhook_router)
    return app


@pytest.fixture
async def http(web_app: FastAPI, system: System) -> AsyncIterator[httpx.AsyncClient]:
    """An async client of `web_app` on this test's System (SQLite), tasks registered (nothing consumes them unless
    the test asks for `consumer`)."""
    ensure_tasks(system)
    web_app.state.system = system
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web_app), base_url="http://test") as client:
        yield client


@pytest.fixture
def consumer(system: System) -> Iterator[System]:
    """A real Huey consumer (2 worker threads and the periodic schedule) on this test's queue; yields the System."""
    with running_consumer(system, workers=2):
        yield system
