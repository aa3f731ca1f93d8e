"""Admin moderation API (issue 7 §4, §6, §9): member detail, suspend/ban/reactivate with a required reason (emailed,
audited, sessions ended, tickets kept, sign-in refused), point adjustments (ledger `adjust`, idempotent, audited),
the audit-log listing with filters, and refusals for members and anonymous callers — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from domain.models import (
    AuditLog,
    BrowserSession,
    Drawing,
    OutboxMessage,
    PointTransaction,
    RefreshToken,
    ReviewItem,
    Ticket,
    User,
)
from tests.support import api
from tests.support.accounts import create_account
from tests.support.api import PROBLEM
from tests.support.db import read_session, write_session

PASSWORD = "right-password-123"


def bearer(user_id: uuid.UUID, role: str = "admin") -> dict[str, str]:
    return api.bearer(user_id, role)


def verified(user_id: uuid.UUID) -> None:
    with write_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.email_verified_at = datetime(2026, 1, 1, tzinfo=UTC)
        session.add(user)


def add_drawing_with_tickets(user_id: uuid.UUID, count: int = 3) -> uuid.UUID:
    now = datetime.now(UTC)
    with write_session() as session:
        drawing = Drawing(drawing_type="weekly", name="Weekly Gear Drop", ticket_cost_points=10, status="open",
                          drawing_time=now + timedelta(days=2), sales_close=now + timedelta(days=2, minutes=-5))
        session.add(drawing)
        session.flush()
        for number in range(1, count + 1):
            session.add(Ticket(drawing_id=drawing.id, user_id=user_id, ticket_number=number,
                               is_free_entry=number == count))
        drawing.total_tickets = count
        return drawing.id


def audits(action: str) -> list[AuditLog]:
    with read_session() as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == action)).all())


def login(client: TestClient, email: str) -> int:
    return client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).status_code


def test_suspend_blocks_sign_in_keeps_tickets_and_ends_sessions(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin")
    member = create_account("mia@example.com", display_name="Mia")
    verified(member)
    drawing = add_drawing_with_tickets(member)
    assert login(client, "mia@example.com") == 200  # a refresh family exists now
    with write_session() as session:
        session.add(BrowserSession(token_hash="a" * 64, user_id=member, expires_at=datetime.now(UTC) + timedelta(1)))

    response = client.put(f"/api/v1/admin/users/{member}/status", headers=bearer(admin),
                          json={"status": "suspended", "reason": "Anomalous step counts (case 42)"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["previous_status"], body["changed"]) == ("suspended", "active", True)
    assert body["sessions_ended"] == 1 and body["refresh_tokens_revoked"] == 1

    assert login(client, "mia@example.com") == 401
    refused = client.post("/api/v1/auth/login", json={"email": "mia@example.com", "password": PASSWORD})
    assert "suspended" in refused.json()["detail"]
    assert client.get("/api/v1/users/me", headers=bearer(member, "user")).status_code == 401
    with read_session() as session:
        assert all(row.revoked_at is not None for row in session.exec(
            select(BrowserSession).where(BrowserSession.user_id == member)))
        assert all(row.revoked_at is not None for row in session.exec(
            select(RefreshToken).where(RefreshToken.user_id == member)))
        tickets = session.exec(select(Ticket).where(Ticket.drawing_id == drawing)).all()
        assert len(tickets) == 3 and {t.user_id for t in tickets} == {member}  # still in the drawing
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == "mia@example.com")).all()
        assert [m.template for m in mail] == ["account_suspended"]
        assert "Anomalous" not in mail[0].text_body  # the admin's reason stays internal
    [entry] = audits("user.suspend")
    assert entry.actor_id == admin and entry.target_type == "user" and entry.target_id == str(member)
    assert entry.before_state == {"status": "active"}
    assert entry.after_state is not None and entry.after_state["reason"] == "Anomalous step counts (case 42)"
    assert entry.ip_address  # the test client's address

    detail = client.get(f"/api/v1/admin/users/{member}", headers=bearer(admin)).json()
    assert (detail["status"], detail["tickets"], detail["drawings_entered"]) == ("suspended", 3, 1)

    again = client.put(f"/api/v1/admin/users/{member}/status", headers=bearer(admin),
                       json={"status": "active", "reason": "Data checked: a new tracker"})
    assert again.json()["status"] == "active" and again.json()["changed"] is True
    assert login(client, "mia@example.com") == 200
    assert [a.before_state for a in audits("user.reactivate")] == [{"status": "suspended"}]
    with read_session() as session:
        templates = {m.template for m in session.exec(select(OutboxMessage))}
    assert templates == {"account_suspended", "account_reactivated"}


def test_ban_and_repeated_status(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin")
    member = create_account("sam@example.com")
    first = client.put(f"/api/v1/admin/users/{member}/status", headers=bearer(admin),
                       json={"status": "banned", "reason": "Sold accounts"})
    assert first.status_code == 200 and first.json()["status"] == "banned"
    same = client.put(f"/api/v1/admin/users/{member}/status", headers=bearer(admin),
                      json={"status": "banned", "reason": "Sold accounts again"})
    assert same.status_code == 200 and same.json()["changed"] is False
    assert len(audits("user.ban")) == 1


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"status": "suspended"}, 422, "body.reason"),
    ({"status": "suspended", "reason": "   "}, 400, "reason"),
    ({"status": "suspended", "reason": "x" * 501}, 400, "reason"),
    ({"status": "deleted", "reason": "no"}, 422, "body.status"),
])
def test_status_needs_a_valid_status_and_reason(client: TestClient, body: dict, status: int, field: str) -> None:
    admin = create_account("boss@example.com", role="admin")
    member = create_account("sam@example.com")
    response = client.put(f"/api/v1/admin/users/{member}/status", headers=bearer(admin), json=body)
    assert response.status_code == status and response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem.get("field") == field or field in {e["field"] for e in problem.get("errors", [])}
    with read_session() as session:
        found = session.get(User, member)
        assert found is not None and found.status == "active"
    assert audits("user.suspend") == []


def test_status_refusals(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin")
    own = client.put(f"/api/v1/admin/users/{admin}/status", headers=bearer(admin),
                     json={"status": "suspended", "reason": "testing"})
    assert own.status_code == 409
    unknown = client.put(f"/api/v1/admin/users/{uuid.uuid4()}/status", headers=bearer(admin),
                         json={"status": "suspended", "reason": "testing"})
    assert unknown.status_code == 404
    pending = create_account("new@example.com", status="suspended")  # never verified its email
    back = client.put(f"/api/v1/admin/users/{pending}/status", headers=bearer(admin),
                      json={"status": "active", "reason": "appeal accepted"})
    assert back.status_code == 200 and back.json()["status"] == "pending"  # verification still needed


def test_adjust_points(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin")
    member = create_account("mia@example.com")
    url, headers = f"/api/v1/admin/users/{member}/adjust-points", bearer(admin)
    credit = client.post(url, headers=headers, json={"amount": 250, "reason": "Lost sync on Mar 3",
                                                     "idempotency_key": "ticket-981"})
    assert credit.status_code == 201, credit.text
    assert (credit.json()["balance_before"], credit.json()["balance_after"], credit.json()["replayed"]) == (
        0, 250, False)
    replay = client.post(url, headers=headers, json={"amount": 250, "reason": "Lost sync on Mar 3",
                                                     "idempotency_key": "ticket-981"})
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert replay.json()["transaction_id"] == credit.json()["transaction_id"]
    reused = client.post(url, headers=headers, json={"amount": 300, "reason": "x", "idempotency_key": "ticket-981"})
    assert reused.status_code == 409
    debit = client.post(url, headers=headers, json={"amount": -50, "reason": "Duplicate credit"})
    assert debit.status_code == 201 and debit.json()["balance_after"] == 200
    overdraw = client.post(url, headers=headers, json={"amount": -201, "reason": "Too much"})
    assert overdraw.status_code == 400 and overdraw.json()["code"] == "insufficient-points"
    assert client.post(url, headers=headers, json={"amount": 10}).status_code == 422
    blank = client.post(url, headers=headers, json={"amount": 10, "reason": " "})
    assert blank.status_code == 400 and blank.json()["field"] == "reason"
    zero = client.post(url, headers=headers, json={"amount": 0, "reason": "nothing"})
    assert zero.status_code == 400 and zero.json()["field"] == "amount"

    with read_session() as session:
        entries = session.exec(select(PointTransaction).where(PointTransaction.user_id == member)
                               .order_by(col(PointTransaction.entry_seq))).all()
        user = session.get(User, member)
        assert user is not None and user.point_balance == 200 and user.points_earned == 0
    assert [(e.transaction_type, e.amount) for e in entries] == [("adjust", 250), ("adjust", -50)]
    assert entries[0].description == "Adjustment: Lost sync on Mar 3"
    rows = sorted(audits("user.adjust_points"), key=lambda row: row.created_at)
    assert [(r.before_state, r.after_state["amount"] if r.after_state else None) for r in rows] == [
        ({"balance": 0}, 250), ({"balance": 250}, -50)]

    ledger = client.get(f"/api/v1/admin/users/{member}/ledger?limit=1", headers=headers).json()
    assert ledger["pagination"]["total"] == 2 and ledger["items"][0]["amount"] == -50  # newest first


def test_member_detail_shows_connections_flags_and_tickets(client: TestClient) -> None:
    from tests.support.builders import add_member

    admin = create_account("boss@example.com", role="admin")
    with write_session() as session:
        built = add_member(session, display_name="Runner Rae", provider="GARMIN")
        session.add(ReviewItem(user_id=built.user_id, platform_day=datetime(2026, 3, 1).date(), kind="held_points",
                               amount=400, reason="61,000 steps in a day", evidence={"steps": 61000}))
    add_drawing_with_tickets(built.user_id, count=2)
    detail = client.get(f"/api/v1/admin/users/{built.user_id}", headers=bearer(admin))
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["display_name"] == "Runner Rae" and body["tickets"] == 2
    assert [c["provider"] for c in body["connections"]] == ["GARMIN"]
    assert [(f["kind"], f["amount"]) for f in body["flags"]] == [("review:held_points", 400)]
    tickets = client.get(f"/api/v1/admin/users/{built.user_id}/tickets", headers=bearer(admin)).json()
    assert [(t["drawing_name"], t["tickets"], t["free_entries"], t["first_ticket"], t["last_ticket"])
            for t in tickets["items"]] == [("Weekly Gear Drop", 2, 1, 1, 2)]
    assert client.get(f"/api/v1/admin/users/{uuid.uuid4()}", headers=bearer(admin)).status_code == 404


def test_audit_log_listing_filters_and_pages(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin", display_name="Boss")
    other = create_account("ops@example.com", role="admin")
    member = create_account("mia@example.com")
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with write_session() as session:
        for i, (actor, action) in enumerate([(admin, "user.suspend"), (admin, "user.reactivate"),
                                             (other, "drawing.publish"), (None, "drawing.opened")]):
            session.add(AuditLog(actor_id=actor, action=action, target_type="user" if "user" in action else "drawing",
                                 target_id=str(member), before_state={"i": i}, after_state={"i": i + 1},
                                 ip_address="198.51.100.7", created_at=base + timedelta(hours=i)))
    headers, url = bearer(admin), "/api/v1/admin/audit-logs"
    page = client.get(f"{url}?limit=3", headers=headers).json()
    assert page["pagination"] == {"page": 1, "limit": 3, "total": 4, "pages": 2}
    assert [i["action"] for i in page["items"]] == ["drawing.opened", "drawing.publish", "user.reactivate"]
    assert page["items"][2]["actor_email"] == "boss@example.com"
    assert page["items"][2]["before_state"] == {"i": 1} and page["items"][2]["ip_address"] == "198.51.100.7"

    def actions(query: str) -> list[str]:
        response = client.get(f"{url}?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["action"] for item in response.json()["items"]]

    assert actions("action=user.") == ["user.reactivate", "user.suspend"]
    assert actions("action=user.suspend") == ["user.suspend"]
    assert actions(f"actor_id={other}") == ["drawing.publish"]
    assert actions("system=true") == ["drawing.opened"]
    assert actions("target_type=drawing") == ["drawing.opened", "drawing.publish"]
    assert actions(f"target_id={member}&action=drawing.") == ["drawing.opened", "drawing.publish"]
    assert actions("since=2026-03-01T13:00:00Z&until=2026-03-01T15:00:00Z") == ["drawing.publish",
                                                                                 "user.reactivate"]
    bad = client.get(f"{url}?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", headers=headers)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(PROBLEM)


def test_audit_entries_cannot_be_changed_through_the_api(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin")
    with write_session() as session:
        entry = AuditLog(actor_id=admin, action="user.ban", target_type="user", target_id="x")
        session.add(entry)
        session.flush()
        entry_id = entry.id
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/api/v1/admin/audit-logs", f"/api/v1/admin/audit-logs/{entry_id}"):
            response = client.request(method, path, headers=bearer(admin), json={"action": "nothing"})
            assert response.status_code in (404, 405), (method, path, response.status_code)
    with read_session() as session:
        assert session.get(AuditLog, entry_id) is not None


@pytest.mark.parametrize("role", ["user", "premium"])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/admin/users/{member}"), ("GET", "/api/v1/admin/users/{member}/ledger"),
    ("GET", "/api/v1/admin/users/{member}/tickets"), ("PUT", "/api/v1/admin/users/{member}/status"),
    ("POST", "/api/v1/admin/users/{member}/adjust-points"), ("GET", "/api/v1/admin/audit-logs"),
    ("GET", "/api/v1/admin/export/users.csv"), ("GET", "/api/v1/admin/export/winners.csv"),
])
def test_members_and_anonymous_are_refused(client: TestClient, method: str, path: str, role: str) -> None:
    member = create_account("mia@example.com", role=role)
    body = {"status": "suspended", "amount": 1000, "reason": "self-service"}
    response = client.request(method, path.format(member=member), headers=bearer(member, "admin"), json=body)
    assert response.status_code == 403 and response.headers["content-type"].startswith(PROBLEM)
    assert client.request(method, path.format(member=member), json=body).status_code == 401
    with read_session() as session:
        found = session.get(User, member)
        assert found is not None and found.status == "active" and found.point_balance == 0
        assert session.exec(select(AuditLog)).all() == []
