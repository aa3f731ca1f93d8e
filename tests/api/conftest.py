"""Fixtures of the API tests: `client` (tests/conftest.py) with every task registered on the test's System (as in the
app, follow-up work such as mail sends is enqueued by name; nothing consumes it unless a test runs it), the bare
web app with the webhook route (`web_app`, `http`), a Huey `consumer`, and the Terra stand-in (`terra`)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.system import System
from tests.support.jobs import ensure_tasks
from tests.support.terra_standin import terra_fixture  # noqa: F401  (fixture)
from tests.support.web import consumer, http, web_app  # noqa: F401  (fixtures)


@pytest.fixture
def client(client: TestClient, db_system: System) -> TestClient:
    """The session's API test client on this test's System (SQLite and PostgreSQL), tasks registered."""
    ensure_tasks(db_system)
    return client
