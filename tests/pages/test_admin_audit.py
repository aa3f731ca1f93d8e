"""The audit log browser (issue 7 §6): `domain.audit` filters (actor, system, action and action prefix,
target, period) and paging on SQLite and PostgreSQL; `/admin/audit` lists, filters, exports, offers no edit or delete,
and refuses members."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User as SimUser
from sqlmodel import select

from app.system import System
from domain import audit
from domain.audit import AuditFilter
from domain.models import AuditLog, Profile, User
from domain.shared.errors import InvalidInput
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def seed(system: System | None = None, actor: uuid.UUID | None = None) -> tuple[uuid.UUID, uuid.UUID]:
    """Two admins (Ada, Ben) and six entries an hour apart; returns their ids."""
    with write_session(system) as session:
        admins = []
        for name in ("Ada", "Ben"):
            user = User(email=f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com", password_hash="x", role="admin",
                        status="active")
            session.add(user)
            session.flush()
            session.add(Profile(user_id=user.id, display_name=name, date_of_birth=T0.date(), state_code="TX"))
            admins.append(user.id)
        ada, ben = actor or admins[0], admins[1]
        rows = [(ada, "user.suspend", "user", "u1"), (ada, "user.adjust_points", "user", "u1"),
                (ben, "drawing.publish", "drawing", "d1"), (None, "drawing.opened", "drawing", "d1"),
                (ben, "sponsor.create", "sponsor", "s1"), (ada, "user.reactivate", "user", "u2")]
        for i, (who, action, kind, target) in enumerate(rows):
            session.add(AuditLog(actor_id=who, action=action, target_type=kind, target_id=target,
                                 before_state={"n": i}, after_state={"n": i + 1, "reason": f"reason {i}"},
                                 ip_address="192.0.2.1", created_at=T0 + timedelta(hours=i)))
        return ada, ben


def listed(system: System, **kwargs: object) -> list[str]:
    with read_session(system) as session:
        entries, _ = audit.list_entries(session, AuditFilter(**kwargs))  # type: ignore[arg-type]
    return [e.action for e in entries]


def test_filters_and_paging(db_system: System) -> None:
    ada, ben = seed(db_system)
    assert listed(db_system) == ["user.reactivate", "sponsor.create", "drawing.opened", "drawing.publish",
                              "user.adjust_points", "user.suspend"]
    assert listed(db_system, actor_id=ben) == ["sponsor.create", "drawing.publish"]
    assert listed(db_system, system_only=True) == ["drawing.opened"]
    assert listed(db_system, action="user.") == ["user.reactivate", "user.adjust_points", "user.suspend"]
    assert listed(db_system, action="user.suspend") == ["user.suspend"]
    assert listed(db_system, action="user") == []  # exact unless it ends with "."
    assert listed(db_system, action="user_.") == []  # LIKE wildcards are literal
    assert listed(db_system, target_type="drawing", target_id="d1") == ["drawing.opened", "drawing.publish"]
    assert listed(db_system, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)) == [
        "drawing.publish", "user.adjust_points"]
    with read_session(db_system) as session:
        page, total = audit.list_entries(session, page=2, limit=4)
        assert total == 6 and [e.action for e in page] == ["user.adjust_points", "user.suspend"]
        first = audit.list_entries(session, AuditFilter(action="user.suspend"))[0][0]
        assert (first.actor_name, first.before_state, first.ip_address) == ("Ada", {"n": 0}, "192.0.2.1")
        assert audit.actions(session)[0] == "drawing.opened"
        assert audit.target_types(session) == ["drawing", "sponsor", "user"]
        assert [label.split(" <")[0] for _, label in audit.actors(session)] == ["Ada", "Ben"]
        for bad in (AuditFilter(since=T0, until=T0), AuditFilter(since=datetime(2026, 1, 1))):
            with pytest.raises(InvalidInput):
                audit.list_entries(session, bad)
        with pytest.raises(InvalidInput):
            audit.list_entries(session, limit=101)


async def test_page_lists_filters_and_exports(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin Ada")
    seed(actor=admin.user_id)
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/audit")
    await user.should_see("6 entries", retries=300)
    await user.should_see("“reason 5”")
    await user.should_see("by Admin Ada · 192.0.2.1 · user")
    await user.should_see(kind=ui.link, content="u2")
    labels = {getattr(button, "text", "") for button in user.find(kind=ui.button).elements}
    assert not labels & {"Edit", "Delete", "Remove"}  # read-only: nothing offers to change an entry

    action = next(iter(user.find(marker="action-filter").elements))
    for _ in range(100):  # the options load in the background
        if "user." in action.options:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    action.value = "user."  # type: ignore[attr-defined]
    await user.should_see("3 entries", retries=300)
    await user.should_not_see("sponsor.create", retries=50)

    await user.open("/admin/audit?target_type=drawing")
    await user.should_see("2 entries", retries=300)
    response = await user.http_client.get("/admin/export/audit.csv?target_type=drawing")
    assert response.status_code == 200
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,created_at,actor_id,actor_email,action") and len(lines) == 3
    user.find(marker="export-audit").click()
    with read_session() as session:
        exported = session.exec(select(AuditLog).where(AuditLog.action == "export.audit")).all()
    assert exported and exported[0].actor_id == admin.user_id
    assert exported[0].after_state == {"filters": {"audit_filter": {"target_type": "drawing"}}}


async def test_member_detail_links_to_its_trail(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    await sign_in(user, email_of(admin.user_id))
    await user.open(f"/admin/audit?target_type=user&target_id={uuid.uuid4()}")
    await user.should_see("No entries", retries=300)


async def test_members_are_refused(user: SimUser) -> None:
    plain = member(display_name="Plain")
    await sign_in(user, email_of(plain.user_id))
    assert (await user.http_client.get("/admin/audit")).status_code == 403
    assert (await user.http_client.get("/admin/export/audit.csv")).status_code == 403
