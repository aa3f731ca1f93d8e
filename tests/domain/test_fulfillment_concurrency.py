"""Races on a real PostgreSQL server and a SQLite file (`db_system`): two deadline runners at once forfeit a prize
once and draw one alternate; a winner confirming the address while the deadline task forfeits it ends in exactly one
of the two; two admins shipping the same prize at once ship it once. Every step locks its fulfillment row and
re-checks it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from app.system import System
from domain.models import AuditLog, Notification
from domain.shared.errors import Conflict
from domain.sweepstakes import fulfillment
from tasks.fulfillment import run_deadlines
from tests.support.db import read_session, write_session
from tests.support.fulfillment import ADDRESS, T0, add_user, fulfillment_row, fulfillments_of, run_drawing


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; returns each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def runner(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[index] = exc

    threads = [threading.Thread(target=runner, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_deadline_runners_forfeit_once_and_draw_one_alternate(db_system: System) -> None:
    drawn = run_drawing(db_system, tickets_per_member=[2, 1, 1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(db_system, fid).user_id
    day_7, day_14 = T0 + timedelta(days=7), T0 + timedelta(days=14)
    reminders = race(lambda: run_deadlines(db_system, day_7), lambda: run_deadlines(db_system, day_7))
    assert sorted(len(r.reminded) for r in reminders) == [0, 1]
    reports = race(lambda: run_deadlines(db_system, day_14), lambda: run_deadlines(db_system, day_14))
    assert sorted(len(r.forfeited) for r in reports) == [0, 1]
    assert sorted(len(r.alternates) for r in reports) == [0, 1]
    rows = [fulfillment_row(db_system, f) for f in fulfillments_of(db_system, drawn.drawing_id)]
    assert [r.status for r in rows] == ["forfeited", "winner_notified"]
    assert rows[1].user_id != winner
    with read_session(db_system) as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "drawing.alternate")).all()) == 1
        reminded = session.exec(select(Notification).where(Notification.kind == "address_reminder")).all()
        assert len(reminded) == 1


def test_confirming_while_the_deadline_forfeits_ends_in_one_of_them(db_system: System) -> None:
    drawn = run_drawing(db_system, tickets_per_member=[1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(db_system, fid).user_id
    deadline = T0 + timedelta(days=14)
    just_before = deadline - timedelta(microseconds=1)

    def confirm() -> object:
        with write_session(db_system) as session:
            return fulfillment.confirm_address(session, fid, user_id=winner, address=ADDRESS,
                                               clock=lambda: just_before)

    confirmed, report = race(confirm, lambda: run_deadlines(db_system, deadline))
    status = fulfillment_row(db_system, fid).status
    if status == "forfeited":
        assert isinstance(confirmed, Conflict) and report.forfeited == [fid]
    else:
        assert status == "address_confirmed" and not isinstance(confirmed, Exception) and report.forfeited == []


def test_two_admins_shipping_at_once_ship_once(db_system: System) -> None:
    first, second = add_user(db_system, role="admin", name="Admin A"), add_user(db_system, role="admin", name="Admin B")
    drawn = run_drawing(db_system)
    fid = drawn.fulfillments[0]
    with write_session(db_system) as session:
        fulfillment.confirm_address(session, fid, user_id=fulfillment_row(db_system, fid).user_id, address=ADDRESS,
                                    clock=lambda: T0)

    def ship(admin: Any, tracking: str) -> Callable[[], object]:
        def call() -> object:
            with write_session(db_system) as session:
                return fulfillment.ship(session, fid, admin_id=admin, carrier="UPS", tracking_number=tracking)
        return call

    results = race(ship(first, "1Z-A"), ship(second, "1Z-B"))
    assert sum(isinstance(r, Conflict) for r in results) == 1
    row = fulfillment_row(db_system, fid)
    assert row.status == "shipped" and row.tracking_number in ("1Z-A", "1Z-B")
    with read_session(db_system) as reader:
        assert len(reader.exec(select(AuditLog).where(AuditLog.action == "fulfillment.shipped")).all()) == 1
