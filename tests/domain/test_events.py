"""The domain events services record on the unit of work (`domain.shared.events`, issue 11 §2): the contract the
policies and the after-commit effects of `app.services.effects` rely on.

- `ledger.post` → `BalanceChanged` with the member's totals after the entry (replays and refusals record nothing);
- `engine.recompute_day` → `PointsCredited` (credited or held points of the day), with the ledger's `BalanceChanged`;
- `tickets.purchase` / `claim_free_entry` → `TicketsBought` (and the spend's `BalanceChanged`);
- `drawings.execute_drawing` → `WinAwarded` per winner, whose policy creates the fulfillment (and queues the winner
  email) inside the same transaction: a rolled-back draw leaves no fulfillment, no email and no job.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlmodel import col, select

from app.system import System
from domain.models import DailySummary, Drawing, OutboxMessage, PrizeFulfillment, Ticket
from domain.points import engine, ledger
from domain.shared.enums import DrawingStatus, TransactionType
from domain.shared.errors import InsufficientPoints
from domain.shared.events import (
    BalanceChanged,
    DomainEvent,
    DrawingStatusChanged,
    MailQueued,
    MailRequested,
    NotificationAdded,
    PointsCredited,
    TicketsBought,
    WinAwarded,
)
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import drawings, tickets
from tests.support.builders import Member, make_member
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing

DAY = date(2016, 4, 12)


def of(kind: type[DomainEvent], events: list[DomainEvent]) -> list[DomainEvent]:
    return [e for e in events if isinstance(e, kind)]


# --- points -----------------------------------------------------------------------------------------------------
def test_ledger_post_records_the_totals_after_each_entry(system: System) -> None:
    member = make_member(system, connect=False)
    uid = member.user_id
    with write_session(system) as uow:
        ledger.post(uow, user_id=uid, transaction_type=TransactionType.earn, amount=300, idempotency_key="e1",
                    platform_day=DAY)
        ledger.post(uow, user_id=uid, transaction_type=TransactionType.spend, amount=-120, idempotency_key="s1")
        ledger.post(uow, user_id=uid, transaction_type=TransactionType.adjust, amount=20, idempotency_key="a1")
        assert uow.events == [BalanceChanged(uid, 300, 300), BalanceChanged(uid, 180, 300),
                              BalanceChanged(uid, 200, 300)]
    with write_session(system) as uow:  # a replayed key changes nothing and records nothing
        replay = ledger.post(uow, user_id=uid, transaction_type=TransactionType.earn, amount=300,
                             idempotency_key="e1", platform_day=DAY)
        assert replay.replayed and uow.events == []
    with write_session(system) as uow, pytest.raises(InsufficientPoints):  # a refusal records nothing
        ledger.post(uow, user_id=uid, transaction_type=TransactionType.spend, amount=-201, idempotency_key="s2")
    assert uow.events == []


def _summary(uow: UnitOfWork, member: Member, steps: int) -> None:
    """A stored Terra daily summary of `steps` for DAY (what ingest writes before it recomputes the day)."""
    assert member.connection_id is not None
    uow.add(DailySummary(connection_id=member.connection_id, user_id=member.user_id, summary_date=DAY, steps=steps,
                         upload_type=1))
    uow.flush()


def test_recompute_day_records_points_credited_with_the_balance(system: System) -> None:
    member = make_member(system)
    uid = member.user_id
    with write_session(system) as uow:
        _summary(uow, member, 12_000)
        result = engine.recompute_day(uow, uid, DAY)
        assert result.credited_now == 120 + 100 + 5  # steps, the 10,000-step goal, a 1-day streak
        assert of(PointsCredited, uow.events) == [PointsCredited(uid, DAY, 225, 0)]
        assert of(BalanceChanged, uow.events) == [BalanceChanged(uid, 225, 225)]  # the ledger's earn entry
    with write_session(system) as uow:  # the same data again: nothing new credited, nothing recorded
        assert engine.recompute_day(uow, uid, DAY).credited_now == 0
        assert uow.events == []


def test_recompute_day_records_held_points_without_a_balance_change(system: System) -> None:
    member = make_member(system)
    uid = member.user_id
    with write_session(system) as uow:
        _summary(uow, member, 61_000)  # more than 60,000 steps: implausible, held for review
        result = engine.recompute_day(uow, uid, DAY)
        assert result.credited_now == 0 and result.held_now > 0
        assert uow.events == [PointsCredited(uid, DAY, 0, result.held_now)]  # the ledger was not touched


# --- sweepstakes ------------------------------------------------------------------------------------------------
def test_purchase_and_free_entry_record_tickets_bought(system: System) -> None:
    with write_session(system) as uow:
        drawing_id = open_drawing(uow, admin(uow), cost=10).id
        buyer = eligible_member(uow, points=100)
        free = eligible_member(uow)
    with write_session(system) as uow:
        bought = tickets.purchase(uow, user_id=buyer, drawing_id=drawing_id, quantity=3, idempotency_key="k1")
        tickets.claim_free_entry(uow, user_id=free, drawing_id=drawing_id)
        assert uow.events == [BalanceChanged(buyer, 70, 100), TicketsBought(buyer, drawing_id, 3),
                              TicketsBought(free, drawing_id, 1, free_entry=True)]
        assert bought.balance_after == 70
    with write_session(system) as uow:  # a replayed purchase records nothing
        again = tickets.purchase(uow, user_id=buyer, drawing_id=drawing_id, quantity=3, idempotency_key="k1")
        assert again.replayed and uow.events == []


def _closed_drawing(system: System) -> uuid.UUID:
    """A closed drawing (a physical and a digital prize) with four entrants."""
    with write_session(system) as uow:
        drawing = open_drawing(uow, admin(uow), cost=10, prizes=((1, "Bike", 1, "physical", 900.0),
                                                                  (2, "Code", 1, "digital", 25.0)))
        for k in range(4):
            member = eligible_member(uow, points=100, display_name=f"Entrant {k}")
            tickets.purchase(uow, user_id=member, drawing_id=drawing.id, quantity=k + 1, idempotency_key=f"b{k}")
        drawings.close_drawing(uow, drawing.id)
        return drawing.id


def test_execute_drawing_awards_wins_whose_fulfillments_join_the_same_transaction(db_system: System) -> None:
    drawing_id = _closed_drawing(db_system)
    jobs_before = db_system.jobs.pending_count()
    with write_session(db_system) as uow:
        outcome = drawings.execute_drawing(uow, drawing_id)
        events = list(uow.events)
        wins = of(WinAwarded, events)
        assert [(w.ticket_id, w.user_id) for w in wins] == [(w.ticket_id, w.user_id) for w in outcome.winners]  # type: ignore[attr-defined]
        assert {w.drawing_id for w in wins} == {drawing_id}  # type: ignore[attr-defined]
        assert [w.prize_id for w in wins] == [w.prize_id for w in outcome.winners]  # type: ignore[attr-defined]
        # the policy ran when each win was recorded: its fulfillment is already in this (uncommitted) transaction
        rows = uow.exec(select(PrizeFulfillment)).all()
        assert {(r.ticket_id, r.prize_id) for r in rows} == {(w.ticket_id, w.prize_id) for w in wins}  # type: ignore[attr-defined]
        assert all(r.notified_at == outcome.drawing.drawn_at for r in rows)  # dated `awarded_at`
        for win in wins:  # each win is followed by its fulfillment's notice and email, before the next win
            after = events[events.index(win) + 1:]
            follow = after[:next((i for i, e in enumerate(after) if isinstance(e, WinAwarded)), len(after))]
            assert [type(e) for e in follow] == [NotificationAdded, MailRequested, MailQueued]
            assert follow[1].template == "drawing_won"  # type: ignore[attr-defined]
        queued = [e.message_id for e in of(MailQueued, events)]  # type: ignore[attr-defined]
        assert len(queued) == 2 and all(uow.get(OutboxMessage, mid) is not None for mid in queued)
        assert of(DrawingStatusChanged, events) == [DrawingStatusChanged(drawing_id, DrawingStatus.completed.value)]
    assert db_system.jobs.pending_count() == jobs_before + 2  # after the commit: one send job per winner email


def test_a_rolled_back_draw_leaves_no_fulfillment_email_or_job(db_system: System) -> None:
    drawing_id = _closed_drawing(db_system)
    jobs_before = db_system.jobs.pending_count()

    class Crash(Exception):
        pass

    with pytest.raises(Crash), write_session(db_system) as uow:
        drawings.execute_drawing(uow, drawing_id)
        assert len(of(WinAwarded, uow.events)) == 2 and len(uow.exec(select(PrizeFulfillment)).all()) == 2
        raise Crash  # the worker died before the commit
    assert uow.events == []  # the rollback forgot them: no effect ran
    assert db_system.jobs.pending_count() == jobs_before
    with read_session(db_system) as session:
        assert session.exec(select(PrizeFulfillment)).all() == []
        assert session.exec(select(OutboxMessage).where(OutboxMessage.template == "drawing_won")).all() == []
        assert not session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id, col(Ticket.is_winner))).all()
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None and drawing.status == DrawingStatus.closed.value
