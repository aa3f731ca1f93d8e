"""Concurrent posts to one member's ledger (PRODUCT.md §4 "Concurrent spends are safe"; notes/reliability.md §1.7):
threads released together by a barrier, each in its own write transaction (`app.adapters.db.write_session`), on
PostgreSQL (row lock `SELECT … FOR UPDATE`) and on a SQLite file (`BEGIN IMMEDIATE` + busy timeout)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlmodel import col, select

from app.system import System
from domain.models import DailyPointTotal, PointTransaction, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.errors import InsufficientPoints
from tests.support.builders import make_member
from tests.support.db import read_session, write_session

DAY = date(2016, 4, 12)


def _run_together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` for i in range(count) on `count` threads that start at the same moment; return results or
    the exceptions they raised, in order."""
    barrier = threading.Barrier(count)

    def task(i: int) -> object:
        barrier.wait(timeout=30)
        try:
            return work(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def _funded_member(db_system: System, points: int) -> uuid.UUID:
    user_id = make_member(db_system, connect=False).user_id
    with write_session(db_system) as session:
        ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=points,
                    idempotency_key=f"fund:{user_id}", platform_day=DAY)
    return user_id


def _assert_consistent(db_system: System, user_id: uuid.UUID, balance: int, entries: int) -> None:
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None and user.point_balance == balance == ledger.balance_of(session, user_id)
        rows = session.exec(select(PointTransaction).where(PointTransaction.user_id == user_id)
                            .order_by(col(PointTransaction.entry_seq))).all()
        assert len(rows) == entries
        assert [r.entry_seq for r in rows] == list(range(1, entries + 1))
        chain = 0
        for row in rows:
            assert row.balance_before == chain and row.balance_after >= 0
            chain = row.balance_after
    with write_session(db_system) as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok, audit.problems


def _parallel_spends(db_system: System) -> None:
    user_id = _funded_member(db_system, 100)

    def spend(i: int) -> object:
        with write_session(db_system) as session:
            return ledger.post(session, user_id=user_id, transaction_type=TransactionType.spend, amount=-10,
                               idempotency_key=f"spend:{user_id}:{i}").entry.balance_after

    results = _run_together(25, spend)
    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"int": 10, "InsufficientPoints": 15}, results
    assert sorted(r for r in results if isinstance(r, int)) == list(range(0, 100, 10))
    assert all(r.extra["balance"] == 0 for r in results if isinstance(r, InsufficientPoints))
    _assert_consistent(db_system, user_id, balance=0, entries=11)


def _parallel_same_key(db_system: System) -> None:
    user_id = _funded_member(db_system, 50)

    def post(_: int) -> object:
        with write_session(db_system) as session:
            result = ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=30,
                                 idempotency_key=f"daily:{user_id}:2016-04-13", platform_day=date(2016, 4, 13),
                                 reference_type="daily_points", reference_id="2016-04-13")
            return result.entry.id, result.replayed

    results = _run_together(12, post)
    pairs = [r for r in results if isinstance(r, tuple)]
    assert len(pairs) == 12, results
    assert len({entry_id for entry_id, _ in pairs}) == 1
    assert sorted(replayed for _, replayed in pairs) == [False] + [True] * 11
    _assert_consistent(db_system, user_id, balance=80, entries=2)
    with read_session(db_system) as session:
        total = session.get(DailyPointTotal, (user_id, date(2016, 4, 13)))
        assert total is not None and total.points == 30


def _parallel_mixed(db_system: System) -> None:
    """Earns and spends racing on one member and on a second member: nothing lost, nothing overdrawn."""
    a, b = _funded_member(db_system, 40), _funded_member(db_system, 40)

    def work(i: int) -> object:
        user_id = a if i % 2 else b
        kind, amount = (TransactionType.earn, 5) if i % 3 == 0 else (TransactionType.spend, -15)
        with write_session(db_system) as session:
            return ledger.post(session, user_id=user_id, transaction_type=kind, amount=amount,
                               idempotency_key=f"mixed:{i}", platform_day=DAY if kind == "earn" else None).entry

    results = _run_together(20, work)
    assert all(isinstance(r, PointTransaction | InsufficientPoints) for r in results), results
    for user_id in (a, b):
        with read_session(db_system) as session:
            rows = session.exec(select(PointTransaction).where(PointTransaction.user_id == user_id)).all()
        _assert_consistent(db_system, user_id, balance=sum(r.amount for r in rows), entries=len(rows))


def test_parallel_spends_never_overdraw_postgres(pg_system: System) -> None:
    _parallel_spends(pg_system)


def test_parallel_spends_never_overdraw_sqlite(system: System) -> None:
    _parallel_spends(system)


def test_parallel_posts_with_the_same_key_write_one_entry_postgres(pg_system: System) -> None:
    _parallel_same_key(pg_system)


def test_parallel_posts_with_the_same_key_write_one_entry_sqlite(system: System) -> None:
    _parallel_same_key(system)


def test_parallel_earns_and_spends_postgres(pg_system: System) -> None:
    _parallel_mixed(pg_system)


def test_parallel_earns_and_spends_sqlite(system: System) -> None:
    _parallel_mixed(system)
