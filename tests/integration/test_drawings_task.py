"""The drawing scheduler task (issue 6 §1): a drawing runs its whole life on schedule with the clock advanced —
opens, closes and executes — winners get their in-app notification and "drawing_won" email; a drawing that was
missed while the app was down catches up in one tick; one failing drawing does not block the others; "execute now"
is idempotent."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from app.system import System
from domain.models import Notification, OutboxMessage, Ticket
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, tickets
from tasks.drawings import run_due_work
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, draft_drawing, eligible_member
from tests.support.jobs import ensure_tasks


def _scheduled(open_in: timedelta, sales_in: timedelta) -> uuid.UUID:
    with write_session() as session:
        admin_id = admin(session)
        drawing = draft_drawing(session, open_in=open_in, sales_in=sales_in,
                                prizes=((1, "Headphones", 1, "physical", 120.0), (2, "Code", 1, "digital", 10.0)))
        drawings.publish(session, drawing.id, admin_id=admin_id)
        return drawing.id


def test_a_drawing_runs_its_whole_life_on_schedule(system: System) -> None:
    ensure_tasks(system)
    now = utcnow()
    drawing_id = _scheduled(open_in=timedelta(minutes=1), sales_in=timedelta(minutes=30))
    assert run_due_work(system, now) == []  # not yet time to open
    steps = run_due_work(system, now + timedelta(minutes=2))
    assert [(s["kind"], s["status"]) for s in steps] == [("open", "open")]
    with write_session() as session:
        buyers = [eligible_member(session, points=100) for _ in range(3)]
        for buyer in buyers:
            tickets.purchase(session, user_id=buyer, drawing_id=drawing_id, quantity=2, idempotency_key="a",
                             clock=lambda: now + timedelta(minutes=3))
    closing = now + timedelta(minutes=31)  # sales closed, drawing in 4 minutes
    assert [(s["kind"], s["status"]) for s in run_due_work(system, closing)] == [("close", "closed")]
    assert run_due_work(system, closing) == []
    executed = run_due_work(system, now + timedelta(minutes=36))
    assert [(s["kind"], s["status"], s["replayed"]) for s in executed] == [("execute", "completed", False)]
    assert len(executed[0]["winners"]) == 2
    with read_session() as session:
        won = session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id, Ticket.is_winner == True)).all()  # noqa: E712
        winners = {t.user_id for t in won}
        assert len(winners) == 2
        notes = session.exec(select(Notification).where(Notification.kind == "drawing_won")).all()
        assert {n.user_id for n in notes} == winners
        mails = session.exec(select(OutboxMessage).where(OutboxMessage.template == "drawing_won")).all()
        assert len(mails) == 2 and all("/prizes/" in m.text_body for m in mails)
        assert drawings.get_drawing(session, drawing_id).drawn_at is not None
    # the winner emails were handed to the mail task after the step's commit
    sends = [task.args for task in system.jobs.huey.pending() if task.name == "send_outbox_message"]
    assert sorted(sends) == sorted((str(m.id),) for m in mails)


def test_a_missed_drawing_catches_up_in_one_tick(system: System) -> None:
    """open, close and execute times all passed while nothing ran: one tick runs all three steps in order."""
    drawing_id = _scheduled(open_in=timedelta(minutes=1), sales_in=timedelta(minutes=10))
    steps = run_due_work(system, utcnow() + timedelta(hours=1))
    assert [s["kind"] for s in steps] == ["open", "close", "execute"]
    assert steps[-1]["status"] == "cancelled"  # nobody could buy a ticket
    with read_session() as session:
        assert drawings.get_drawing(session, drawing_id).results == {"cancelled": True,
                                                                     "reason": drawings.NO_TICKETS_REASON}


def test_one_failing_drawing_does_not_block_the_others(system: System) -> None:
    broken = _scheduled(open_in=-timedelta(minutes=5), sales_in=timedelta(minutes=10))
    healthy = _scheduled(open_in=-timedelta(minutes=5), sales_in=timedelta(minutes=10))
    run_due_work(system)
    with write_session() as session:
        for drawing_id in (broken, healthy):
            member = eligible_member(session, points=100)
            tickets.purchase(session, user_id=member, drawing_id=drawing_id, quantity=1, idempotency_key="k")
    later = utcnow() + timedelta(minutes=11)
    run_due_work(system, later)  # both closed
    with write_session() as session:  # tamper with the frozen list of one drawing
        session.add(Ticket(drawing_id=broken, user_id=eligible_member(session), ticket_number=50))
    steps = run_due_work(system, later + timedelta(minutes=10))
    assert [(s["drawing_id"], s["status"]) for s in steps] == [(str(healthy), "completed")]
    with read_session() as session:
        assert drawings.get_drawing(session, broken).status == "closed"


def test_execute_now_task_is_idempotent(system: System) -> None:
    drawing_id = _scheduled(open_in=-timedelta(minutes=5), sales_in=timedelta(hours=1))
    run_due_work(system)
    with write_session() as session:
        member = eligible_member(session, points=100)
        tickets.purchase(session, user_id=member, drawing_id=drawing_id, quantity=1, idempotency_key="k")
    execute = ensure_tasks(system).jobs.task("execute_drawing")
    first = execute.call_local(str(drawing_id))
    second = execute.call_local(str(drawing_id))
    assert first["status"] == "completed" and not first["replayed"] and first["winners"] == [1]
    assert second["replayed"] and second["winners"] == first["winners"]
    with read_session() as session:
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.template == "drawing_won")).all()) == 1
