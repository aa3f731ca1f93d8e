"""`/health/live` and `/health/ready` (issue 2 API conventions) against the real app with its embedded consumer."""

from __future__ import annotations

import uuid

import pytest
from nicegui.testing import User as SimUser

from app import db
from app.settings import get_settings

PROBLEM = "application/problem+json"


async def test_live_is_always_200(user: SimUser) -> None:
    response = await user.http_client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_200_with_the_embedded_consumer(user: SimUser) -> None:
    from app import jobs

    assert jobs.embedded_consumer_running()
    response = await user.http_client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


async def test_ready_checks_redis_when_configured(user: SimUser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    get_settings.cache_clear()
    response = await user.http_client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "queue": "ok", "redis": "ok"}

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/1")  # nothing listens on port 1
    get_settings.cache_clear()
    down = await user.http_client.get("/health/ready")
    assert down.status_code == 503 and down.headers["content-type"].startswith(PROBLEM)
    assert down.json()["checks"] == {"database": "ok", "queue": "ok", "redis": "failed"}


@pytest.fixture
def no_embedded_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No consumer: periodic tasks would (rightly) log errors once the database is gone."""
    monkeypatch.setenv("HUEY_EMBEDDED", "0")
    get_settings.cache_clear()


async def test_ready_503_when_the_database_is_unreachable(
    no_embedded_consumer: None, user: SimUser, monkeypatch: pytest.MonkeyPatch, pg_server: str,
) -> None:
    missing = pg_server.rsplit("/", 1)[0] + f"/fittrack_missing_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATABASE_URL", missing)  # the server answers, the database does not exist
    get_settings.cache_clear()
    db.reset_engine()
    response = await user.http_client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 503 and body["checks"] == {"database": "failed", "queue": "failed"}
    assert body["detail"] == "Not ready: database, queue" and "fittrack_missing" not in response.text
