"""Admin drawings, prizes and sponsors through the JSON API (issue 7 §1, §2, §9; Checkpoint 7 "Create a drawing":
created as draft, publishable to scheduled), on SQLite and PostgreSQL: every endpoint refuses non-admins, every
action leaves an audit entry, frozen drawings refuse edits, "execute now" only after sales close."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import col, select

from app.system import System
from domain.models import AuditLog, Drawing, User
from tests.support.api import PROBLEM, bearer
from tests.support.db import read_session, write_session


def account(role: str = "user") -> uuid.UUID:
    with write_session() as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="x", role=role, status="active")
        session.add(user)
        session.flush()
        return user.id


def auth(user_id: uuid.UUID, role: str = "admin") -> dict[str, str]:
    return bearer(user_id, role)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def draft_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {"drawing_type": "weekly", "name": "Weekly Sweat Sweepstakes", "ticket_cost_points": 50,
            "open_time": iso(now + timedelta(hours=1)), "drawing_time": iso(now + timedelta(days=7)),
            "description": "Two prizes this week.",
            "eligibility": {"tiers": [], "roles": ["user", "premium"], "min_account_age_days": 7},
            "rules_text": "# Official rules\n\nNO PURCHASE NECESSARY."}
    body.update(overrides)
    return body


def actions(target_id: str) -> list[str]:
    with read_session() as session:
        rows = session.exec(select(AuditLog).where(col(AuditLog.target_id) == target_id)
                            .order_by(col(AuditLog.created_at))).all()
        return [row.action for row in rows]


def png_bytes(size: tuple[int, int] = (1600, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (15, 118, 110)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def media(db_system: System) -> Path:
    """The test System's own media folder (`MEDIA_DIR`, under the test's temporary folder)."""
    return Path(db_system.settings.media_dir)


def test_create_edit_prizes_publish_flow_is_audited(client: TestClient) -> None:
    admin = account("admin")
    headers = auth(admin)
    sponsor = client.post("/api/v1/admin/sponsors", json={"name": "Stride Athletic Co.",
                                                           "website_url": "https://stride.example"}, headers=headers)
    assert sponsor.status_code == 201, sponsor.text
    sponsor_id = sponsor.json()["id"]

    created = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers)
    assert created.status_code == 201, created.text
    drawing = created.json()
    assert drawing["status"] == "draft" and drawing["rules_version"] == 1 and drawing["prizes"] == []
    assert drawing["eligibility"] == {"tiers": [], "roles": ["premium", "user"], "min_account_age_days": 7}
    drawing_time = datetime.fromisoformat(drawing["drawing_time"])
    assert datetime.fromisoformat(drawing["sales_close"]) == drawing_time - timedelta(minutes=5)
    did = drawing["id"]

    # not ready yet: no prize
    refused = client.post(f"/api/v1/admin/drawings/{did}/publish", headers=headers)
    assert refused.status_code == 400 and refused.headers["content-type"] == PROBLEM
    assert "prize" in refused.json()["detail"]

    first = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers, json={
        "name": "Wireless earbuds", "value_usd": 149.99, "prize_rank": 1, "sponsor_id": sponsor_id})
    assert first.status_code == 201, first.text
    assert first.json()["sponsor_name"] == "Stride Athletic Co."
    second = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers, json={
        "name": "$20 store credit", "value_usd": 20, "prize_rank": 2, "quantity": 3, "fulfillment_type": "digital"})
    assert second.status_code == 201
    same_rank = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                            json={"name": "Dup", "value_usd": 5, "prize_rank": 2})
    assert same_rank.status_code == 409
    edited = client.put(f"/api/v1/admin/drawings/{did}/prizes/{second.json()['id']}", headers=headers, json={
        "name": "$25 store credit", "value_usd": 25, "prize_rank": 2, "quantity": 3, "fulfillment_type": "digital"})
    assert edited.status_code == 200 and edited.json()["value_usd"] == 25

    new_rules = draft_body(rules_text="# Official rules v2\n\nNO PURCHASE NECESSARY. One prize per member.")
    updated = client.put(f"/api/v1/admin/drawings/{did}", json=new_rules, headers=headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["rules_version"] == 2
    assert updated.json()["prize_units"] == 4 and updated.json()["prize_value_usd"] == pytest.approx(224.99)

    published = client.post(f"/api/v1/admin/drawings/{did}/publish", headers=headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "scheduled"
    again = client.post(f"/api/v1/admin/drawings/{did}/publish", headers=headers)
    assert again.status_code == 409

    listed = client.get("/api/v1/admin/drawings?status=scheduled", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [did]
    assert listed["pagination"]["total"] == 1

    audit = client.get(f"/api/v1/admin/drawings/{did}/audit", headers=headers).json()
    assert [entry["action"] for entry in reversed(audit)] == [
        "drawing.create", "prize.create", "prize.create", "prize.update", "drawing.update", "drawing.published"]
    assert all(entry["actor_id"] == str(admin) and entry["ip_address"] for entry in audit)
    sponsor_detail = client.get(f"/api/v1/admin/sponsors/{sponsor_id}", headers=headers).json()
    assert sponsor_detail["prize_count"] == 1 and sponsor_detail["total_value_usd"] == pytest.approx(149.99)
    assert sponsor_detail["prizes"][0]["drawing_name"] == "Weekly Sweat Sweepstakes"


def test_validation_errors_are_problems(client: TestClient) -> None:
    headers = auth(account("admin"))
    past = client.post("/api/v1/admin/drawings", headers=headers,
                       json=draft_body(drawing_time=iso(datetime.now(UTC) - timedelta(hours=1))))
    assert past.status_code == 400 and past.json()["field"] == "drawing_time"
    naive = client.post("/api/v1/admin/drawings", headers=headers, json=draft_body(drawing_time="2031-01-01T10:00:00"))
    assert naive.status_code == 400
    bad_tier = client.post("/api/v1/admin/drawings", headers=headers,
                           json=draft_body(eligibility={"tiers": ["X-99-ZZZ"]}))
    assert bad_tier.status_code == 400 and "X-99-ZZZ" in bad_tier.json()["detail"]
    cost = client.post("/api/v1/admin/drawings", headers=headers, json=draft_body(ticket_cost_points=0))
    assert cost.status_code == 422
    bad_email = client.post("/api/v1/admin/sponsors", headers=headers, json={"name": "X", "contact_email": "nope"})
    assert bad_email.status_code == 400 and bad_email.json()["field"] == "contact_email"


def test_non_admins_are_refused_everywhere(client: TestClient) -> None:
    admin_headers = auth(account("admin"))
    did = client.post("/api/v1/admin/drawings", json=draft_body(), headers=admin_headers).json()["id"]
    sid = client.post("/api/v1/admin/sponsors", json={"name": "Acme"}, headers=admin_headers).json()["id"]
    member = auth(account("premium"), "premium")
    fake = uuid.uuid4()
    calls = [
        ("get", "/api/v1/admin/drawings"), ("post", "/api/v1/admin/drawings"), ("get", f"/api/v1/admin/drawings/{did}"),
        ("put", f"/api/v1/admin/drawings/{did}"), ("delete", f"/api/v1/admin/drawings/{did}"),
        ("post", f"/api/v1/admin/drawings/{did}/publish"), ("post", f"/api/v1/admin/drawings/{did}/cancel"),
        ("post", f"/api/v1/admin/drawings/{did}/execute"), ("get", f"/api/v1/admin/drawings/{did}/audit"),
        ("post", f"/api/v1/admin/drawings/{did}/prizes"), ("put", f"/api/v1/admin/drawings/{did}/prizes/{fake}"),
        ("delete", f"/api/v1/admin/drawings/{did}/prizes/{fake}"),
        ("post", f"/api/v1/admin/drawings/{did}/prizes/{fake}/image"),
        ("delete", f"/api/v1/admin/drawings/{did}/prizes/{fake}/image"),
        ("get", "/api/v1/admin/sponsors"), ("post", "/api/v1/admin/sponsors"), ("get", f"/api/v1/admin/sponsors/{sid}"),
        ("put", f"/api/v1/admin/sponsors/{sid}"), ("post", f"/api/v1/admin/sponsors/{sid}/deactivate"),
        ("post", f"/api/v1/admin/sponsors/{sid}/activate"), ("post", f"/api/v1/admin/sponsors/{sid}/logo"),
        ("delete", f"/api/v1/admin/sponsors/{sid}/logo"),
    ]
    for method, path in calls:
        upload = path.endswith(("image", "logo"))
        json_body: dict[str, Any] | None = {} if method in ("post", "put") and not upload else None
        kwargs: dict[str, Any] = {"json": json_body} if json_body is not None else {}
        if path.endswith(("image", "logo")) and method == "post":
            kwargs = {"files": {"file": ("a.png", png_bytes((10, 10)), "image/png")}}
        member_call = getattr(client, method)(path, headers=member, **kwargs)
        assert member_call.status_code in (403, 422), (method, path, member_call.status_code)
        anonymous = getattr(client, method)(path, **kwargs)
        assert anonymous.status_code in (401, 422), (method, path, anonymous.status_code)
    # with valid bodies the member is refused with 403 (not a validation error)
    assert client.post("/api/v1/admin/drawings", json=draft_body(), headers=member).status_code == 403
    assert client.post("/api/v1/admin/sponsors", json={"name": "Other"}, headers=member).status_code == 403
    assert actions(did) == ["drawing.create"]


def test_delete_draft_and_cancel_published(client: TestClient) -> None:
    headers = auth(account("admin"))
    draft = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers).json()["id"]
    client.post(f"/api/v1/admin/drawings/{draft}/prizes", headers=headers, json={"name": "Mug", "value_usd": 12})
    assert client.delete(f"/api/v1/admin/drawings/{draft}", headers=headers).status_code == 204
    gone = client.get(f"/api/v1/admin/drawings/{draft}", headers=headers)
    assert gone.status_code == 404 and gone.json()["detail"] == f"drawing {draft} does not exist"
    assert actions(draft) == ["drawing.create", "prize.create", "drawing.delete"]

    other = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers).json()["id"]
    client.post(f"/api/v1/admin/drawings/{other}/prizes", headers=headers, json={"name": "Mug", "value_usd": 12})
    assert client.post(f"/api/v1/admin/drawings/{other}/publish", headers=headers).status_code == 200
    no_reason = client.delete(f"/api/v1/admin/drawings/{other}", headers=headers)
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    cancelled = client.post(f"/api/v1/admin/drawings/{other}/cancel", headers=headers,
                            json={"reason": "Sponsor withdrew"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/admin/drawings/{other}/cancel", headers=headers,
                       json={"reason": "again"}).status_code == 409
    assert actions(other)[-1] == "drawing.cancelled"


def test_frozen_drawing_refuses_edits_and_execute_waits_for_sales_close(client: TestClient,
                                                                        db_system: System) -> None:
    admin = account("admin")
    headers = auth(admin)
    did = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers).json()["id"]
    prize = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                        json={"name": "Mug", "value_usd": 12}).json()["id"]
    assert client.post(f"/api/v1/admin/drawings/{did}/execute", headers=headers).status_code == 409
    assert db_system.jobs.pending_count() == 0  # refused: nothing enqueued
    now = datetime.now(UTC)
    with write_session() as session:  # as if the scheduler had opened it and sales were running
        row = session.get(Drawing, uuid.UUID(did))
        assert row is not None
        row.status, row.sales_close = "open", now + timedelta(hours=1)
        session.add(row)
    assert client.put(f"/api/v1/admin/drawings/{did}", json=draft_body(), headers=headers).status_code == 409
    assert client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                       json={"name": "Cap", "value_usd": 5, "prize_rank": 2}).status_code == 409
    assert client.delete(f"/api/v1/admin/drawings/{did}/prizes/{prize}", headers=headers).status_code == 409
    still_open = client.post(f"/api/v1/admin/drawings/{did}/execute", headers=headers)
    assert still_open.status_code == 409 and "still open" in still_open.json()["detail"]
    with write_session() as session:
        row = session.get(Drawing, uuid.UUID(did))
        assert row is not None
        row.status, row.sales_close = "closed", now - timedelta(minutes=1)
        session.add(row)
    queued = client.post(f"/api/v1/admin/drawings/{did}/execute", headers=headers)
    assert queued.status_code == 202 and queued.json() == {"drawing_id": did, "status": "queued"}
    assert [(task.name, task.args) for task in db_system.jobs.huey.pending()] == [("execute_drawing", (did,))]
    assert actions(did)[-1] == "drawing.execute_requested"


def test_sponsor_lifecycle_and_totals(client: TestClient) -> None:
    admin = account("admin")
    headers = auth(admin)
    sid = client.post("/api/v1/admin/sponsors", headers=headers, json={
        "name": "PeakFuel Nutrition", "contact_name": "Dana", "contact_email": "Dana@PeakFuel.example",
        "notes": "Prefers digital vouchers"}).json()["id"]
    duplicate = client.post("/api/v1/admin/sponsors", headers=headers, json={"name": "peakfuel nutrition"})
    assert duplicate.status_code == 409
    put = client.put(f"/api/v1/admin/sponsors/{sid}", headers=headers, json={
        "name": "PeakFuel Nutrition", "contact_name": "Dana Ruiz", "contact_email": "dana@peakfuel.example",
        "notes": "Prefers digital vouchers"})
    assert put.status_code == 200 and put.json()["contact_name"] == "Dana Ruiz"
    did = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers).json()["id"]
    client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                json={"name": "Voucher", "value_usd": 50, "quantity": 2, "sponsor_id": sid})
    listed = client.get("/api/v1/admin/sponsors", headers=headers).json()["items"]
    assert listed[0]["prize_count"] == 1 and listed[0]["total_value_usd"] == 100

    off = client.post(f"/api/v1/admin/sponsors/{sid}/deactivate", headers=headers)
    assert off.status_code == 200 and off.json()["status"] == "inactive"
    refused = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                          json={"name": "More", "value_usd": 5, "prize_rank": 2, "sponsor_id": sid})
    assert refused.status_code == 409 and "inactive" in refused.json()["detail"]
    assert client.get("/api/v1/admin/sponsors?status=inactive", headers=headers).json()["pagination"]["total"] == 1
    assert client.post(f"/api/v1/admin/sponsors/{sid}/activate", headers=headers).json()["status"] == "active"
    assert actions(sid) == ["sponsor.create", "sponsor.update", "sponsor.deactivate", "sponsor.activate"]
    with read_session() as session:
        update = session.exec(select(AuditLog).where(AuditLog.action == "sponsor.update")).one()
        assert update.before_state == {"contact_name": "Dana"}
        assert update.after_state == {"contact_name": "Dana Ruiz"}


def test_prize_image_upload_resizes_and_serves(client: TestClient, media: Path) -> None:
    headers = auth(account("admin"))
    did = client.post("/api/v1/admin/drawings", json=draft_body(), headers=headers).json()["id"]
    pid = client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                      json={"name": "Treadmill", "value_usd": 1500}).json()["id"]
    not_image = client.post(f"/api/v1/admin/drawings/{did}/prizes/{pid}/image", headers=headers,
                            files={"file": ("x.png", b"<svg onload=alert(1)>", "image/png")})
    assert not_image.status_code == 400 and not_image.headers["content-type"] == PROBLEM
    uploaded = client.post(f"/api/v1/admin/drawings/{did}/prizes/{pid}/image", headers=headers,
                           files={"file": ("treadmill.png", png_bytes(), "image/png")})
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert body["image_url"].startswith("/static/media/prizes/") and body["thumbnail_url"].endswith(".thumb.webp")
    picture = client.get(body["image_url"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(picture.content)).size == (800, 450)
    assert Image.open(io.BytesIO(client.get(body["thumbnail_url"]).content)).size == (240, 135)
    replaced = client.post(f"/api/v1/admin/drawings/{did}/prizes/{pid}/image", headers=headers,
                           files={"file": ("t2.png", png_bytes((300, 300)), "image/png")}).json()
    assert client.get(body["image_url"]).status_code == 404  # the old file is gone
    assert client.get(replaced["image_url"]).status_code == 200
    removed = client.delete(f"/api/v1/admin/drawings/{did}/prizes/{pid}/image", headers=headers)
    assert removed.status_code == 200 and removed.json()["image_url"] is None
    assert not any(media.glob("prizes/*.webp"))
    assert client.get("/static/media/prizes/../../app.db").status_code == 404


def test_execute_now_runs_the_real_draw_task(client: TestClient, db_system: System) -> None:
    """End to end with the real Huey task (immediate mode): two prizes, three free entries, "execute now" after
    sales close → completed, two different winners, a fulfillment per win, `drawing.executed` audited."""
    from domain.models import PrizeFulfillment
    from domain.sweepstakes import drawings, tickets
    from tests.support.builders import add_member

    headers = auth(account("admin"))
    did = client.post("/api/v1/admin/drawings", json=draft_body(open_time=None, eligibility=None),
                      headers=headers).json()["id"]
    for rank, name in ((1, "Smart bike"), (2, "Water bottle")):
        client.post(f"/api/v1/admin/drawings/{did}/prizes", headers=headers,
                    json={"name": name, "value_usd": 100 * (3 - rank), "prize_rank": rank})
    assert client.post(f"/api/v1/admin/drawings/{did}/publish", headers=headers).status_code == 200
    drawing_id = uuid.UUID(did)
    with write_session() as session:
        drawings.open_drawing(session, drawing_id)
        members = [add_member(session, state_code="TX", connect=False).user_id for _ in range(3)]
    for user_id in members:
        with write_session() as session:
            tickets.claim_free_entry(session, user_id=user_id, drawing_id=drawing_id)
    with write_session() as session:
        row = session.get(Drawing, drawing_id)
        assert row is not None
        row.sales_close = datetime.now(UTC) - timedelta(seconds=1)  # sales just closed; the scheduler has not run
        session.add(row)
    huey = db_system.jobs.huey  # this test System's own queue
    huey.immediate = True
    try:
        queued = client.post(f"/api/v1/admin/drawings/{did}/execute", headers=headers)
    finally:
        huey.immediate = False
    assert queued.status_code == 202, queued.text
    detail = client.get(f"/api/v1/admin/drawings/{did}", headers=headers).json()
    assert detail["status"] == "completed" and detail["ticket_list_hash"]
    with read_session() as session:
        wins = session.exec(select(PrizeFulfillment)).all()
        assert len(wins) == 2 and len({w.user_id for w in wins}) == 2
        assert {w.user_id for w in wins} <= set(members)
    assert actions(did)[-3:] == ["drawing.execute_requested", "drawing.closed", "drawing.executed"]
    again = client.post(f"/api/v1/admin/drawings/{did}/execute", headers=headers)
    assert again.status_code == 409 and "already been drawn" in again.json()["detail"]
