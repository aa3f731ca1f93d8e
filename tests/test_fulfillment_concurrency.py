"""Races on a real PostgreSQL server (and SQLite): two deadline runners at once forfeit a prize once and draw one
alternate; a winner confirming the address while the deadline task forfeits it ends in exactly one of the two; two
admins shipping the same prize at once ship it once. Every step locks its fulfillment row and re-checks it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from app import db
from app.db import read_session, write_session
from app.settings import get_settings
from domain import fulfillment
from domain.errors import Conflict
from domain.models import AuditLog, Notification
from tasks.fulfillment import run_deadlines
from tests.fulfillment_support import ADDRESS, T0, add_user, fulfillment_row, fulfillments_of, run_drawing
from tests.support.schema import create_schema


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's default engine on a fresh SQLite file (from `app_env`) or PostgreSQL database."""
    if request.param == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
        get_settings.cache_clear()
        db.reset_engine()
        create_schema(db.get_engine())
    yield request.param
    db.reset_engine()


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


def test_two_deadline_runners_forfeit_once_and_draw_one_alternate(database: str) -> None:
    drawn = run_drawing(tickets_per_member=[2, 1, 1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    reminders = race(lambda: run_deadlines(T0 + timedelta(days=7)), lambda: run_deadlines(T0 + timedelta(days=7)))
    assert sorted(len(r.reminded) for r in reminders) == [0, 1]
    reports = race(lambda: run_deadlines(T0 + timedelta(days=14)), lambda: run_deadlines(T0 + timedelta(days=14)))
    assert sorted(len(r.forfeited) for r in reports) == [0, 1]
    assert sorted(len(r.alternates) for r in reports) == [0, 1]
    rows = [fulfillment_row(None, f) for f in fulfillments_of(None, drawn.drawing_id)]
    assert [r.status for r in rows] == ["forfeited", "winner_notified"]
    assert rows[1].user_id != winner
    with read_session() as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "drawing.alternate")).all()) == 1
        reminded = session.exec(select(Notification).where(Notification.kind == "address_reminder")).all()
        assert len(reminded) == 1


def test_confirming_while_the_deadline_forfeits_ends_in_one_of_them(database: str) -> None:
    drawn = run_drawing(tickets_per_member=[1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    deadline = T0 + timedelta(days=14)
    just_before = deadline - timedelta(microseconds=1)

    def confirm() -> object:
        with write_session() as session:
            return fulfillment.confirm_address(session, fid, user_id=winner, address=ADDRESS,
                                               clock=lambda: just_before)

    confirmed, report = race(confirm, lambda: run_deadlines(deadline))
    status = fulfillment_row(None, fid).status
    if status == "forfeited":
        assert isinstance(confirmed, Conflict) and report.forfeited == [fid]
    else:
        assert status == "address_confirmed" and not isinstance(confirmed, Exception) and report.forfeited == []


def test_two_admins_shipping_at_once_ship_once(database: str) -> None:
    first, second = add_user(role="admin", name="Admin A"), add_user(role="admin", name="Admin B")
    drawn = run_drawing()
    fid = drawn.fulfillments[0]
    with write_session() as session:
        fulfillment.confirm_address(session, fid, user_id=fulfillment_row(None, fid).user_id, address=ADDRESS,
                                    clock=lambda: T0)

    def ship(admin: Any, tracking: str) -> Callable[[], object]:
        def call() -> object:
            with write_session() as session:
                return fulfillment.ship(session, fid, admin_id=admin, carrier="UPS", tracking_number=tracking)
        return call

    results = race(ship(first, "1Z-A"), ship(second, "1Z-B"))
    assert sum(isinstance(r, Conflict) for r in results) == 1
    row = fulfillment_row(None, fid)
    assert row.status == "shipped" and row.tracking_number in ("1Z-A", "1Z-B")
    with read_session() as session:
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "fulfillment.shipped")).all()) == 1
