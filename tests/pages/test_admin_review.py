"""Review queue evidence and API (issue 7 §5, PRODUCT.md §4 and §7): the payloads behind a flag — the stored daily
summary, the Terra webhook delivery body as received and the day's workouts — on SQLite and PostgreSQL; the admin
API (`GET /api/v1/admin/review`, `GET …/{id}`, `POST …/{id}/approve|reject|acknowledge`) with audit entries and
refusals; and the page's evidence panel."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.system import System
from domain.models import AuditLog, ReviewItem, User, WebhookDelivery
from domain.points import review
from domain.shared.calendar import PLATFORM_TZ
from domain.shared.errors import NotFound
from domain.tracking.ingest import apply_event, process_delivery
from tests.support.builders import activity_payload, daily_payload, make_member
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in
from tests.support.system import current

DAY = date(2026, 3, 4)
PROBLEM = "application/problem+json"


def deliver(system: System | None, terra_user_id: str, *, steps: int, ordering_ts: int = 1,
            moderate_seconds: int = 0) -> uuid.UUID:
    """Store a Terra daily body as a webhook delivery and process it like the webhook task does."""
    body = json.dumps(daily_payload(terra_user_id, DAY, steps=steps, moderate_seconds=moderate_seconds))
    with write_session(system) as session:
        delivery = WebhookDelivery(event_type="daily", terra_user_id=terra_user_id, body=body,
                                   ordering_ts=ordering_ts, trace_id=str(uuid.uuid4()))
        session.add(delivery)
        session.flush()
        process_delivery(session, delivery.id)
        return delivery.id


def workout(system: System | None, terra_user_id: str) -> None:
    start = datetime(DAY.year, DAY.month, DAY.day, 7, 30, tzinfo=PLATFORM_TZ)
    with write_session(system) as session:
        apply_event(session, activity_payload(terra_user_id, start, steps=9_000, name="Tempo Run",
                                              summary_id="run-1"), ordering_ts=5)


def held_item(system: System | None) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(member id, review item id, delivery id) of an implausible day held for review."""
    built = make_member(system, display_name="Speedy Walker")
    assert built.terra_user_id is not None
    delivery_id = deliver(system, built.terra_user_id, steps=72_000, moderate_seconds=3600)
    workout(system, built.terra_user_id)  # after the day is held: its bonus joins the hold
    with read_session(system) as session:
        items, total = review.list_review_items(session)
    assert total == 1 and items[0].kind == "held_points"
    return built.user_id, items[0].id, delivery_id


def test_evidence_shows_the_payloads_behind_a_held_day(db_system: System) -> None:
    user_id, item_id, delivery_id = held_item(db_system)
    with read_session(db_system) as session:
        found = review.review_evidence(session, item_id)
    assert found.member_name == "Speedy Walker" and found.member_email.endswith("@test.fittrack.test")
    kinds = [payload.kind for payload in found.payloads]
    assert kinds == ["daily_summary", "webhook_delivery", "activity"]
    summary, delivery, activity = found.payloads
    assert summary.fields["steps"] == 72_000 and summary.body["distance_data"]["steps"] == 72_000
    assert delivery.id == str(delivery_id) and delivery.fields["status"] == "processed"
    assert delivery.body["type"] == "daily" and delivery.body["data"][0]["distance_data"]["steps"] == 72_000
    assert activity.title == "Workout Tempo Run" and activity.fields["steps"] == 9_000
    assert found.item.evidence is not None and found.item.evidence["delivery_id"] == str(delivery_id)
    with read_session(db_system) as session, pytest.raises(NotFound):
        review.review_evidence(session, uuid.uuid4())
    assert user_id == found.item.user_id


def test_evidence_without_payloads_and_with_a_raw_body(db_system: System) -> None:
    with write_session(db_system) as session:
        user = User(email="flagged@example.test", password_hash="x", status="active")
        session.add(user)
        session.flush()
        delivery = WebhookDelivery(event_type="daily", body="not json at all", status="failed")
        session.add(delivery)
        session.flush()
        item = ReviewItem(user_id=user.id, platform_day=DAY, kind="plausibility", reason="odd",
                          evidence={"summary_id": str(uuid.uuid4()), "delivery_id": str(delivery.id)})
        bare = ReviewItem(user_id=user.id, platform_day=DAY, kind="lowered_total", reason="lower",
                          evidence={"summary_id": "garbage"})
        session.add_all([item, bare])
        session.flush()
        ids = item.id, bare.id
    with read_session(db_system) as session:
        raw = review.review_evidence(session, ids[0])
        empty = review.review_evidence(session, ids[1])
    assert [p.kind for p in raw.payloads] == ["webhook_delivery"] and raw.payloads[0].body == "not json at all"
    assert empty.payloads == [] and empty.member_name == "flagged@example.test"


# --- API ------------------------------------------------------------------------------------------------------

def bearer(user_id: uuid.UUID, role: str) -> dict[str, str]:
    token, _ = current().tokens.issue(user_id, role)
    return {"Authorization": f"Bearer {token}"}


def admin_account() -> uuid.UUID:
    with write_session() as session:
        admin = User(email=f"admin-{uuid.uuid4().hex[:6]}@example.com", password_hash="x", role="admin",
                     status="active")
        session.add(admin)
        session.flush()
        return admin.id


def audit_actions(target: uuid.UUID) -> list[tuple[str, uuid.UUID | None]]:
    with read_session() as session:
        rows = session.exec(select(AuditLog).where(AuditLog.target_id == str(target))).all()
        return [(row.action, row.actor_id) for row in rows]


