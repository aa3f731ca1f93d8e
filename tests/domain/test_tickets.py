"""Tickets (PRODUCT.md §6; issue 6 §2, §3): purchases are all-or-nothing with one ledger `spend`, idempotent by key,
numbered sequentially per drawing even under concurrency (50 parallel purchases from 10 members on PostgreSQL, a
smaller run on SQLite); refusals (sales closed, not eligible, suspended); the free alternate entry (one per member
per drawing, a database rule); odds, my entries and my wins."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.system import System
from domain.models import FreeEntry, PointTransaction, Profile, Ticket, TicketPurchase, User
from domain.points import ledger
from domain.shared.calendar import platform_day
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import Conflict, Forbidden, IdempotencyConflict, InsufficientPoints, InvalidInput, NotFound
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import drawings, tickets
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing, open_drawing_committed


def _buy(session: UnitOfWork, user_id: uuid.UUID, drawing_id: uuid.UUID, quantity: int = 1,
         key: str | None = None) -> tickets.Purchase:
    return tickets.purchase(session, user_id=user_id, drawing_id=drawing_id, quantity=quantity,
                            idempotency_key=key or uuid.uuid4().hex)


def _balance(session: Session, user_id: uuid.UUID) -> int:
    user = session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user.point_balance


def test_purchase_spends_points_and_numbers_tickets(db_system: System) -> None:
    """Given 1,000 points and a 100-point drawing, buying 5 tickets leaves 500 and 5 numbered tickets."""
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session), cost=100)
        member = eligible_member(session, points=1000)
        other = eligible_member(session, points=1000)
        first = _buy(session, member, drawing.id, 5)
        second = _buy(session, other, drawing.id, 2)
    assert first.ticket_numbers == [1, 2, 3, 4, 5] and first.points_spent == 500 and first.balance_after == 500
    assert second.ticket_numbers == [6, 7] and not first.replayed
    with read_session(db_system) as session:
        assert _balance(session, member) == 500 == ledger.balance_of(session, member)
        spend = session.exec(select(PointTransaction).where(PointTransaction.user_id == member,
                                                            PointTransaction.transaction_type == "spend")).one()
        assert spend.amount == -500 and spend.reference_id == str(drawing.id)
        mine = session.exec(select(Ticket).where(Ticket.user_id == member)).all()
        assert {t.purchase_transaction_id for t in mine} == {spend.id} and len(mine) == 5
        assert drawings.get_drawing(session, drawing.id).total_tickets == 7
        assert tickets.odds(session, drawing.id, member) == tickets.Odds(5, 7, False)


def test_insufficient_points_change_nothing(db_system: System) -> None:
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session), cost=100)
        member = eligible_member(session, points=50)
    with pytest.raises(InsufficientPoints), write_session(db_system) as session:
        _buy(session, member, drawing.id)
    with read_session(db_system) as session:
        assert _balance(session, member) == 50
        assert session.exec(select(Ticket)).all() == []
        assert session.exec(select(TicketPurchase)).all() == []
        assert len(session.exec(select(PointTransaction).where(PointTransaction.user_id == member)).all()) == 1
        assert drawings.get_drawing(session, drawing.id).total_tickets == 0


def test_same_key_returns_the_original_purchase(db_system: System) -> None:
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session), cost=10)
        member = eligible_member(session, points=100)
        original = _buy(session, member, drawing.id, 3, key="buy-1")
    with write_session(db_system) as session:
        again = _buy(session, member, drawing.id, 3, key="buy-1")
        assert again.replayed and again.ticket_numbers == original.ticket_numbers
        assert again.balance_after == original.balance_after == 70 and again.purchase_id == original.purchase_id
        with pytest.raises(IdempotencyConflict):
            _buy(session, member, drawing.id, 4, key="buy-1")
        other = eligible_member(session, points=100)
        assert not _buy(session, other, drawing.id, 1, key="buy-1").replayed  # keys are per member
    with read_session(db_system) as session:
        assert _balance(session, member) == 70
        assert len(session.exec(select(Ticket).where(Ticket.user_id == member)).all()) == 3


def test_replay_still_works_after_sales_close() -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        member = eligible_member(session, points=100)
        original = _buy(session, member, drawing.id, 1, key="k")
        drawings.close_drawing(session, drawing.id)
        assert _buy(session, member, drawing.id, 1, key="k").ticket_numbers == original.ticket_numbers
        with pytest.raises(Conflict, match="closed"):
            _buy(session, member, drawing.id, 1, key="new")


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_quantity_must_be_1_to_100(quantity: int) -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        member = eligible_member(session, points=10_000)
        with pytest.raises(InvalidInput) as caught:
            _buy(session, member, drawing.id, quantity)
        assert caught.value.extra["field"] == "quantity"
        with pytest.raises(InvalidInput):
            tickets.purchase(session, user_id=member, drawing_id=drawing.id, quantity=1, idempotency_key="")
        with pytest.raises(NotFound):
            _buy(session, member, uuid.uuid4())


def _refusal_case(session: UnitOfWork, case: str) -> tuple[uuid.UUID, uuid.UUID]:
    admin_id = admin(session)
    eligibility: dict = {"tiers": [], "roles": [], "min_account_age_days": 0}
    member_kwargs: dict = {}
    if case == "state":
        member_kwargs["state_code"] = "NY"
    if case == "age":
        member_kwargs.update(state_code="MS", date_of_birth=utcnow().date().replace(year=utcnow().year - 20))
    if case == "role":
        eligibility["roles"] = ["premium"]
    if case == "tier":
        eligibility["tiers"] = ["M-18-29-ADV"]
    if case == "account_age":
        eligibility["min_account_age_days"] = 30
    drawing = open_drawing(session, admin_id, eligibility=eligibility)
    if case == "closed":
        drawing.sales_close = utcnow() - timedelta(seconds=1)
        session.add(drawing)
    if case == "not_open":
        drawing.open_time = utcnow() + timedelta(minutes=5)
        session.add(drawing)
    member = eligible_member(session, points=1000, **member_kwargs)
    if case in ("suspended", "banned"):
        user = session.get(User, member)
        assert user is not None
        user.status = UserStatus(case).value
        session.add(user)
    session.flush()
    return member, drawing.id


@pytest.mark.parametrize(("case", "error", "text"), [
    ("closed", Conflict, "closed"),
    ("not_open", Conflict, "not started"),
    ("suspended", Forbidden, "suspended"),
    ("banned", Forbidden, "active members"),
    ("state", Forbidden, "NY"),
    ("age", Forbidden, "at least 21"),
    ("role", Forbidden, "membership"),
    ("tier", Forbidden, "tiers"),
    ("account_age", Forbidden, "30 days"),
])
def test_refusals_are_clear_and_write_nothing(case: str, error: type[Exception], text: str) -> None:
    with write_session() as session:
        member, drawing_id = _refusal_case(session, case)
        user = session.get(User, member)
        drawing = drawings.get_drawing(session, drawing_id)
        assert user is not None
        reason = tickets.entry_refusal(session, user, drawing, utcnow())
        assert reason is not None and text in reason
        with pytest.raises(error, match=text):
            _buy(session, member, drawing_id)
        with pytest.raises(error, match=text):
            tickets.claim_free_entry(session, user_id=member, drawing_id=drawing_id)
        assert session.exec(select(Ticket)).all() == []
        assert _balance(session, member) == 1000


def test_eligibility_rules_admit_matching_members() -> None:
    with write_session() as session:
        admin_id = admin(session)
        premium_only = open_drawing(session, admin_id, eligibility={"roles": ["premium"], "tiers": ["OPEN"]})
        member = eligible_member(session, points=100, role=Role.premium.value)
        profile = session.get(Profile, member)
        assert profile is not None
        profile.open_tier_opt_in = True
        session.add(profile)
        session.flush()
        user = session.get(User, member)
        assert user is not None
        assert tickets.entry_refusal(session, user, premium_only, utcnow()) is None
        assert _buy(session, member, premium_only.id).ticket_numbers == [1]


def test_free_entry_once_per_member(db_system: System) -> None:
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session))
        member = eligible_member(session, points=100)
        _buy(session, member, drawing.id, 2)
        ticket = tickets.claim_free_entry(session, user_id=member, drawing_id=drawing.id)
        assert ticket.is_free_entry and ticket.ticket_number == 3 and ticket.purchase_transaction_id is None
        assert tickets.odds(session, drawing.id, member) == tickets.Odds(3, 3, True)
        drawing_id = drawing.id
    with pytest.raises(Conflict, match="already claimed"), write_session(db_system) as session:
        tickets.claim_free_entry(session, user_id=member, drawing_id=drawing_id)
    with read_session(db_system) as session:
        assert _balance(session, member) == 80  # the free entry cost nothing
        assert len(session.exec(select(FreeEntry)).all()) == 1


def test_free_entry_uniqueness_is_a_database_rule(db_system: System) -> None:
    """Even bypassing the service, a second free entry for the same member and drawing cannot be stored."""
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session))
        member = eligible_member(session)
        ticket = tickets.claim_free_entry(session, user_id=member, drawing_id=drawing.id)
        drawing_id, ticket_id = drawing.id, ticket.id
    with pytest.raises(sa.exc.IntegrityError), write_session(db_system) as session:
        session.add(FreeEntry(drawing_id=drawing_id, user_id=member, ticket_id=ticket_id))
        session.flush()


def test_my_entries_and_wins() -> None:
    with write_session() as session:
        admin_id = admin(session)
        member = eligible_member(session, points=500)
        first = open_drawing(session, admin_id, cost=20, name="First")
        second = open_drawing(session, admin_id, cost=10, sales_in=timedelta(hours=3), name="Second")
        _buy(session, member, first.id, 2)
        _buy(session, member, first.id, 1)
        tickets.claim_free_entry(session, user_id=member, drawing_id=second.id)
        outcome = drawings.execute_drawing(session, first.id)
        assert outcome.winners[0].user_id == member
        rows, total = tickets.my_entries(session, member)
        assert total == 2 and [r.drawing.name for r in rows] == ["Second", "First"]
        assert (rows[0].tickets, rows[0].free_entry, rows[0].points_spent, rows[0].won) == (1, True, 0, False)
        assert (rows[1].tickets, rows[1].free_entry, rows[1].points_spent, rows[1].won) == (3, False, 60, True)
        assert tickets.my_entries(session, member, page=2, limit=1)[0][0].drawing.name == "First"
        wins = tickets.my_wins(session, member)
        assert len(wins) == 1 and wins[0].drawing.id == first.id and wins[0].prize.prize_rank == 1
        assert wins[0].ticket_number == outcome.winners[0].ticket_number
        assert wins[0].fulfillment_id is not None and wins[0].fulfillment_status == "winner_notified"
        assert tickets.my_wins(session, eligible_member(session)) == []


# --- concurrency -------------------------------------------------------------------------------------------------


def _run_together(count: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)

    def task(i: int) -> object:
        barrier.wait(timeout=60)
        try:
            return work(i)
        except Exception as exc:  # asserted on below
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def _concurrent_purchases(db_system: System | None, members: int, purchases: int) -> None:
    """`purchases` parallel purchases (1–3 tickets, 10 points each) from `members` members, each funded for only
    part of them; plus one free entry each. Exact balances, contiguous numbering, no ticket lost or invented."""
    drawing_id, _ = open_drawing_committed(db_system, cost=10)
    with write_session(db_system) as session:
        ids = [eligible_member(session, points=60) for _ in range(members)]  # 6 tickets' worth each

    def work(i: int) -> object:
        user_id = ids[i % members]
        with write_session(db_system) as session:
            if i < members:
                return tickets.claim_free_entry(session, user_id=user_id, drawing_id=drawing_id).ticket_number
            return tickets.purchase(session, user_id=user_id, drawing_id=drawing_id, quantity=1 + i % 3,
                                    idempotency_key=f"p{i}")

    outcomes = _run_together(purchases + members, work)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, InsufficientPoints)]
    assert unexpected == []
    bought: Counter[uuid.UUID] = Counter()
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, tickets.Purchase):
            bought[ids[i % members]] += len(outcome.ticket_numbers)
    assert sum(isinstance(o, InsufficientPoints) for o in outcomes) > 0  # the test really hit the limit
    with read_session(db_system) as reader:
        numbers = sorted(reader.exec(select(Ticket.ticket_number).where(Ticket.drawing_id == drawing_id)).all())
        assert numbers == list(range(1, len(numbers) + 1))
        assert drawings.get_drawing(reader, drawing_id).total_tickets == len(numbers)
        assert len(numbers) == sum(bought.values()) + members
        for user_id in ids:
            held = reader.exec(select(sa.func.count()).select_from(Ticket).where(
                Ticket.drawing_id == drawing_id, Ticket.user_id == user_id, col(Ticket.is_free_entry).is_(False))
            ).one()
            assert held == bought[user_id]
            assert _balance(reader, user_id) == 60 - 10 * bought[user_id] == ledger.balance_of(reader, user_id)
            assert _balance(reader, user_id) >= 0
        purchases_rows = reader.exec(select(TicketPurchase)).all()
        assert sum(p.quantity for p in purchases_rows) == sum(bought.values())


def test_parallel_purchases_on_postgres(pg_system: System) -> None:
    _concurrent_purchases(pg_system, members=10, purchases=50)


def test_parallel_purchases_on_sqlite(system: System) -> None:
    _concurrent_purchases(system, members=4, purchases=16)


def test_parallel_same_key_buys_once(pg_system: System) -> None:
    """Ten parallel retries of one purchase (same key): one purchase, nine replays of it."""
    drawing_id, _ = open_drawing_committed(pg_system, cost=10)
    with write_session(pg_system) as session:
        member = eligible_member(session, points=100)

    def work(_i: int) -> object:
        with write_session(pg_system) as session:
            return tickets.purchase(session, user_id=member, drawing_id=drawing_id, quantity=2,
                                    idempotency_key="retry-me")

    outcomes = _run_together(10, work)
    assert all(isinstance(o, tickets.Purchase) for o in outcomes)
    purchases = [o for o in outcomes if isinstance(o, tickets.Purchase)]
    assert sum(not p.replayed for p in purchases) == 1
    assert {tuple(p.ticket_numbers) for p in purchases} == {(1, 2)}
    with read_session(pg_system) as reader:
        assert _balance(reader, member) == 80


def test_age_is_checked_on_the_platform_day() -> None:
    """A member turning 18 today (America/New_York) may enter; one turning 18 tomorrow may not (PRODUCT.md §3)."""
    now = utcnow()
    today = platform_day(now)
    eighteenth = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else \
        date(today.year - 18, 3, 1)
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        of_age = session.get(User, eligible_member(session, date_of_birth=eighteenth))
        too_young = session.get(User, eligible_member(session, date_of_birth=eighteenth + timedelta(days=1)))
        assert of_age is not None and too_young is not None
        assert tickets.entry_refusal(session, of_age, drawing, now) is None
        assert "at least 18" in (tickets.entry_refusal(session, too_young, drawing, now) or "")
