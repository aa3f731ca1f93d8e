"""`POST /webhooks/terra` end to end: signatures, validation, raw storage, dedup, ordering, processing on a real Huey
consumer of the test's queue, and every official Terra example accepted."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from app.adapters.terra.signature import SignatureError, verify
from app.system import System
from domain.models import DailySummary, PointTransaction, TrackerConnection, WebhookDelivery
from domain.models import User as Member
from tests.support.db import read_session, write_session
from tests.support.terra import EXAMPLES, SHARED, daily_body, post_webhook, signed_headers, wait_processed

VECTORS = SHARED / "data" / "terra" / "real_signed"


def make_member(terra_user_id: str | None = None, *, provider: str = "FITBIT") -> uuid.UUID:
    with write_session() as session:
        member = Member(email=f"{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active")
        session.add(member)
        session.flush()
        if terra_user_id:
            session.add(TrackerConnection(user_id=member.id, provider=provider, terra_user_id=terra_user_id,
                                          is_primary=True, status="connected"))
        return member.id


def count(model: type) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("vector", json.loads((VECTORS / "signature_vectors.json").read_text())["vectors"],
                         ids=lambda v: v["name"][:40])
def test_official_signature_vectors(vector: dict) -> None:
    body = (VECTORS / vector["body_file"]).read_bytes() if "body_file" in vector else vector["body"].encode()
    timestamp = int(vector["header"].split(",")[0].split("=")[1])
    if vector["expected_valid_signature"]:
        assert verify(body, vector["header"], vector["secret"], now=timestamp + 10) == timestamp
    else:
        with pytest.raises(SignatureError):
            verify(body, vector["header"], vector["secret"], now=timestamp + 10)


def test_signature_timestamp_tolerance_both_directions() -> None:
    header = "t=10,v1=ad2da523c6d08e6ba4d8c36d86d5ca1f31f26992aabde11659556ced1d96509b"
    assert verify(b"b", header, "secret", tolerance=300, now=310) == 10
    for now in (311, -291):
        with pytest.raises(SignatureError, match="tolerance"):
            verify(b"b", header, "secret", tolerance=300, now=now)


def test_signature_accepts_any_v1_and_ignores_v0() -> None:
    good = "ad2da523c6d08e6ba4d8c36d86d5ca1f31f26992aabde11659556ced1d96509b"
    assert verify(b"b", f"t=10,v0={good},v1=deadbeef,v1={good}", "secret", tolerance=None) == 10
    with pytest.raises(SignatureError):
        verify(b"b", f"t=10,v0={good}", "secret", tolerance=None)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
async def test_every_official_example_is_accepted(http: httpx.AsyncClient, consumer: System, example: Path) -> None:
    raw = example.read_bytes()
    response = await http.post("/webhooks/terra", content=raw, headers=signed_headers(raw))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"
    await wait_processed()
    with read_session() as session:
        stored = session.exec(select(WebhookDelivery)).one()
    assert stored.body == raw.decode()
    assert stored.event_type == json.loads(raw)["type"]
    assert stored.status in {"processed", "ignored"}


async def test_real_terra_signed_body_with_lowercase_header(http: httpx.AsyncClient, system: System,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    vector = json.loads((VECTORS / "signature_vectors.json").read_text())["vectors"][0]
    raw = (VECTORS / vector["body_file"]).read_bytes()
    monkeypatch.setattr("app.adapters.terra.signature.time.time", lambda: 1669742999 + 5)
    monkeypatch.setattr(system.settings, "terra_signing_secret", vector["secret"])
    response = await http.post("/webhooks/terra", content=raw, headers={"terra-signature": vector["header"]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("header", [None, "", "garbage", "t=abc,v1=00", "v1=00", "t=1700000000"])
async def test_bad_or_missing_signature_is_401_and_leaves_no_trace(http: httpx.AsyncClient, header: str | None) -> None:
    raw = json.dumps(daily_body(str(uuid.uuid4()), date(2016, 4, 12), steps=9000)).encode()
    headers = {"Content-Type": "application/json"} | ({"X-Terra-Signature": header} if header is not None else {})
    response = await http.post("/webhooks/terra", content=raw, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    assert count(WebhookDelivery) == 0


async def test_wrong_secret_is_401_and_changes_no_balance(http: httpx.AsyncClient) -> None:
    terra_id = str(uuid.uuid4())
    make_member(terra_id)
    response = await post_webhook(http, daily_body(terra_id, date(2016, 4, 12), steps=12000),
                                  secret="not-the-secret")
    assert response.status_code == 401
    assert count(WebhookDelivery) == 0
    assert count(PointTransaction) == 0


async def test_stale_timestamp_is_401(http: httpx.AsyncClient) -> None:
    response = await post_webhook(http, daily_body("x", date(2016, 4, 12), steps=1), timestamp=1000)
    assert response.status_code == 401
    assert "tolerance" in response.json()["detail"]


@pytest.mark.parametrize("raw,field", [
    (b"{not json", None),
    (b"[1, 2]", "body"),
    (b'{"type": "daily", "user": {"user_id": "u"}, "data": [{"metadata": {}}]}', "data.0.metadata.start_time"),
    (b'{"type": "daily", "user": {"user_id": "u"}, "data": [{"metadata": {"start_time": "2016-04-12T00:00:00"},'
     b' "distance_data": {"steps": "lots"}}]}', "data.0.distance_data.steps"),
    (b'{"type": "activity", "user": {"user_id": "u"}, "data": "nope"}', "data"),
    (b'{"no_type": true}', "type"),
])
async def test_malformed_or_wrong_shape_is_400_and_nothing_stored(
    http: httpx.AsyncClient, raw: bytes, field: str | None,
) -> None:
    response = await http.post("/webhooks/terra", content=raw, headers=signed_headers(raw))
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in [e["field"] for e in problem["errors"]]
    assert count(WebhookDelivery) == 0


async def test_daily_webhook_credits_points_once_and_duplicates_are_acknowledged(
    http: httpx.AsyncClient, consumer: System,
) -> None:
    terra_id = str(uuid.uuid4())
    member_id = make_member(terra_id)
    body = daily_body(terra_id, date(2016, 4, 12), steps=13162, vigorous_min=25, moderate_min=13, light_min=328)
    first = await post_webhook(http, body, trace_id="trace-1", ordering_ts=1000)
    again = await post_webhook(http, body, trace_id="trace-1", ordering_ts=1000)
    assert first.json()["status"] == "accepted"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    await wait_processed()
    # steps 131 + goal 100 + vigorous 50 + moderate 13 + light 32 + streak 5 = 331 (PRODUCT.md §4)
    with read_session() as session:
        assert session.get(Member, member_id).point_balance == 331
        assert count(WebhookDelivery) == 1
    # the same payload under a new trace id is processed but earns nothing more (idempotent recompute)
    await post_webhook(http, body, trace_id="trace-2", ordering_ts=1000)
    await wait_processed()
    with read_session() as session:
        assert session.get(Member, member_id).point_balance == 331
        assert count(PointTransaction) == 1


async def test_older_payload_does_not_overwrite_newer(http: httpx.AsyncClient, consumer: System) -> None:
    terra_id = str(uuid.uuid4())
    member_id = make_member(terra_id)
    day = date(2016, 4, 13)
    await post_webhook(http, daily_body(terra_id, day, steps=8000), ordering_ts=2000)
    await wait_processed()
    await post_webhook(http, daily_body(terra_id, day, steps=3000), ordering_ts=1000)
    await wait_processed()
    with read_session() as session:
        summary = session.exec(select(DailySummary).where(DailySummary.user_id == member_id)).one()
        assert summary.steps == 8000 and summary.ordering_ts == 2000
        assert session.get(Member, member_id).point_balance == 80 + 5


async def test_unknown_event_is_stored_and_acknowledged(http: httpx.AsyncClient, consumer: System) -> None:
    raw = json.dumps({"type": "hormone", "user": {"user_id": "u1"}, "data": [{"x": 1}]}).encode()
    response = await http.post("/webhooks/terra", content=raw, headers=signed_headers(raw))
    assert response.status_code == 200
    await wait_processed()
    with read_session() as session:
        stored = session.exec(select(WebhookDelivery)).one()
        assert (stored.event_type, stored.status) == ("hormone", "ignored")


async def test_connection_lifecycle_auth_reauth_error_deauth(http: httpx.AsyncClient, consumer: System) -> None:
    member_id = make_member()
    old_id, new_id = str(uuid.uuid4()), str(uuid.uuid4())
    auth = {"type": "auth", "status": "success", "reference_id": str(member_id),
            "user": {"user_id": old_id, "provider": "GARMIN", "reference_id": str(member_id), "scopes": "ACTIVITY"}}
    await post_webhook(http, auth)
    await wait_processed()
    with read_session() as session:
        conn = session.exec(select(TrackerConnection)).one()
        assert (conn.user_id, conn.terra_user_id, conn.status, conn.is_primary) == (
            member_id, old_id, "connected", True
        )

    reauth = json.loads((EXAMPLES / "user_reauth.json").read_text())
    reauth["old_user"]["user_id"], reauth["new_user"]["user_id"] = old_id, new_id
    await post_webhook(http, reauth)
    await wait_processed()
    await post_webhook(http, daily_body(new_id, date(2016, 4, 12), steps=6000))
    await wait_processed()
    with read_session() as session:
        assert session.exec(select(TrackerConnection)).one().terra_user_id == new_id
        assert session.get(Member, member_id).point_balance == 60 + 5

    error = json.loads((EXAMPLES / "connection_error.json").read_text())
    error["user"]["user_id"] = new_id
    await post_webhook(http, error)
    await wait_processed()
    with read_session() as session:
        conn = session.exec(select(TrackerConnection)).one()
        assert conn.status == "error" and conn.status_message is not None and "reauthenticate" in conn.status_message

    deauth = json.loads((EXAMPLES / "deauth.json").read_text())
    deauth["user"]["user_id"] = new_id
    await post_webhook(http, deauth)
    await wait_processed()
    await post_webhook(http, daily_body(new_id, date(2016, 4, 13), steps=20000))
    await wait_processed()
    with read_session() as session:
        assert session.exec(select(TrackerConnection)).one().status == "revoked"
        assert session.get(Member, member_id).point_balance == 65  # data after deauth earns nothing


async def test_auth_never_moves_a_tracker_between_members_and_keeps_one_primary(
    http: httpx.AsyncClient, consumer: System,
) -> None:
    owner_terra = str(uuid.uuid4())
    owner = make_member(owner_terra)  # FITBIT, primary
    other = make_member()

    def auth(member_id: uuid.UUID, terra_id: str, provider: str) -> dict:
        return {"type": "auth", "status": "success", "reference_id": str(member_id),
                "user": {"user_id": terra_id, "provider": provider, "reference_id": str(member_id)}}

    await post_webhook(http, auth(other, owner_terra, "FITBIT"))  # someone else's Terra user
    await post_webhook(http, auth(owner, str(uuid.uuid4()), "GARMIN"))  # a second tracker
    await wait_processed()
    with read_session() as session:
        rows = session.exec(select(TrackerConnection).order_by(TrackerConnection.provider)).all()
        assert [(r.user_id, r.provider, r.is_primary) for r in rows] == [(owner, "FITBIT", True),
                                                                        (owner, "GARMIN", False)]
        refused = session.exec(select(WebhookDelivery).where(WebhookDelivery.status == "ignored")).one()
        assert refused.error is not None and "already connected to another account" in refused.error