async def test_review_api_lists_shows_and_decides(user: SimUser) -> None:
    user_id, item_id, delivery_id = held_item(None)
    admin = admin_account()
    headers = bearer(admin, "admin")
    listed = await user.http_client.get("/api/v1/admin/review", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["pagination"]["total"] == 1
    item = body["items"][0]
    assert (item["id"], item["kind"], item["status"], item["member_name"]) == (str(item_id), "held_points",
                                                                               "pending", "Speedy Walker")
    assert item["amount"] > 0 and item["evidence"]["steps"] == 72_000
    assert (await user.http_client.get("/api/v1/admin/review?kind=plausibility", headers=headers)).json()[
        "pagination"]["total"] == 0

    detail = await user.http_client.get(f"/api/v1/admin/review/{item_id}", headers=headers)
    assert detail.status_code == 200
    payloads = {p["kind"]: p for p in detail.json()["payloads"]}
    assert payloads["webhook_delivery"]["id"] == str(delivery_id)
    assert payloads["webhook_delivery"]["body"]["data"][0]["distance_data"]["steps"] == 72_000

    wrong = await user.http_client.post(f"/api/v1/admin/review/{item_id}/acknowledge", headers=headers)
    assert wrong.status_code == 409 and wrong.headers["content-type"].startswith(PROBLEM)
    approved = await user.http_client.post(f"/api/v1/admin/review/{item_id}/approve", headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    with read_session() as session:
        credited = session.get(User, user_id)
        assert credited is not None and credited.point_balance == item["amount"]
    again = await user.http_client.post(f"/api/v1/admin/review/{item_id}/reject", headers=headers)
    assert again.status_code == 409
    assert audit_actions(item_id) == [("review.approved", admin)]
    everything = await user.http_client.get("/api/v1/admin/review?all=true", headers=headers)
    assert [i["status"] for i in everything.json()["items"]] == ["approved"]
    missing = await user.http_client.post(f"/api/v1/admin/review/{uuid.uuid4()}/approve", headers=headers)
    assert missing.status_code == 404
    assert (await user.http_client.get(f"/api/v1/admin/review/{uuid.uuid4()}", headers=headers)).status_code == 404


async def test_review_api_reject_and_acknowledge(user: SimUser) -> None:
    user_id, item_id, _ = held_item(None)
    admin = admin_account()
    headers = bearer(admin, "admin")
    rejected = await user.http_client.post(f"/api/v1/admin/review/{item_id}/reject", headers=headers)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    with write_session() as session:
        flag = ReviewItem(user_id=user_id, platform_day=DAY - timedelta(days=1), kind="lowered_total",
                          reason="Latest data deserves less")
        session.add(flag)
        session.flush()
        flag_id = flag.id
    closed = await user.http_client.post(f"/api/v1/admin/review/{flag_id}/acknowledge", headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "acknowledged"
    assert audit_actions(item_id) == [("review.rejected", admin)]
    assert audit_actions(flag_id) == [("review.acknowledged", admin)]
    with read_session() as session:
        rejected_member = session.get(User, user_id)
        assert rejected_member is not None and rejected_member.point_balance == 0


@pytest.mark.parametrize("role", ["user", "premium"])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/admin/review"), ("GET", "/api/v1/admin/review/{item}"),
    ("POST", "/api/v1/admin/review/{item}/approve"), ("POST", "/api/v1/admin/review/{item}/reject"),
    ("POST", "/api/v1/admin/review/{item}/acknowledge"),
])
async def test_review_api_refuses_members(user: SimUser, role: str, method: str, path: str) -> None:
    _, item_id, _ = held_item(None)
    with write_session() as session:
        plain = User(email="plain@example.com", password_hash="x", role=role, status="active")
        session.add(plain)
        session.flush()
        plain_id = plain.id
    url = path.format(item=item_id)
    refused = await user.http_client.request(method, url, headers=bearer(plain_id, "admin"))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(PROBLEM)
    assert (await user.http_client.request(method, url)).status_code == 401
    with read_session() as session:
        still = session.get(ReviewItem, item_id)
        assert still is not None and still.status == "pending"


# --- page -----------------------------------------------------------------------------------------------------

async def test_review_page_shows_the_payloads(user: SimUser) -> None:
    admin = member(role="admin", display_name="Reviewer", connect=False)
    _, item_id, delivery_id = held_item(None)
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/review")
    await user.should_see("Speedy Walker", retries=300)
    await user.should_see("72,000 steps")  # the figures as chips, before opening anything
    expansion = next(iter(user.find(marker="evidence").elements))
    with user.client:  # type: ignore[union-attr]
        expansion.value = True  # type: ignore[attr-defined]  # opening it loads the payloads
    await user.should_see(marker="payload-webhook_delivery", retries=300)
    await user.should_see("Terra daily webhook")
    await user.should_see("Workout Tempo Run")
    await user.should_see("Daily summary 2026-03-04")
    bodies = " ".join(code.content for code in user.find(kind=ui.code).elements)  # type: ignore[attr-defined]
    assert '"steps": 72000' in bodies and '"type": "daily"' in bodies  # the webhook body as received
    assert f'"delivery_id": "{delivery_id}"' in bodies  # the figures name it
    with read_session() as session:
        assert session.get(ReviewItem, item_id).status == "pending"  # type: ignore[union-attr]  # looking is free
