"""Moderation rules (issue 7 §4; PRODUCT.md §3, §4, §7) in `domain.admin.moderation`: statuses with a required reason,
sessions and refresh tokens ended, tickets kept, the admin's own account protected, race-safe between admins;
point adjustments are ledger `adjust` entries (Hypothesis: the balance is always the sum of the entries and never
negative, and every accepted adjustment has exactly one audit entry)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.system import System
from domain.accounts import refresh_tokens
from domain.accounts.users import authenticate, create_browser_session, resolve_browser_session
from domain.admin import moderation
from domain.models import AuditLog, Drawing, Ticket, User
from domain.points import ledger
from domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    NotFound,
)
from tests.support.db import read_session, write_session

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def account(db_system: System | None, role: str = "user", status: str = "active", verified: bool = True
            ) -> uuid.UUID:
    with write_session(db_system) as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="pw", role=role, status=status,
                    email_verified_at=NOW if verified else None)
        session.add(user)
        session.flush()
        return user.id


def status_of(db_system: System | None, user_id: uuid.UUID) -> str:
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.status


def set_status(db_system: System | None, user_id: uuid.UUID, status: str, admin_id: uuid.UUID,
               reason: str = "case 17") -> moderation.StatusChange:
    with write_session(db_system) as session:
        return moderation.set_status(session, user_id, status, admin_id=admin_id, reason=reason,
                                     ip_address="203.0.113.5", clock=clock)


def audit_actions(db_system: System | None) -> list[str]:
    with read_session(db_system) as session:
        return sorted(row.action for row in session.exec(select(AuditLog)))


def test_suspend_ends_sessions_keeps_tickets_and_refuses_sign_in(db_system: System) -> None:
    admin, member = account(db_system, "admin"), account(db_system)
    with write_session(db_system) as session:
        token = create_browser_session(session, member, clock)
        refresh, _ = refresh_tokens.issue_family(session, member, clock)
        drawing = Drawing(drawing_type="daily", name="Daily", ticket_cost_points=5, status="open",
                          drawing_time=NOW + timedelta(hours=3), sales_close=NOW + timedelta(hours=2))
        session.add(drawing)
        session.flush()
        session.add(Ticket(drawing_id=drawing.id, user_id=member, ticket_number=1))
    change = set_status(db_system, member, "suspended", admin, "  Suspicious steps  ")
    assert (change.before, change.after, change.changed, change.email_template) == (
        "active", "suspended", True, "account_suspended")
    assert (change.sessions_ended, change.refresh_tokens_revoked) == (1, 1)
    with read_session(db_system) as session:
        assert resolve_browser_session(session, token, clock) is None
        with pytest.raises(AuthenticationFailed) as refused:
            authenticate(session, session.get(User, member).email, "pw", lambda a, b: True, clock)  # type: ignore[union-attr]
        assert refused.value.extra["reason"] == "suspended"
        assert len(session.exec(select(Ticket).where(Ticket.user_id == member)).all()) == 1
        entry = session.exec(select(AuditLog)).one()
    assert entry.action == "user.suspend" and entry.after_state is not None
    assert entry.after_state["reason"] == "Suspicious steps" and entry.ip_address == "203.0.113.5"
    with write_session(db_system) as session, pytest.raises(AuthenticationFailed):
        refresh_tokens.rotate(session, refresh, clock)

    back = set_status(db_system, member, "active", admin)
    assert back.after == "active" and back.email_template == "account_reactivated"
    with read_session(db_system) as session:
        assert resolve_browser_session(session, token, clock) is None  # old sessions stay ended
    assert audit_actions(db_system) == ["user.reactivate", "user.suspend"]


@pytest.mark.parametrize(("status", "reason", "field"), [
    ("suspended", "", "reason"), ("banned", "   ", "reason"), ("suspended", "x" * 501, "reason"),
    ("deleted", "gone", "status"), ("pending", "why", "status"),
])
def test_bad_input_changes_nothing(db_system: System, status: str, reason: str, field: str) -> None:
    admin, member = account(db_system, "admin"), account(db_system)
    with pytest.raises(InvalidInput) as caught:
        set_status(db_system, member, status, admin, reason)
    assert caught.value.extra["field"] == field
    assert status_of(db_system, member) == "active" and audit_actions(db_system) == []


def test_refusals(db_system: System) -> None:
    admin, member = account(db_system, "admin"), account(db_system)
    with pytest.raises(Conflict, match="your own account"):
        set_status(db_system, admin, "suspended", admin)
    with pytest.raises(Forbidden):
        set_status(db_system, admin, "suspended", member)  # members cannot moderate
    with pytest.raises(NotFound):
        set_status(db_system, uuid.uuid4(), "banned", admin)
    deleted = account(db_system, status="deleted")
    with pytest.raises(Conflict):
        set_status(db_system, deleted, "active", admin)
    unverified = account(db_system, status="pending", verified=False)
    with pytest.raises(Conflict, match="verified"):
        set_status(db_system, unverified, "active", admin)
    suspended_unverified = account(db_system, status="suspended", verified=False)
    assert set_status(db_system, suspended_unverified, "active", admin).after == "pending"
    assert set_status(db_system, member, "active", admin).changed is False  # already active: nothing recorded
    assert audit_actions(db_system) == ["user.reactivate"]


@pytest.mark.parametrize("db_system", ["postgres", "sqlite"], indirect=True)
def test_two_admins_suspending_each_other_at_once_one_wins(db_system: System) -> None:
    first, second = account(db_system, "admin"), account(db_system, "admin")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def suspend(target: uuid.UUID, actor: uuid.UUID) -> None:
        barrier.wait()
        try:
            set_status(db_system, target, "suspended", actor, "mutual")
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=suspend, args=(second, first)),
               threading.Thread(target=suspend, args=(first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["Forbidden", "ok"]
    assert sorted([status_of(db_system, first), status_of(db_system, second)]) == ["active", "suspended"]


def adjust(db_system: System | None, user_id: uuid.UUID, amount: int, admin_id: uuid.UUID, key: str | None = None,
           reason: str = "support") -> moderation.Adjustment:
    with write_session(db_system) as session:
        return moderation.adjust_points(session, user_id, amount, admin_id=admin_id, reason=reason,
                                        idempotency_key=key, clock=clock)


def test_adjustments_are_ledger_entries(db_system: System) -> None:
    admin, member = account(db_system, "admin"), account(db_system)
    first = adjust(db_system, member, 120, admin, key="t-1", reason="x" * 400)
    assert first.entry.transaction_type == "adjust" and first.entry.balance_after == 120
    assert first.entry.description is not None and len(first.entry.description) == 255
    assert adjust(db_system, member, 120, admin, key="t-1", reason="x" * 400).replayed is True
    with pytest.raises(IdempotencyConflict):
        adjust(db_system, member, 121, admin, key="t-1")
    with pytest.raises(InsufficientPoints):
        adjust(db_system, member, -121, admin)
    for bad in (0, 1_000_001, -1_000_001):
        with pytest.raises(InvalidInput):
            adjust(db_system, member, bad, admin)
    with pytest.raises(InvalidInput):
        adjust(db_system, member, 5, admin, reason=" ")
    with pytest.raises(Forbidden):
        adjust(db_system, member, 5, member)
    with pytest.raises(NotFound):
        adjust(db_system, uuid.uuid4(), 5, admin)
    with read_session(db_system) as session:
        user = session.get(User, member)
        assert user is not None and (user.point_balance, user.points_earned) == (120, 0)
    assert audit_actions(db_system) == ["user.adjust_points"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.integers(min_value=-500, max_value=500).filter(bool), min_size=1, max_size=12))
def test_adjustment_sequences_keep_the_ledger_consistent(amounts: list[int]) -> None:
    admin, member = account(None, "admin"), account(None)
    expected, accepted = 0, 0
    for amount in amounts:
        try:
            adjust(None, member, amount, admin)
        except InsufficientPoints:
            assert expected + amount < 0  # refused only when it would overdraw
            continue
        expected += amount
        accepted += 1
    with read_session() as session:
        user = session.get(User, member)
        assert user is not None and user.point_balance == expected >= 0
        assert ledger.balance_of(session, member) == expected
        audits = session.exec(select(AuditLog).where(AuditLog.target_id == str(member))).all()
        assert len(audits) == accepted
        assert all(a.after_state and a.after_state["balance"] - a.before_state["balance"] == a.after_state["amount"]
                   for a in audits if a.before_state)


def test_member_detail_and_tickets(db_system: System) -> None:
    member = account(db_system)
    with write_session(db_system) as session:
        drawings = []
        for i, name in enumerate(("Older", "Newer")):
            drawing = Drawing(drawing_type="weekly", name=name, ticket_cost_points=5, status="completed",
                              drawing_time=NOW + timedelta(days=i), sales_close=NOW + timedelta(days=i))
            session.add(drawing)
            session.flush()
            drawings.append(drawing)
        session.add_all([Ticket(drawing_id=drawings[0].id, user_id=member, ticket_number=n, is_winner=n == 4)
                         for n in (3, 4)])
        session.add(Ticket(drawing_id=drawings[1].id, user_id=member, ticket_number=9, is_free_entry=True))
    with read_session(db_system) as session:
        detail = moderation.member_detail(session, member)
        rows, total = moderation.member_tickets(session, member)
        with pytest.raises(NotFound):
            moderation.member_detail(session, uuid.uuid4())
    assert (detail.tickets, detail.drawings_entered, detail.wins, detail.display_name) == (3, 2, 1, None)
    assert total == 2
    assert [(r.drawing_name, r.tickets, r.free_entries, r.wins, r.first_ticket, r.last_ticket) for r in rows] == [
        ("Newer", 1, 1, 0, 9, 9), ("Older", 2, 0, 1, 3, 4)]
