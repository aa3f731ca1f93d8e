"""The local Terra stand-in (`tests/terra_sim`) itself: the widget flow sends signed webhooks that FitTrack's own
verifier and ingest accept (the connection appears, data arrives), the Fitbit dataset is served with its dates
shifted to end yesterday, Terra's credential check, the test controls, and the command-line server."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.adapters.terra.signature import SignatureError, verify
from app.cli.fitbit_dataset import local_midnight, read_daily
from app.system import System
from domain.models import DailySummary, TrackerConnection, WebhookDelivery
from domain.models import User as Member
from tests.support.db import read_session, write_session
from tests.support.terra import SECRET, wait_processed
from tests.terra_sim import SimConfig, SimState, create_app, sign
from tests.terra_sim.server import free_port

ROOT = Path(__file__).resolve().parents[2]
DEV_ID, API_KEY = "sim-dev", "sim-key"
CREDS = {"dev-id": DEV_ID, "x-api-key": API_KEY}
TODAY = date(2026, 3, 1)  # a fixed "today" for the date-shift tests: the dataset's last day becomes 2026-02-28


def make_member() -> uuid.UUID:
    with write_session() as session:
        member = Member(email=f"{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active")
        session.add(member)
        session.flush()
        return member.id


def sim_and_client(**overrides: Any) -> tuple[SimState, httpx.AsyncClient]:
    config = SimConfig(**{"dev_id": DEV_ID, "api_key": API_KEY, "data_delay_seconds": 0, **overrides})
    app = create_app(config)
    return app.state.sim, httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim.test")


# --- the widget flow into a real FitTrack ------------------------------------------------------------------------

async def test_widget_connect_sends_signed_webhooks_fittrack_accepts(http: httpx.AsyncClient, web_app: FastAPI,
                                                                    consumer: System) -> None:
    """Into FitTrack's webhook route on this test's System, processed by a real consumer of its queue."""
    member_id = make_member()
    sim, terra = sim_and_client(signing_secret=SECRET, fittrack_url="http://test", data_webhook_days=3,
                                webhook_transport=httpx.ASGITransport(web_app))
    async with terra:
        created = await terra.post("/api/v2/auth/generateWidgetSession", headers=CREDS, json={
            "providers": "FITBIT,GARMIN", "reference_id": str(member_id), "language": "en",
            "auth_success_redirect_url": "http://test/connections?connected=1",
            "auth_failure_redirect_url": "http://test/connections?failed=1"})
        assert created.status_code == 200
        session = created.json()
        assert session["status"] == "success" and session["expires_in"] == 900
        assert session["url"] == f"http://sim.test/widget/{session['session_id']}"

        page = await terra.get(session["url"])
        assert page.status_code == 200
        assert 'data-provider="FITBIT"' in page.text.replace("'", '"')
        assert 'data-provider="GARMIN"' in page.text.replace("'", '"')
        first_person = sim.dataset.persons[0]
        assert f"value='{first_person}' selected" in page.text  # default: the first unused dataset person

        done = await terra.post(f"/widget/{session['session_id']}/connect",
                                data={"provider": "FITBIT", "person": first_person})
        assert done.status_code == 303
        location = urlsplit(done.headers["location"])
        query = parse_qs(location.query)
        terra_user_id = query["user_id"][0]
        assert (location.path, query["connected"], query["resource"], query["reference_id"]) == (
            "/connections", ["1"], ["FITBIT"], [str(member_id)])
        assert sim.users[terra_user_id].person == first_person
        await sim.drain()

    assert [w["type"] for w in sim.webhooks] == ["auth", "daily", "daily", "daily"]
    assert all(w["status_code"] == 200 and w["error"] is None for w in sim.webhooks), sim.webhooks
    auth = sim.webhooks[0]["body"]
    assert auth["status"] == "success" and auth["reference_id"] == str(member_id)
    assert auth["widget_session_id"] == session["session_id"]
    assert auth["user"] == {"user_id": terra_user_id, "provider": "FITBIT", "last_webhook_update": None,
                            "scopes": "activity,heartrate,profile", "reference_id": str(member_id), "active": True}
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert [w["body"]["data"][0]["metadata"]["start_time"][:10] for w in sim.webhooks[1:]] == [
        (yesterday - timedelta(days=n)).isoformat() for n in (2, 1, 0)]

    await wait_processed()
    with read_session() as db:
        connection = db.exec(select(TrackerConnection).where(TrackerConnection.user_id == member_id)).one()
        stored = db.exec(select(WebhookDelivery).where(WebhookDelivery.event_type == "auth")).one()
    assert (connection.provider, connection.terra_user_id, connection.status) == ("FITBIT", terra_user_id,
                                                                                 "connected")
    assert stored.status == "processed"

    # Terra's later data for the connected user lands as daily summaries (the connection now exists for sure).
    assert sim.app is not None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sim.app), base_url="http://sim.test") as again:
        sent = await again.post("/_sim/events", json={"user_id": terra_user_id, "type": "daily", "days": 5})
    assert sent.json()["status_code"] == 200
    await wait_processed()
    expected = {yesterday - timedelta(days=n) for n in range(5)}
    with read_session() as db:
        days = {row.summary_date for row in db.exec(select(DailySummary).where(DailySummary.user_id == member_id))}
    assert days == expected


async def test_webhooks_signed_with_another_secret_are_refused(http: httpx.AsyncClient, web_app: FastAPI) -> None:
    sim, terra = sim_and_client(signing_secret="not-the-secret", fittrack_url="http://test",
                                webhook_transport=httpx.ASGITransport(web_app))
    async with terra:
        created = await sim.send_webhook({"type": "auth", "status": "success",
                                          "user": {"user_id": str(uuid.uuid4()), "provider": "FITBIT"}})
    assert created["status_code"] == 401 and "signature" in created["error"]


@settings(max_examples=50, deadline=None)
@given(body=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40), t=st.integers(1, 4_000_000_000))
def test_sim_signature_is_what_fittrack_verifies(body: bytes, secret: str, t: int) -> None:
    """The stand-in's signer (written independently) and FitTrack's verifier agree; another secret fails."""
    assert verify(body, sign(secret, body, t), secret, tolerance=None) == t
    with pytest.raises(SignatureError, match="does not match"):
        verify(body, sign(secret + "x", body, t), secret, tolerance=None)


async def test_cancel_redirects_to_the_failure_url() -> None:
    sim, terra = sim_and_client()
    async with terra:
        created = (await terra.post("/auth/generateWidgetSession", headers=CREDS, json={
            "providers": "OURA", "reference_id": "m-1", "auth_success_redirect_url": "https://ft.test/ok",
            "auth_failure_redirect_url": "https://ft.test/connections?x=1"})).json()
        cancelled = await terra.post(f"/widget/{created['session_id']}/cancel")
        await sim.drain()
        assert cancelled.status_code == 303
        assert cancelled.headers["location"] == "https://ft.test/connections?x=1&reference_id=m-1&reason=cancelled"
        assert [w["type"] for w in sim.webhooks] == ["auth_cancelled"]
        assert sim.webhooks[0]["error"] == "no FitTrack URL configured"  # runs without FitTrack: logged only
        refused = await terra.post(f"/widget/{created['session_id']}/connect", data={"provider": "GARMIN"})
        assert refused.status_code == 400 and "not offered" in refused.text
        unknown = await terra.get(f"/widget/{uuid.uuid4()}")
        assert unknown.status_code == 404


async def test_expired_widget_session_is_gone() -> None:
    sim, terra = sim_and_client(session_ttl_seconds=0)
    async with terra:
        created = (await terra.post("/auth/generateWidgetSession", headers=CREDS, json={"providers": "FITBIT"})).json()
        time.sleep(0.01)
        page = await terra.get(f"/widget/{created['session_id']}")
    assert page.status_code == 410 and "expired" in page.text


async def test_unreachable_fittrack_is_logged_not_raised() -> None:
    sim, terra = sim_and_client(fittrack_url=f"http://127.0.0.1:{free_port()}", webhook_timeout_seconds=2)
    async with terra:
        user = await sim.connect(None, provider="FITBIT", reference_id="m", data_days=0)
    assert sim.users[user.user_id] is user
    assert sim.webhooks[0]["status_code"] is None and "ConnectError" in sim.webhooks[0]["error"]


# --- data from the Fitbit dataset, dates shifted ------------------------------------------------------------------

async def test_daily_serves_the_dataset_shifted_to_end_yesterday(system: System) -> None:
    sim, terra = sim_and_client(today=lambda: TODAY)
    rows = read_daily(system.settings.fitbit_data_dir)
    person = sim.dataset.persons[0]
    by_day = {r.activity_date: r for r in rows if r.id == person}
    assert max(by_day) == date(2016, 5, 12)
    user = sim.create_user(provider="FITBIT", reference_id="m", person=person)
    async with terra:
        answer = await terra.get("/daily", headers=CREDS, params={
            "user_id": user.user_id, "start_date": "2026-02-24", "end_date": "2026-02-28", "to_webhook": "false"})
        assert answer.status_code == 200
        body = answer.json()
        assert (body["status"], body["type"], body["user"]["user_id"]) == ("success", "daily", user.user_id)
        served = [date.fromisoformat(d["metadata"]["start_time"][:10]) for d in body["data"]]
        assert served == [date(2026, 2, 24) + timedelta(days=n) for n in range(5)]
        for item, day in zip(body["data"], served, strict=True):
            row = by_day[day - (TODAY - timedelta(days=1) - date(2016, 5, 12))]
            assert item["metadata"]["start_time"] == local_midnight(day).isoformat()
            assert item["distance_data"]["steps"] == row.total_steps
            assert item["active_durations_data"]["vigorous_intensity_seconds"] == row.very_active_minutes * 60
            assert item["calories_data"]["total_burned_calories"] == row.calories
        # Outside the shifted dataset: nothing; a unix-seconds start_date works like Terra's.
        after = await terra.get("/daily", headers=CREDS, params={
            "user_id": user.user_id, "start_date": "2026-03-01", "end_date": "2026-03-05", "to_webhook": "false"})
        assert after.json()["data"] == []
        unix = int(datetime(2026, 2, 28, tzinfo=UTC).timestamp())
        last = await terra.get("/daily", headers=CREDS, params={
            "user_id": user.user_id, "start_date": str(unix), "to_webhook": "false"})
        assert [d["metadata"]["start_time"][:10] for d in last.json()["data"]] == ["2026-02-28"]


async def test_activity_serves_workouts_from_hourly_steps_within_the_range() -> None:
    sim, terra = sim_and_client(today=lambda: TODAY)
    user = sim.create_user(provider="FITBIT", reference_id="m", person=sim.dataset.persons[0])
    async with terra:
        body = (await terra.get("/activity", headers=CREDS, params={
            "user_id": user.user_id, "start_date": "2026-01-29", "end_date": "2026-02-28",
            "to_webhook": "false"})).json()
    assert body["type"] == "activity" and len(body["data"]) >= 5
    ids = [a["metadata"]["summary_id"] for a in body["data"]]
    assert len(ids) == len(set(ids))
    for workout in body["data"]:
        meta = workout["metadata"]
        start, end = datetime.fromisoformat(meta["start_time"]), datetime.fromisoformat(meta["end_time"])
        assert date(2026, 1, 29) <= start.date() <= date(2026, 2, 28)
        assert timedelta(minutes=1) <= end - start <= timedelta(hours=24)
        assert meta["type"] in (7, 8) and meta["upload_type"] == 1
        assert workout["distance_data"]["summary"]["steps"] >= 3000


async def test_to_webhook_default_sends_the_data_to_fittrack_instead() -> None:
    sim, terra = sim_and_client(today=lambda: TODAY)
    user = sim.create_user(provider="FITBIT", reference_id="m", person=sim.dataset.persons[1])
    async with terra:
        answer = (await terra.get("/daily", headers=CREDS, params={
            "user_id": user.user_id, "start_date": "2026-02-27", "end_date": "2026-02-28"})).json()
        await sim.drain()
    assert answer["status"] == "success" and answer["type"] == "daily" and "data" not in answer
    assert answer["user"] == {"user_id": user.user_id, "provider": "FITBIT"}
    [sent] = sim.webhooks
    assert sent["type"] == "daily" and len(sent["body"]["data"]) == 2


# --- Terra's checks and the test controls ------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "dev-id or x-api-key headers are missing"),
    ({"dev-id": DEV_ID}, "dev-id or x-api-key headers are missing"),
    ({"dev-id": DEV_ID, "x-api-key": "wrong"}, "invalid dev-id or x-api-key"),
    ({"dev-id": "other", "x-api-key": API_KEY}, "invalid dev-id or x-api-key"),
])
async def test_api_requires_terra_credentials(headers: dict[str, str], detail: str) -> None:
    sim, terra = sim_and_client()
    async with terra:
        for method, path in [("POST", "/auth/generateWidgetSession"), ("GET", "/daily?user_id=x&start_date=2026-01-01"),
                             ("GET", "/api/v2/activity"), ("DELETE", "/auth/deauthenticateUser?user_id=x")]:
            answer = await terra.request(method, path, headers=headers, json={} if method == "POST" else None)
            assert answer.status_code == 401, (method, path)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["detail"] == detail and answer.json()["title"] == "unauthorized"
    assert sim.sessions == {}


async def test_bad_parameters_are_refused_like_terra() -> None:
    sim, terra = sim_and_client()
    user = sim.create_user(provider="FITBIT", reference_id=None)
    async with terra:
        cases = {"/daily?start_date=2026-01-01": (400, "user_id is required"),
                 f"/daily?user_id={uuid.uuid4()}&start_date=2026-01-01": (404, "user not found"),
                 f"/daily?user_id={user.user_id}": (400, "start_date is required"),
                 f"/daily?user_id={user.user_id}&start_date=yesterday": (400, "invalid start_date"),
                 f"/activity?user_id={user.user_id}&start_date=2026-01-05&end_date=2026-01-01":
                     (400, "end_date is before start_date")}
        for path, (status, detail) in cases.items():
            answer = await terra.get(path, headers=CREDS)
            assert (answer.status_code, answer.json()["detail"]) == (status, detail), path


async def test_faults_request_log_and_reset() -> None:
    sim, terra = sim_and_client()
    user = sim.create_user(provider="FITBIT", reference_id=None)
    path = f"/daily?user_id={user.user_id}&start_date=2026-01-01&to_webhook=false"
    async with terra:
        queued = await terra.post("/_sim/faults", json={"count": 2, "status": 429, "retry_after": "7"})
        assert queued.json() == {"queued": 2}
        await terra.post("/_sim/faults", json={"count": 1, "status": 500, "path": "/activity"})
        first, second, third = [await terra.get(path, headers=CREDS) for _ in range(3)]
        assert (first.status_code, first.headers["retry-after"]) == (429, "7")
        assert second.status_code == 429 and third.status_code == 200
        assert (await terra.get(path.replace("daily", "activity"), headers=CREDS)).status_code == 500
        log = (await terra.get("/_sim/requests")).json()
        assert [(r["method"], r["path"], r["status"]) for r in log] == [
            ("GET", "/daily", 429), ("GET", "/daily", 429), ("GET", "/daily", 200), ("GET", "/activity", 500)]
        assert log[0]["query"] == {"user_id": user.user_id, "start_date": "2026-01-01", "to_webhook": "false"}
        assert log[0]["headers"]["dev-id"] == DEV_ID and log[0]["headers"]["x-api-key"] == API_KEY
        assert (await terra.post("/_sim/reset")).json() == {"status": "reset"}
        assert (await terra.get("/_sim/requests")).json() == [] and sim.users == {} and sim.faults == []


async def test_sim_events_reauth_and_revocation() -> None:
    sim, terra = sim_and_client()
    async with terra:
        created = (await terra.post("/_sim/users", json={"provider": "GARMIN", "reference_id": "m-9"})).json()
        old = created["user_id"]
        reauth = (await terra.post("/_sim/events", json={"user_id": old, "type": "user_reauth"})).json()
        new = reauth["new_user_id"]
        assert [w["type"] for w in sim.webhooks] == ["user_reauth", "auth"]
        assert sim.webhooks[0]["body"]["old_user"]["user_id"] == old
        assert sim.webhooks[0]["body"]["new_user"]["user_id"] == new
        assert sim.users[new].person == created["person"] and old not in sim.users
        error = (await terra.post("/_sim/events", json={"user_id": new, "type": "connection_error"})).json()
        assert error["type"] == "connection_error" and new in sim.users
        await terra.post("/_sim/events", json={"user_id": new, "type": "access_revoked"})
        assert new not in sim.users
        gone = await terra.post("/_sim/events", json={"user_id": new, "type": "daily"})
        assert gone.status_code == 404


def test_persons_default_to_the_first_unused() -> None:
    sim = create_app(SimConfig()).state.sim
    first, second = (sim.create_user(provider="FITBIT", reference_id=str(n)) for n in range(2))
    assert (first.person, second.person) == tuple(sim.dataset.persons[:2])
    assert sim.create_user(provider="FITBIT", reference_id="x", person=first.person).person == first.person
    assert sim.dataset.summary(first.person).startswith(f"{first.person} — 31 days")
    late = dataclasses.replace(SimConfig(), today=lambda: date(2016, 5, 13))
    assert create_app(late).state.sim.dataset.offset() == timedelta(0)


# --- the command-line server -----------------------------------------------------------------------------------

def test_command_line_server_answers_like_terra(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TERRA_DEV_ID": DEV_ID, "TERRA_API_KEY": API_KEY, "LOG_LEVEL": "WARNING"}
    log = (tmp_path / "sim.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tests.terra_sim", "--port", str(port), "--fittrack-url", ""],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                refused = httpx.get(f"{base}/daily", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "sim.log").read_text()
                time.sleep(0.1)
        assert refused.status_code == 401
        created = httpx.post(f"{base}/api/v2/auth/generateWidgetSession", headers=CREDS,
                             json={"providers": "FITBIT"}, timeout=5).json()
        assert created["url"].startswith(f"{base}/widget/")
        assert "Connect Fitbit" in httpx.get(created["url"], timeout=5).text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    assert "TERRA_BASE_URL=http://127.0.0.1:" in (tmp_path / "sim.log").read_text()
