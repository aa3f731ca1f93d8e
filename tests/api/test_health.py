"""`/health/live` and `/health/ready` (issue 2 API conventions): the database, Redis (when configured) and a Huey
consumer answering `ping`; the embedded consumer started by the app's start-up hook answers it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import health
from app.system import System
from app.web import lifecycle
from tests.support.api import PROBLEM
from tests.support.jobs import ensure_tasks, running_consumer


class Hooks:
    """Collects the start-up and shutdown hooks `app.web.lifecycle.install` registers on NiceGUI's app."""

    def __init__(self) -> None:
        self.startup: list[Callable[[], Any]] = []
        self.shutdown: list[Callable[[], Any]] = []

    def on_startup(self, hook: Callable[[], Any]) -> None:
        self.startup.append(hook)

    def on_shutdown(self, hook: Callable[[], Any]) -> None:
        self.shutdown.append(hook)


def use(client: TestClient, system: System) -> None:
    """Serve `client`'s app from `system` (the next test's `client` fixture sets its own again)."""
    client.app.state.system = system  # type: ignore[attr-defined]


def test_live_is_always_200(client: TestClient) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_200_with_the_embedded_consumer(client: TestClient, db_system: System,
                                              system_factory: Callable[..., System]) -> None:
    """The app's start-up hook starts the embedded consumer (`HUEY_EMBEDDED`, no Redis), which answers the ping;
    shutdown stops it."""
    embedded = ensure_tasks(system_factory(huey_embedded=True, huey_workers=1,
                                           database_url=db_system.settings.database_url))
    hooks = Hooks()
    lifecycle.install(hooks, embedded)
    for hook in hooks.startup:
        hook()
    try:
        assert embedded.jobs.consumer_running
        use(client, embedded)
        response = client.get("/health/ready")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    finally:
        for hook in hooks.shutdown:
            hook()
    assert not embedded.jobs.consumer_running


def test_no_embedded_consumer_when_disabled_or_with_redis(system_factory: Callable[..., System],
                                                          redis_url: str) -> None:
    """`HUEY_EMBEDDED=0`, `consumer=False` (tests) or `REDIS_URL` set (separate `huey_consumer` processes): the
    start-up hook starts no consumer."""
    cases = [(system_factory(huey_embedded=False), True), (system_factory(huey_embedded=True), False),
             (system_factory(huey_embedded=True, redis_url=redis_url), True)]
    for built, consumer in cases:
        hooks = Hooks()
        lifecycle.install(hooks, ensure_tasks(built), consumer=consumer)
        for hook in hooks.startup:
            hook()
        assert not built.jobs.consumer_running


def test_ready_checks_redis_when_configured(client: TestClient, db_system: System, redis_url: str,
                                           system_factory: Callable[..., System]) -> None:
    with_redis = ensure_tasks(system_factory(redis_url=redis_url, database_url=db_system.settings.database_url))
    use(client, with_redis)
    with running_consumer(with_redis, workers=1):  # a consumer on the Redis queue (a `huey_consumer` process's job)
        response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "queue": "ok", "redis": "ok"}

    # nothing listens on port 1: Redis is down, and so is the queue that lives in it
    down_system = ensure_tasks(system_factory(redis_url="redis://127.0.0.1:1/1",
                                              database_url=db_system.settings.database_url))
    use(client, down_system)
    down = client.get("/health/ready")
    assert down.status_code == 503 and down.headers["content-type"].startswith(PROBLEM)
    assert down.json()["checks"] == {"database": "ok", "queue": "failed", "redis": "failed"}


def test_ready_503_when_the_database_is_unreachable(
    client: TestClient, pg_server: str, system_factory: Callable[..., System], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No consumer either (its periodic tasks would rightly log errors once the database is gone): the queue check
    gives up after its timeout (shortened here from 3 s)."""
    monkeypatch.setattr(health, "QUEUE_TIMEOUT_SECONDS", 0.3)
    missing = pg_server.rsplit("/", 1)[0] + f"/fittrack_missing_{uuid.uuid4().hex[:8]}"
    use(client, ensure_tasks(system_factory(database_url=missing)))  # the server answers, the database does not exist
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == 503 and body["checks"] == {"database": "failed", "queue": "failed"}
    assert body["detail"] == "Not ready: database, queue" and "fittrack_missing" not in response.text
