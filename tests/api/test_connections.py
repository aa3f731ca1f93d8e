"""`/api/v1/connections` (issue 5 §2) on SQLite and PostgreSQL, against the in-process Terra stand-in: list, initiate
(widget URL, redirect URLs, pending row), disconnect (deauthenticated at Terra, history kept), force sync (exactly
the documented endpoints with the right headers and parameters; rate-limited), primary tracker; refusals as problem
details (401, 404, 409, 429, 503). Plus the provider setting and the member's review flags."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.system import System
from domain.models import DailySummary, ReviewItem, TrackerConnection
from domain.shared.enums import ReviewKind
from domain.shared.errors import Conflict, NotFound
from domain.tracking import connections
from tests.support.api import bearer
from tests.support.db import read_session, write_session
from tests.support.members import member
from tests.support.system import current
from tests.support.terra_standin import Terra, connected_member, connection_of

DEFAULT = ("GARMIN", "FITBIT", "POLAR", "OURA", "WITHINGS", "COROS", "SUUNTO", "WAHOO")


def today() -> date:
    return datetime.now(UTC).date()


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


# ----------------------------------------------------------------------------------------------------- settings
def test_provider_setting_is_parsed_and_mobile_only_providers_are_dropped() -> None:
    assert connections.parse_providers(current().settings.terra_providers) == DEFAULT
    assert connections.parse_providers(" fitbit, ,GARMIN,fitbit,APPLE,google ") == ("FITBIT", "GARMIN")
    with pytest.raises(NotFound):
        connections.normalize_provider("APPLE", DEFAULT)
    assert connections.normalize_provider("oura", DEFAULT) == "OURA"


# ------------------------------------------------------------------------------------------------------------ list
def test_list_shows_every_offered_provider(client: TestClient, terra: Terra) -> None:
    _problem(client.get("/api/v1/connections"), 401)
    user_id, _ = connected_member(terra)
    body = client.get("/api/v1/connections", headers=bearer(user_id)).json()
    assert [c["provider"] for c in body] == list(DEFAULT)
    fitbit = next(c for c in body if c["provider"] == "FITBIT")
    assert fitbit | {"connected_at": None} == {
        "provider": "FITBIT", "status": "connected", "is_primary": True, "connected_at": None, "last_sync_at": None,
        "last_data_at": None, "next_sync_at": None, "sync_failures": 0, "message": None, "backfill_done": False,
        "days_synced": 0, "needs_reconnect": False}
    assert all(c["status"] == "not_connected" for c in body if c["provider"] != "FITBIT")


# -------------------------------------------------------------------------------------------------------- initiate
def test_initiate_returns_the_widget_and_records_a_pending_connection(client: TestClient, terra: Terra) -> None:
    built = member(connect=False)
    response = client.post("/api/v1/connections/oura/initiate", headers=bearer(built.user_id))
    assert response.status_code == 200, response.text
    widget = response.json()
    assert widget["url"].endswith(f"/widget/{widget['session_id']}") and widget["expires_in"] == 900
    session = terra.sim.sessions[widget["session_id"]]
    assert session.providers == ["OURA"] and session.reference_id == str(built.user_id)
    site = current().settings.site_url  # issue 13 §1: the configured site, never the request's Host (testserver)
    assert session.success_url == f"{site}/connections/callback"
    assert session.failure_url == f"{site}/connections/failed?resource=OURA"
    call = terra.api_requests("/auth/generateWidgetSession")[0]
    assert call["headers"]["dev-id"] == terra.config.dev_id and call["headers"]["x-api-key"] == terra.config.api_key
    body = client.get("/api/v1/connections", headers=bearer(built.user_id)).json()
    oura = next(c for c in body if c["provider"] == "OURA")
    assert oura["status"] == "pending" and "Waiting for Terra" in oura["message"]


def test_initiate_refusals(client: TestClient, terra: Terra, db_system: System,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    built = member(connect=False)
    headers = bearer(built.user_id)
    assert "APPLE" in _problem(client.post("/api/v1/connections/APPLE/initiate", headers=headers), 404)["detail"]
    _problem(client.post("/api/v1/connections/FITBIT/initiate"), 401)
    from tests.terra_sim.app import Fault

    terra.sim.faults.extend(Fault(status=503, retry_after=None, delay_seconds=0, path=None) for _ in range(5))
    problem = _problem(client.post("/api/v1/connections/FITBIT/initiate", headers=headers), 503)
    assert "not reachable" in problem["detail"]
    with read_session() as session:  # nothing recorded when Terra did not answer
        assert session.exec(select(TrackerConnection).where(TrackerConnection.user_id == built.user_id)).first() \
            is None
    monkeypatch.setattr(db_system.settings, "terra_api_key", None)  # Terra not configured: the real client refuses
    from app.adapters.terra.client import TerraClient
    from app.services import terra_sync

    monkeypatch.setattr(terra_sync, "client_from_settings",
                        lambda system: TerraClient.from_settings(system.settings, circuit=system.terra_circuit))
    _problem(client.post("/api/v1/connections/FITBIT/initiate", headers=headers), 503)


# ------------------------------------------------------------------------------------------------------ disconnect
def test_disconnect_deauthenticates_at_terra_and_keeps_history(client: TestClient, terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    headers = bearer(user_id)
    assert client.post("/api/v1/connections/FITBIT/sync", headers=headers).json()["outcome"] == "synced"
    response = client.delete("/api/v1/connections/fitbit", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["is_primary"], body["days_synced"] > 0) == ("disconnected", False, True)
    deauth = terra.api_requests("/auth/deauthenticateUser")
    assert len(deauth) == 1 and deauth[0]["method"] == "DELETE" and deauth[0]["query"] == {"user_id": sim_user.user_id}
    assert sim_user.user_id not in terra.sim.users
    with read_session() as session:
        assert session.exec(select(DailySummary).where(DailySummary.user_id == user_id)).first() is not None
    _problem(client.delete("/api/v1/connections/FITBIT", headers=headers), 409)
    _problem(client.delete("/api/v1/connections/GARMIN", headers=headers), 404)
    _problem(client.post("/api/v1/connections/FITBIT/sync", headers=headers), 409)


def test_disconnect_when_terra_already_forgot_the_user_and_when_terra_is_down(client: TestClient,
                                                                              terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    second_id, _ = connected_member(terra)
    from tests.terra_sim.app import Fault

    terra.sim.faults.extend(Fault(status=500, retry_after=None, delay_seconds=0, path=None) for _ in range(5))
    _problem(client.delete("/api/v1/connections/FITBIT", headers=bearer(second_id)), 503)
    assert connection_of(second_id).status == "connected"  # nothing changed
    terra.sim.faults.clear()
    terra.sim.users.pop(sim_user.user_id)  # Terra answers 404: the user is gone there already
    assert client.delete("/api/v1/connections/FITBIT", headers=bearer(user_id)).json()["status"] == "disconnected"


def test_disconnecting_the_primary_promotes_another_connected_tracker(terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    from domain.accounts.members import connect_tracker

    with write_session() as session:
        connect_tracker(session, user_id=user_id, provider="GARMIN", terra_user_id=f"g-{uuid.uuid4()}")
        connections.disconnect(session, user_id, "FITBIT")
    assert connection_of(user_id, "GARMIN").is_primary
    assert not connection_of(user_id).is_primary


# ------------------------------------------------------------------------------------------------------------ sync
def test_force_sync_requests_exactly_the_documented_endpoints(client: TestClient, terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    response = client.post("/api/v1/connections/FITBIT/sync", headers=bearer(user_id))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "synced" and body["requests"] == 2 and body["days"] > 20 and body["credited"] > 0
    assert body["start"] == (today() - timedelta(days=30)).isoformat() and body["end"] == today().isoformat()
    calls = terra.api_requests()
    assert [(c["method"], c["path"]) for c in calls] == [("GET", "/daily"), ("GET", "/activity")]
    for call in calls:
        assert call["headers"]["dev-id"] == terra.config.dev_id
        assert call["headers"]["x-api-key"] == terra.config.api_key
        assert call["query"] == {"user_id": sim_user.user_id, "start_date": body["start"], "end_date": body["end"],
                                 "to_webhook": "false"}
    listed = next(c for c in client.get("/api/v1/connections", headers=bearer(user_id)).json()
                  if c["provider"] == "FITBIT")
    assert listed["backfill_done"] and listed["days_synced"] == body["days"] and listed["last_sync_at"]


def test_force_sync_is_rate_limited(client: TestClient, terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    for _ in range(3):
        assert client.post("/api/v1/connections/FITBIT/sync", headers=bearer(user_id)).status_code == 200
    problem = _problem(client.post("/api/v1/connections/FITBIT/sync", headers=bearer(user_id)), 429)
    assert problem["retry_after"] >= 1
    other_id, _ = connected_member(terra)  # limits are per member
    assert client.post("/api/v1/connections/FITBIT/sync", headers=bearer(other_id)).status_code == 200


def test_force_sync_when_terra_is_down_is_503(client: TestClient, terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    from tests.terra_sim.app import Fault

    terra.sim.faults.extend(Fault(status=502, retry_after=None, delay_seconds=0, path=None) for _ in range(5))
    _problem(client.post("/api/v1/connections/FITBIT/sync", headers=bearer(user_id)), 503)
    conn = connection_of(user_id)
    assert conn.sync_failures == 1 and conn.status == "connected"
    _problem(client.post("/api/v1/connections/POLAR/sync", headers=bearer(user_id)), 404)


# --------------------------------------------------------------------------------------------------------- primary
def test_primary(client: TestClient, terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    from domain.accounts.members import connect_tracker

    with write_session() as session:
        connect_tracker(session, user_id=user_id, provider="GARMIN", terra_user_id=f"g-{uuid.uuid4()}",
                        is_primary=False)
    response = client.put("/api/v1/connections/garmin/primary", headers=bearer(user_id))
    assert response.status_code == 200 and response.json()["is_primary"]
    assert not connection_of(user_id).is_primary
    with write_session() as session:
        connections.start_connection(session, user_id, "OURA", DEFAULT)
    _problem(client.put("/api/v1/connections/OURA/primary", headers=bearer(user_id)), 409)
    _problem(client.put("/api/v1/connections/POLAR/primary", headers=bearer(user_id)), 404)
    with write_session() as session, pytest.raises(Conflict):
        connections.set_primary(session, user_id, "OURA")


# ----------------------------------------------------------------------------------------------------------- flags
def test_member_flags_show_what_was_held_and_why() -> None:
    built = member()
    other = member()
    day = datetime.now(UTC).date()
    with write_session() as session:
        session.add(ReviewItem(user_id=built.user_id, platform_day=day, kind=ReviewKind.held_points.value,
                               amount=420, reason="more than 60,000 steps in a day"))
        session.add(ReviewItem(user_id=built.user_id, platform_day=day - timedelta(days=3),
                               kind=ReviewKind.lowered_total.value, amount=30, reason="daily total went down",
                               status="acknowledged"))
        session.add(ReviewItem(user_id=other.user_id, platform_day=day, kind="plausibility", reason="x"))
    with read_session() as session:
        flags = connections.member_flags(session, built.user_id)
    assert [(f.kind, f.title, f.reason, f.amount, f.status) for f in flags] == [
        ("held_points", "Points held for review", "more than 60,000 steps in a day", 420, "pending"),
        ("lowered_total", "Tracker lowered the day's total", "daily total went down", 30, "acknowledged")]
