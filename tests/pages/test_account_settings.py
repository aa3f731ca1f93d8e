"""Account settings (issue 4 item 7; PRODUCT.md §3 "data rights"): change password, download my data, delete my
account — the domain on a SQLite file and on PostgreSQL, the JSON API and the `/settings` page through NiceGUI's
`user` fixture."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.system import System
from domain.accounts import refresh_tokens as rt
from domain.accounts import self_service
from domain.accounts.registration import token_hash
from domain.accounts.users import authenticate, create_browser_session, resolve_browser_session
from domain.models import (
    BrowserSession,
    Drawing,
    Profile,
    ProfileChangeRequest,
    Ticket,
    TrackerConnection,
    User,
)
from domain.models.mail import OutboxMessage
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow
from tests.support.builders import add_member
from tests.support.db import hash_password, read_session, write_session
from tests.support.members import PASSWORD, email_of, member, sign_in

NEW_PASSWORD = "a-brand-new-passphrase-42"
DAY = date(2026, 11, 20)
PROBLEM = "application/problem+json"


def _member(db_system: System, *, role: str = "user", with_points: bool = True) -> uuid.UUID:
    """An active member with a real (fast) password, a tracker, 300 points earned, 100 spent on a ticket in an open
    drawing, a profile change request and one email in the outbox."""
    with write_session(db_system) as session:
        built = add_member(session, display_name="Ada Lovelace", state_code="TX", date_of_birth=date(1990, 6, 15))
        user = session.get(User, built.user_id)
        assert user is not None
        user.password_hash = hash_password(PASSWORD)
        user.role = role
        session.add(user)
        profile = session.get(Profile, built.user_id)
        assert profile is not None
        profile.height_inches, profile.weight_pounds, profile.goals = 66.0, 140.0, {"daily_steps": 9000}
        session.add(profile)
        if with_points:
            ledger.post(session, user_id=user.id, transaction_type=TransactionType.earn, amount=300,
                        idempotency_key=f"earn:{user.id}", platform_day=DAY)
            spend = ledger.post(session, user_id=user.id, transaction_type=TransactionType.spend, amount=-100,
                                idempotency_key=f"ticket:{user.id}")
            now = utcnow()
            drawing = Drawing(drawing_type="weekly", name="Weekly draw", ticket_cost_points=100, status="open",
                              drawing_time=now + timedelta(days=3), sales_close=now + timedelta(days=2))
            session.add(drawing)
            session.flush()
            session.add(Ticket(drawing_id=drawing.id, user_id=user.id, ticket_number=1,
                               purchase_transaction_id=spend.entry.id))
        session.add(ProfileChangeRequest(user_id=user.id, field="state_code", requested_value="CA"))
        session.add(OutboxMessage(to_address=user.email, subject="Verify your email", text_body="secret-link",
                                  html_body="<a>secret-link</a>", template="verify"))
        return user.id


def _change(db_system: System, user_id: uuid.UUID, current: str, new: str, keep: str | None = None) -> None:
    with write_session(db_system) as session:
        self_service.change_password(session, user_id, current, new, verify=db_system.passwords.verify,
                                         hasher=db_system.passwords.hash, clock=utcnow, keep_session_token_hash=keep)


def _hash_of(db_system: System, user_id: uuid.UUID) -> str:
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.password_hash


def _email(db_system: System, user_id: uuid.UUID) -> str:
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.email


# ------------------------------------------------------------------------------------------------ change password
def test_wrong_current_password_is_refused_and_nothing_changes(db_system: System) -> None:
    user_id = _member(db_system, with_points=False)
    before = _hash_of(db_system, user_id)
    with pytest.raises(AuthenticationFailed) as caught:
        _change(db_system, user_id, "not-my-password-123", NEW_PASSWORD)
    assert caught.value.extra["field"] == "current_password"
    assert _hash_of(db_system, user_id) == before


@pytest.mark.parametrize(("new_password", "message"), [
    ("short1", "at least 10"), ("x" * 129, "at most 128"), ("password123", "too common"),
])
def test_new_password_must_follow_the_rules(db_system: System, new_password: str, message: str) -> None:
    user_id = _member(db_system, with_points=False)
    before = _hash_of(db_system, user_id)
    with pytest.raises(InvalidInput) as caught:
        _change(db_system, user_id, PASSWORD, new_password)
    assert message in caught.value.detail
    assert caught.value.extra["field"] == "new_password"
    assert caught.value.extra["errors"] == [{"field": "new_password", "message": caught.value.detail}]
    assert _hash_of(db_system, user_id) == before


def test_password_change_ends_other_sessions_and_every_refresh_family(db_system: System) -> None:
    user_id = _member(db_system, with_points=False)
    with write_session(db_system) as session:
        this_browser = create_browser_session(session, user_id, utcnow)
        other_browser = create_browser_session(session, user_id, utcnow)
        refresh_a, _ = rt.issue_family(session, user_id)
        refresh_b, _ = rt.issue_family(session, user_id)
    _change(db_system, user_id, PASSWORD, NEW_PASSWORD, keep=token_hash(this_browser))
    with write_session(db_system) as session:
        assert resolve_browser_session(session, this_browser, utcnow) is not None
        assert resolve_browser_session(session, other_browser, utcnow) is None
        for token in (refresh_a, refresh_b):
            with pytest.raises(AuthenticationFailed):
                rt.rotate(session, token)
    with read_session(db_system) as session:
        assert authenticate(session, _email(db_system, user_id), NEW_PASSWORD, db_system.passwords.verify, utcnow)
        with pytest.raises(AuthenticationFailed):
            authenticate(session, _email(db_system, user_id), PASSWORD, db_system.passwords.verify, utcnow)
    # without `keep`, every browser session ends
    _change(db_system, user_id, NEW_PASSWORD, PASSWORD)
    with read_session(db_system) as session:
        open_sessions = session.exec(select(BrowserSession).where(BrowserSession.user_id == user_id,
                                                                  BrowserSession.revoked_at == None)).all()  # noqa: E711
        assert open_sessions == []


# ------------------------------------------------------------------------------------------------------ export
def test_export_holds_the_members_data_and_nothing_else(db_system: System) -> None:
    user_id = _member(db_system)
    other_id = _member(db_system)
    other_email = _email(db_system, other_id)
    with read_session(db_system) as session:
        data = self_service.export_member_data(session, user_id)
    text = json.dumps(data)  # JSON-serialisable as it is
    assert data["format"] == "fittrack-member-export" and data["version"] == 1
    assert data["account"]["id"] == str(user_id) and data["account"]["email"] == _email(db_system, user_id)
    assert "password_hash" not in data["account"] and "$argon2" not in text
    assert data["account"]["created_at"].endswith("Z")
    datetime.fromisoformat(data["exported_at"])
    assert data["profile"]["display_name"] == "Ada Lovelace" and data["profile"]["date_of_birth"] == "1990-06-15"
    assert [c["provider"] for c in data["tracker_connections"]] == ["FITBIT"]
    assert [(e["entry_seq"], e["amount"], e["balance_after"]) for e in data["ledger_entries"]] == [
        (1, 300, 300), (2, -100, 200)]
    assert [(t["platform_day"], t["points"]) for t in data["daily_point_totals"]] == [("2026-11-20", 300)]
    assert len(data["tickets"]) == 1 and data["tickets"][0]["user_id"] == str(user_id)
    assert [r["requested_value"] for r in data["profile_change_requests"]] == ["CA"]
    assert [m["subject"] for m in data["outbox_messages"]] == ["Verify your email"]
    assert "secret-link" not in text  # email bodies (single-use links) are left out
    for key in ("daily_summaries", "activities", "review_items", "fulfillments"):
        assert data[key] == []
    assert str(other_id) not in text and other_email not in text


# ------------------------------------------------------------------------------------------------------ delete
def test_delete_erases_personal_data_and_keeps_the_ledger_and_tickets(db_system: System) -> None:
    user_id = _member(db_system)
    email = _email(db_system, user_id)
    with write_session(db_system) as session:
        browser = create_browser_session(session, user_id, utcnow)
        refresh, _ = rt.issue_family(session, user_id)
    with write_session(db_system) as session, pytest.raises(AuthenticationFailed):
        self_service.delete_account(session, user_id, "not-my-password-123", verify=db_system.passwords.verify,
                                        clock=utcnow)
    assert _email(db_system, user_id) == email  # nothing written
    with write_session(db_system) as session:
        self_service.delete_account(session, user_id, PASSWORD, verify=db_system.passwords.verify, clock=utcnow)

    with write_session(db_system) as session:
        user = session.get(User, user_id)
        profile = session.get(Profile, user_id)
        assert user is not None and profile is not None
        assert user.status == "deleted" and user.email == f"deleted-{user_id}@deleted.fittrack.invalid"
        assert not db_system.passwords.verify(PASSWORD, user.password_hash)
        assert (profile.display_name, profile.date_of_birth) == ("Deleted member", date(1900, 1, 1))
        assert (profile.height_inches, profile.weight_pounds, profile.goals) == (None, None, {})
        assert profile.leaderboard_privacy == "hidden"
        connection = session.exec(select(TrackerConnection).where(TrackerConnection.user_id == user_id)).one()
        assert connection.status == "revoked" and connection.terra_user_id is None
        assert resolve_browser_session(session, browser, utcnow) is None
        with pytest.raises(AuthenticationFailed):
            rt.rotate(session, refresh)
        with pytest.raises(AuthenticationFailed):
            authenticate(session, email, PASSWORD, db_system.passwords.verify, utcnow)
        # the ledger is untouched and consistent; the ticket stays in its drawing
        assert ledger.balance_of(session, user_id) == 200 and user.point_balance == 200
        assert ledger.verify_invariants(session).ok
        ticket = session.exec(select(Ticket).where(Ticket.user_id == user_id)).one()
        assert ticket.ticket_number == 1
    with write_session(db_system) as session, pytest.raises(NotFound):  # a deleted account cannot be deleted again
        self_service.delete_account(session, user_id, PASSWORD, verify=db_system.passwords.verify, clock=utcnow)


def test_the_last_admin_cannot_delete_their_account(db_system: System) -> None:
    admin_id = _member(db_system, role="admin", with_points=False)
    with write_session(db_system) as session, pytest.raises(Conflict):
        self_service.delete_account(session, admin_id, PASSWORD, verify=db_system.passwords.verify, clock=utcnow)
    _member(db_system, role="admin", with_points=False)
    with write_session(db_system) as session:
        assert self_service.delete_account(session, admin_id, PASSWORD, verify=db_system.passwords.verify,
                                               clock=utcnow).status == "deleted"


# --------------------------------------------------------------------------------------------------------- API
async def _login(user: SimUser, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return await user.http_client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def _tokens(user: SimUser, email: str, password: str = PASSWORD) -> dict:
    response = await _login(user, email, password)
    assert response.status_code == 200, response.text
    return response.json()


async def test_api_change_password(user: SimUser) -> None:
    built = member()
    email = email_of(built.user_id)
    tokens = await _tokens(user, email)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    wrong = await user.http_client.put("/api/v1/users/me/password", headers=auth,
                                       json={"current_password": "not-my-password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith(PROBLEM)
    assert wrong.json()["field"] == "current_password"
    weak = await user.http_client.put("/api/v1/users/me/password", headers=auth,
                                      json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 400 and weak.json()["field"] == "new_password"
    ok = await user.http_client.put("/api/v1/users/me/password", headers=auth,
                                    json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
    refreshed = await user.http_client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await _login(user, email)).status_code == 401
    assert (await _login(user, email, NEW_PASSWORD)).status_code == 200


async def test_api_export_is_a_json_download(user: SimUser) -> None:
    built = member()
    email = email_of(built.user_id)
    auth = {"Authorization": f"Bearer {(await _tokens(user, email))['access_token']}"}
    response = await user.http_client.get("/api/v1/users/me/export", headers=auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="fittrack-export-') and disposition.endswith('.json"')
    data = response.json()
    assert data["account"]["email"] == email and "password_hash" not in data["account"]
    assert (await user.http_client.get("/api/v1/users/me/export")).status_code == 401


async def test_api_delete_account(user: SimUser) -> None:
    built = member()
    email = email_of(built.user_id)
    auth = {"Authorization": f"Bearer {(await _tokens(user, email))['access_token']}"}
    wrong = await user.http_client.request("DELETE", "/api/v1/users/me", headers=auth,
                                           json={"password": "not-my-password"})
    assert wrong.status_code == 401 and wrong.json()["field"] == "password"
    ok = await user.http_client.request("DELETE", "/api/v1/users/me", headers=auth, json={"password": PASSWORD})
    assert ok.status_code == 204
    assert (await _login(user, email)).status_code == 401
    assert (await user.http_client.get("/api/v1/users/me", headers=auth)).status_code == 401


# -------------------------------------------------------------------------------------------------------- page
async def test_settings_page_changes_the_password_and_keeps_this_browser_signed_in(user: SimUser) -> None:
    built = member()
    email = email_of(built.user_id)
    await sign_in(user, email)
    await user.open("/settings")
    user.find(marker="current_password").type("not-my-password")
    user.find(marker="new_password").type(NEW_PASSWORD)
    user.find(marker="change-password").click()
    await user.should_see("The current password is incorrect.")
    user.find(marker="current_password").clear().type(PASSWORD)
    user.find(marker="change-password").click()
    await user.should_see("Password changed. Other sign-ins have ended.")
    await user.open("/settings")  # this browser's session was kept
    await user.should_see("Delete my account")
    assert (await _login(user, email, NEW_PASSWORD)).status_code == 200


async def test_settings_page_delete_signs_out_and_goes_home(user: SimUser) -> None:
    built = member()
    await sign_in(user, email_of(built.user_id))
    await user.open("/settings")
    await user.should_see("Change password")
    await user.should_see("Download my data")
    user.find(marker="delete-account").click()
    user.find(marker="delete-password").type("not-my-password")
    user.find(marker="confirm-delete").click()
    await user.should_see("The password is incorrect.")
    user.find(marker="delete-password").clear().type(PASSWORD)
    user.find(marker="confirm-delete").click()
    await user.should_not_see(marker="confirm-delete", retries=300)
    with read_session() as session:
        deleted = session.get(User, built.user_id)
        assert deleted is not None and deleted.status == "deleted"
    await user.open("/settings")  # signed out: the guard sends the visitor to the login page
    await user.should_see(marker="sign-in")


def test_export_times_are_utc(db_system: System) -> None:
    user_id = _member(db_system, with_points=False)
    with read_session(db_system) as session:
        data = self_service.export_member_data(session, user_id,
                                                   lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    assert data["exported_at"] == "2026-11-21T12:00:00Z"
    assert self_service.export_filename(date(2026, 11, 21)) == "fittrack-export-2026-11-21.json"
