"""Issue 13 §6: throttles wherever a secret or a mailbox is at stake (registration, forgot-password, current-password
checks), through the `limits` library (`app.security.ratelimit.Throttle.check_sensitive`); forgot-password does the
same work for known and unknown addresses; the sign-in lockout lasts 15 minutes from the fifth failure."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.security.ratelimit import RateLimited, Throttle
from app.system import System
from tests.support.accounts import create_account
from tests.support.api import bearer, problem
from tests.support.members import PASSWORD, member

REGISTRATION = {"password": "a-long-uncommon-password-1", "date_of_birth": "1990-01-01", "state": "CA",
                "display_name": "Throttled", "accept_terms": True}


@pytest.fixture
def sqlite_client(api_app: FastAPI, system: System) -> Iterator[TestClient]:
    """The API on this test's SQLite System only: the throttle is per System, not per database, so one database is
    enough (the `client` fixture would run each test on PostgreSQL too)."""
    api_app.state.system = system
    with TestClient(api_app) as test_client:
        yield test_client


def test_registration_is_limited_per_ip_and_per_address(sqlite_client: TestClient) -> None:
    client = sqlite_client
    for n in range(5):
        assert client.post("/api/v1/auth/register", json=REGISTRATION | {"email": "same@example.com"}).status_code \
            == 201, n
    sixth = problem(client.post("/api/v1/auth/register", json=REGISTRATION | {"email": "Same@Example.com"}), 429)
    assert sixth["retry_after"] >= 1
    # register and forgot-password share the per-address budget: at most 5 mails an hour to one mailbox
    assert problem(client.post("/api/v1/auth/forgot-password", json={"email": "same@example.com"}), 429)
    for n in range(5):  # the IP has used 6 of its 10 registrations an hour (refused attempts count too)
        response = client.post("/api/v1/auth/register", json=REGISTRATION | {"email": f"other{n}@example.com"})
        assert response.status_code == (201 if n < 4 else 429), n
    assert int(response.headers["retry-after"]) >= 1


def test_forgot_password_is_limited_and_costs_the_same_for_known_and_unknown(
        sqlite_client: TestClient, system: System) -> None:
    create_account("known@example.com", PASSWORD)
    statements: list[str] = []
    sa.event.listen(system.db.engine, "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    work = {}
    for email in ("known@example.com", "ghost@example.com"):
        statements.clear()
        before = system.jobs.pending_count()
        response = sqlite_client.post("/api/v1/auth/forgot-password", json={"email": email})
        assert response.status_code == 202
        work[email] = (len(statements), system.jobs.pending_count() - before, response.json())
    assert work["known@example.com"] == work["ghost@example.com"]
    assert work["ghost@example.com"][:2] == (0, 1)  # no database work at all; one job each
    for _ in range(4):
        sqlite_client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"})
    assert problem(sqlite_client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"}), 429)


def test_current_password_checks_are_limited_per_account(sqlite_client: TestClient) -> None:
    me = member()
    auth = bearer(me.user_id)
    wrong = {"current_password": "not-my-password", "new_password": "a-brand-new-password-9"}
    for _ in range(3):
        assert problem(sqlite_client.put("/api/v1/users/me/password", json=wrong, headers=auth), 401)
    for _ in range(2):
        assert problem(sqlite_client.request("DELETE", "/api/v1/users/me", json={"password": "nope"},
                                             headers=auth), 401)
    right = {"current_password": PASSWORD, "new_password": "a-brand-new-password-9"}
    refused = sqlite_client.put("/api/v1/users/me/password", json=right, headers=auth)
    assert problem(refused, 429)["code"] == "rate-limited" and int(refused.headers["retry-after"]) > 60
    other = member()  # another account is not affected
    assert sqlite_client.put("/api/v1/users/me/password", json=right, headers=bearer(other.user_id)).status_code \
        == 204


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """`time.time` as seen by the `limits` memory storage, moved by the test."""
    now = [time.time()]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: now[0])
    monkeypatch.setattr("app.security.ratelimit.time.time", lambda: now[0])
    yield now


def test_lockout_lasts_15_minutes_from_the_fifth_failure(clock: list[float]) -> None:
    throttle = Throttle()
    start = clock[0]
    for minute in (0, 1, 2, 3):
        clock[0] = start + minute * 60
        throttle.check_login_allowed("victim@example.com", f"10.0.0.{minute}")
        assert throttle.record_login_failure("victim@example.com") is False
    clock[0] = start + 14 * 60
    throttle.check_login_allowed("victim@example.com", "10.0.0.9")
    assert throttle.record_login_failure("victim@example.com") is True  # the fifth: locked from now
    for minutes_after in (1, 6, 14.9):  # a moving window would have let the first failure age out at minute 15
        clock[0] = start + (14 + minutes_after) * 60
        with pytest.raises(RateLimited) as locked:
            throttle.check_login_allowed("victim@example.com", "10.0.0.9")
        assert abs(locked.value.retry_after - (15 - minutes_after) * 60) <= 2
    clock[0] = start + 29 * 60 + 1
    throttle.check_login_allowed("victim@example.com", "10.0.0.9")  # the lock is over, counting starts afresh
    assert throttle.record_login_failure("victim@example.com") is False
