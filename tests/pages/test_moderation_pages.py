"""`/admin/users/{id}` (issue 7 §4, §11): the member page shows profile, ledger, tickets, connections, flags and
the audit trail; suspend / ban / reactivate and point adjustments go through dialogs that require a reason (audited,
emailed); role changes too; members are refused; the users list links to the detail page."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

from nicegui import ui
from nicegui.testing import User as SimUser
from sqlmodel import select

from domain.models import AuditLog, Drawing, OutboxMessage, ReviewItem, Ticket, User
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def status_of(user_id: uuid.UUID) -> str:
    with read_session() as session:
        found = session.get(User, user_id)
        assert found is not None
        return found.status


def actions() -> list[str]:
    with read_session() as session:
        return sorted(a.action for a in session.exec(select(AuditLog)))


async def open_member(user: SimUser) -> uuid.UUID:
    admin = member(role="admin", display_name="Admin Ada")
    target = member(display_name="Rae Runner", provider="GARMIN")
    with write_session() as session:
        drawing = Drawing(drawing_type="weekly", name="Weekly Gear Drop", ticket_cost_points=10,
                          status="completed", drawing_time=NOW, sales_close=NOW - timedelta(minutes=5))
        session.add(drawing)
        session.flush()
        session.add_all([Ticket(drawing_id=drawing.id, user_id=target.user_id, ticket_number=n) for n in (1, 2)])
        session.add(ReviewItem(user_id=target.user_id, platform_day=date(2026, 2, 27), kind="held_points",
                               amount=300, reason="More than 60,000 steps in a day"))
    await sign_in(user, email_of(admin.user_id))
    await user.open(f"/admin/users/{target.user_id}")
    await user.should_see("Rae Runner", retries=300)
    return target.user_id


async def test_detail_shows_the_member(user: SimUser) -> None:
    target = await open_member(user)
    await user.should_see(email_of(target))
    await user.should_see("GARMIN · primary", retries=300)
    await user.should_see("More than 60,000 steps in a day", retries=100)
    await user.should_see("No admin actions yet", retries=300)  # loaded after the tickets tab
    table = next(iter(user.find(kind=ui.table, marker="tickets-table").elements))
    assert [(r["drawing"], r["tickets"], r["numbers"]) for r in table.rows] == [("Weekly Gear Drop", 2, "#1–#2")]


async def test_suspend_needs_a_reason_and_is_audited(user: SimUser) -> None:
    target = await open_member(user)
    user.find(marker="suspend").click()
    await user.should_see("Suspend this member?")
    confirm = next(iter(user.find(marker="confirm").elements))
    assert not confirm.enabled  # type: ignore[attr-defined]  # no reason yet: the button is disabled ...
    user.find(marker="confirm").click()  # ... and clicking it does nothing
    assert status_of(target) == "active"
    user.find(marker="reason").type("Shared account (ticket 311)")
    await user.should_see(marker="confirm")
    assert confirm.enabled  # type: ignore[attr-defined]
    user.find(marker="confirm").click()
    await user.should_see("Status: suspended", retries=300)
    assert status_of(target) == "suspended"
    await user.should_see("Shared account (ticket 311)", retries=300)  # the audit trail shows the reason
    assert actions() == ["user.suspend"]
    with read_session() as session:
        assert [m.template for m in session.exec(select(OutboxMessage))] == ["account_suspended"]
        assert len(session.exec(select(Ticket).where(Ticket.user_id == target)).all()) == 2

    user.find(marker="reactivate").click()
    await user.should_see("Reactivate this member?")
    user.find(marker="reason").type("Appeal accepted")
    user.find(marker="confirm").click()
    await user.should_see("Status: active", retries=300)
    assert status_of(target) == "active" and actions() == ["user.reactivate", "user.suspend"]


async def test_cancelled_ban_changes_nothing(user: SimUser) -> None:
    target = await open_member(user)
    user.find(marker="ban").click()
    await user.should_see("Ban this member?")
    user.find(marker="reason").type("Fraud")
    user.find("Cancel").click()
    await user.should_not_see("Ban this member?", retries=100)
    assert status_of(target) == "active" and actions() == []


async def test_adjust_points_dialog(user: SimUser) -> None:
    target = await open_member(user)
    user.find(marker="adjust").click()
    await user.should_see(marker="adjust-amount", retries=100)
    user.find(marker="adjust-amount").type("150")
    user.find(marker="adjust-reason").type("Goodwill: missed sync")
    await user.should_see("Balance after: 150", retries=100)
    user.find(marker="confirm").click()
    await user.should_see("+150 points · balance 150", retries=300)
    with read_session() as session:
        found = session.get(User, target)
        assert found is not None and found.point_balance == 150
    assert actions() == ["user.adjust_points"]
    ledger = next(iter(user.find(kind=ui.table, marker="ledger-table").elements))
    for _ in range(100):
        if ledger.rows:
            break
        await asyncio.sleep(0.05)
    assert [(r["amount"], r["description"]) for r in ledger.rows] == [("+150", "Adjustment: Goodwill: missed sync")]

    user.find(marker="adjust").click()
    await user.should_see(marker="adjust-amount", retries=100)
    user.find(marker="adjust-amount").type("-500")
    user.find(marker="adjust-reason").type("Too much")
    user.find(marker="confirm").click()
    await user.should_see("balance is 150 points", retries=300)  # InsufficientPoints, readable
    assert actions() == ["user.adjust_points"]


async def test_role_change_dialog(user: SimUser) -> None:
    target = await open_member(user)
    user.find(marker="role").click()
    await user.should_see(marker="role-select", retries=100)
    select = next(iter(user.find(marker="role-select").elements))
    select.value = "premium"  # type: ignore[attr-defined]
    user.find(marker="role-reason").type("Partner promotion")
    user.find(marker="confirm").click()
    await user.should_see("Role: premium", retries=300)
    with read_session() as session:
        found = session.get(User, target)
        assert found is not None and found.role == "premium"
    assert actions() == ["user.role"]


async def test_unknown_member_and_refusals(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    await sign_in(user, email_of(admin.user_id))
    await user.open(f"/admin/users/{uuid.uuid4()}")
    await user.should_see("Member not found", retries=300)
    await user.open("/admin/users/not-a-uuid")
    await user.should_see("That is not a member id")
    await user.open(f"/admin/users/{admin.user_id}")  # own page: no status buttons
    await user.should_see("Admin", retries=300)
    await user.should_see(marker="adjust", retries=300)
    await user.should_not_see(marker="suspend")
    await user.should_not_see(marker="ban")


async def test_members_are_refused(user: SimUser) -> None:
    plain = member(display_name="Plain")
    await sign_in(user, email_of(plain.user_id))
    for path in (f"/admin/users/{plain.user_id}", "/admin/audit"):
        assert (await user.http_client.get(path)).status_code == 403


async def test_users_list_links_to_detail_and_exports(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/users")
    await user.should_see(marker="export-users", retries=300)
    await user.should_see("1–1 of 1 users", retries=300)
    user.find(marker="export-users").click()
    await user.should_see(marker="export-users")
    response = await user.http_client.get("/admin/export/users.csv")
    assert response.status_code == 200 and email_of(admin.user_id) in response.text
