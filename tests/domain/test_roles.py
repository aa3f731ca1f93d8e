"""Roles (issue 4 §8, PRODUCT.md §7): admins grant/revoke premium and admin with a reason, every change is audited,
the last active admin cannot be demoted (also when two admins demote each other at once), and the admin lists of
the outbox and of profile change requests (issue 4 §2, §5) are admin-only and paginated."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.system import System
from domain.accounts import roles
from domain.models import AuditLog, OutboxMessage, Profile, ProfileChangeRequest, User
from domain.shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from tests.support.accounts import create_account
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in
from tests.support.system import current

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
PROBLEM = "application/problem+json"


def clock() -> datetime:
    return NOW


def account(db_system: System | None, role: str = "user", status: str = "active") -> uuid.UUID:
    with write_session(db_system) as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="x", role=role, status=status)
        session.add(user)
        session.flush()
        return user.id


def change(db_system: System, user_id: uuid.UUID, role: str, admin_id: uuid.UUID, reason: str = "support ticket 7"
           ) -> User:
    with write_session(db_system) as session:
        return roles.set_role(session, user_id, role, admin_id=admin_id, reason=reason, clock=clock,
                              ip_address="203.0.113.9")


def role_of(db_system: System | None, user_id: uuid.UUID) -> str:
    with read_session(db_system) as session:
        found = session.get(User, user_id)
        assert found is not None
        return found.role


def audits(db_system: System) -> list[AuditLog]:
    with read_session(db_system) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == "user.role")).all())


def test_grant_and_revoke_premium_is_audited(db_system: System) -> None:
    admin = account(db_system, "admin")
    member = account(db_system)
    assert change(db_system, member, "premium", admin, "  won the spring challenge ").role == "premium"
    assert role_of(db_system, member) == "premium"
    change(db_system, member, "user", admin, "challenge over")
    assert role_of(db_system, member) == "user"
    rows = sorted(audits(db_system), key=lambda row: row.after_state["reason"] if row.after_state else "")
    assert [(r.before_state, r.after_state) for r in rows] == [
        ({"role": "premium"}, {"role": "user", "reason": "challenge over"}),
        ({"role": "user"}, {"role": "premium", "reason": "won the spring challenge"}),
    ]
    for row in rows:
        assert row.actor_id == admin and row.target_type == "user" and row.target_id == str(member)
        assert row.ip_address == "203.0.113.9" and row.created_at == NOW


def test_same_role_changes_nothing(db_system: System) -> None:
    admin = account(db_system, "admin")
    member = account(db_system, "premium")
    change(db_system, member, "premium", admin)
    assert role_of(db_system, member) == "premium" and audits(db_system) == []


@pytest.mark.parametrize(("role", "reason", "field"), [
    ("premium", "", "reason"), ("premium", "   ", "reason"), ("premium", "x" * 501, "reason"),
    ("superuser", "because", "role"),
])
def test_bad_input_is_refused_and_changes_nothing(db_system: System, role: str, reason: str, field: str) -> None:
    admin = account(db_system, "admin")
    member = account(db_system)
    with pytest.raises(InvalidInput) as caught:
        change(db_system, member, role, admin, reason)
    assert caught.value.extra["field"] == field
    assert role_of(db_system, member) == "user" and audits(db_system) == []


def test_unknown_member_and_non_admin_actor(db_system: System) -> None:
    admin = account(db_system, "admin")
    member = account(db_system)
    with pytest.raises(NotFound):
        change(db_system, uuid.uuid4(), "premium", admin)
    with pytest.raises(Forbidden):
        change(db_system, member, "admin", member)
    suspended_admin = account(db_system, "admin", status="suspended")
    with pytest.raises(Forbidden):
        change(db_system, member, "premium", suspended_admin)
    assert role_of(db_system, member) == "user"


def test_last_active_admin_cannot_be_demoted(db_system: System) -> None:
    admin = account(db_system, "admin")
    account(db_system, "admin", status="suspended")  # a suspended admin does not count
    with pytest.raises(Conflict, match="last active administrator"):
        change(db_system, admin, "user", admin)
    assert role_of(db_system, admin) == "admin" and audits(db_system) == []
    second = account(db_system)
    change(db_system, second, "admin", admin, "new ops lead")
    change(db_system, admin, "premium", second, "stepping down")  # now allowed: another active admin remains
    assert role_of(db_system, admin) == "premium"
    with pytest.raises(Forbidden):  # no longer an admin
        change(db_system, second, "user", admin)
    with pytest.raises(Conflict):
        change(db_system, second, "user", second)


@pytest.mark.parametrize("db_system", ["postgres", "sqlite"], indirect=True)
def test_two_admins_demoting_each_other_at_once_exactly_one_wins(db_system: System) -> None:
    first, second = account(db_system, "admin"), account(db_system, "admin")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(target: uuid.UUID, actor: uuid.UUID) -> None:
        barrier.wait()
        try:
            change(db_system, target, "user", actor, "mutual demotion")
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=demote, args=(second, first)),
               threading.Thread(target=demote, args=(first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["Forbidden", "ok"]
    assert sorted([role_of(db_system, first), role_of(db_system, second)]) == ["admin", "user"]
    assert len(audits(db_system)) == 1


# --- admin API --------------------------------------------------------------------------------------------------

def bearer(user_id: uuid.UUID, role: str) -> dict[str, str]:
    token, _ = current().tokens.issue(user_id, role)
    return {"Authorization": f"Bearer {token}"}


async def test_role_api(user: SimUser) -> None:
    admin = create_account("boss@example.com", role="admin")
    member = create_account("mia@example.com")
    client, headers = user.http_client, bearer(admin, "admin")
    response = await client.put(f"/api/v1/admin/users/{member}/role", headers=headers,
                                json={"role": "premium", "reason": "partner promo"})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "premium" and response.json()["email"] == "mia@example.com"

    missing = await client.put(f"/api/v1/admin/users/{member}/role", headers=headers, json={"role": "user"})
    assert missing.status_code == 400 and missing.headers["content-type"].startswith(PROBLEM)
    assert missing.json()["field"] == "reason"
    unknown = await client.put(f"/api/v1/admin/users/{uuid.uuid4()}/role", headers=headers,
                               json={"role": "user", "reason": "x"})
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(PROBLEM)
    last = await client.put(f"/api/v1/admin/users/{admin}/role", headers=headers,
                            json={"role": "user", "reason": "oops"})
    assert last.status_code == 409 and "last active administrator" in last.json()["detail"]
    assert role_of(None, admin) == "admin"


@pytest.mark.parametrize("role", ["user", "premium"])
@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/api/v1/admin/users/{member}/role"), ("GET", "/api/v1/admin/outbox"),
    ("GET", "/api/v1/admin/profile-change-requests"),
])
async def test_members_get_403_on_admin_apis(user: SimUser, method: str, path: str, role: str) -> None:
    member = create_account("mia@example.com", role=role)
    response = await user.http_client.request(method, path.format(member=member), headers=bearer(member, "admin"),
                                              json={"role": "admin", "reason": "self-promotion"})
    assert response.status_code == 403 and response.headers["content-type"].startswith(PROBLEM)
    assert role_of(None, member) == role  # the token's role claim is never trusted
    anonymous = await user.http_client.request(method, path.format(member=member))
    assert anonymous.status_code == 401


async def test_outbox_list_paginates_and_filters(user: SimUser) -> None:
    admin = create_account("boss@example.com", role="admin")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with write_session() as session:
        for i in range(5):
            session.add(OutboxMessage(to_address=f"m{i}@example.com", subject=f"Subject {i}", text_body="t",
                                      html_body="<p>t</p>", template="verify_email",
                                      status="failed" if i % 2 else "sent", attempts=i,
                                      last_error="SMTPServerDisconnected: gone" if i % 2 else None,
                                      created_at=base + timedelta(minutes=i)))
    headers = bearer(admin, "admin")
    page = await user.http_client.get("/api/v1/admin/outbox?limit=2&page=2", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5, "pages": 3}
    assert [item["subject"] for item in body["items"]] == ["Subject 2", "Subject 1"]  # newest first
    assert set(body["items"][0]) == {"id", "to_address", "subject", "template", "status", "attempts", "last_error",
                                     "created_at", "sent_at"}
    failed = (await user.http_client.get("/api/v1/admin/outbox?status=failed", headers=headers)).json()
    assert failed["pagination"]["total"] == 2
    assert all(item["last_error"] == "SMTPServerDisconnected: gone" for item in failed["items"])
    bad = await user.http_client.get("/api/v1/admin/outbox?status=lost", headers=headers)
    assert bad.status_code == 422


async def test_change_request_list_paginates(user: SimUser) -> None:
    admin = create_account("boss@example.com", role="admin")
    members = [create_account(f"m{i}@example.com", display_name=f"Member {i}") for i in range(3)]
    with write_session() as session:
        for i, member in enumerate(members):
            session.add(ProfileChangeRequest(user_id=member, field="state_code", requested_value="CA",
                                             reason="moved", status="approved" if i == 2 else "pending",
                                             created_at=datetime(2026, 2, 1 + i, tzinfo=UTC)))
    headers = bearer(admin, "admin")
    first = (await user.http_client.get("/api/v1/admin/profile-change-requests?status=pending&limit=1",
                                        headers=headers)).json()
    assert first["pagination"] == {"page": 1, "limit": 1, "total": 2, "pages": 2}
    item = first["items"][0]
    assert (item["display_name"], item["email"], item["requested_value"]) == ("Member 0", "m0@example.com", "CA")
    everything = (await user.http_client.get("/api/v1/admin/profile-change-requests", headers=headers)).json()
    assert everything["pagination"]["total"] == 3
    with read_session() as session:  # the member's state is untouched by listing
        assert session.exec(select(Profile).where(Profile.user_id == members[0])).one().state_code == "TX"
    assert date(2026, 2, 1).isoformat() in item["created_at"]


# --- admin pages ------------------------------------------------------------------------------------------------

async def test_mail_page_highlights_failed_messages_and_retries(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    with write_session() as session:
        session.add(OutboxMessage(to_address="late@example.com", subject="Verify your email", text_body="t",
                                  html_body="<p>t</p>", template="verify_email", status="failed", attempts=6,
                                  last_error="ConnectionRefusedError: [Errno 111]", created_at=NOW))
        session.add(OutboxMessage(to_address="fine@example.com", subject="Reset your password", text_body="t",
                                  html_body="<p>t</p>", template="password_reset", status="sent", attempts=1,
                                  created_at=NOW, sent_at=NOW))
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/mail")
    await user.should_see("ConnectionRefusedError: [Errno 111]", retries=300)
    await user.should_see("Reset your password")
    assert len(user.find(marker="retry").elements) == 1  # only the unsent message
    user.find(marker="retry").click()
    await user.should_see("Sending to late@example.com again", retries=300)


async def test_requests_page_lists_pending_state_changes(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    mover = create_account("mover@example.com", display_name="Moving Mover")
    with write_session() as session:
        session.add(ProfileChangeRequest(user_id=mover, field="state_code", requested_value="OR",
                                         reason="Relocated to Portland", status="pending", created_at=NOW))
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/requests")
    await user.should_see("1 request", retries=300)
    table = next(iter(user.find(kind=ui.table, marker="requests-table").elements))
    assert [(row["member"], row["email"], row["requested_value"], row["reason"]) for row in table.rows] == [
        ("Moving Mover", "mover@example.com", "OR", "Relocated to Portland")]


async def test_member_is_refused_on_the_new_admin_pages(user: SimUser) -> None:
    plain = member(display_name="Plain Member")
    await sign_in(user, email_of(plain.user_id))
    for path in ("/admin/mail", "/admin/requests"):
        response = await user.http_client.get(path)
        assert response.status_code == 403
