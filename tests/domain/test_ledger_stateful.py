"""Stateful test of the ledger against an in-memory model (notes/reliability.md §1.7, after TigerBeetle's auditor):
Hypothesis drives random sequences of earn / spend / adjust / replayed key / conflicting key on a real database
and, after every step, checks the database against the model and the ledger invariants (PRODUCT.md §4).

Each example uses a fresh member in the same database (a fresh database per example would be far slower)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import col, select

from app.system import System
from domain.models import DailyPointTotal, PointTransaction, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.errors import IdempotencyConflict, InsufficientPoints
from tests.support.builders import make_member
from tests.support.db import read_session, write_session

FIRST_DAY = date(2016, 4, 12)


@dataclass(frozen=True)
class Posted:
    """A request the ledger accepted, and the entry id it answered with."""

    key: str
    transaction_type: TransactionType
    amount: int
    platform_day: date | None
    entry_id: uuid.UUID


def ledger_machine(db_system: System) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        posted = Bundle("posted")

        @initialize()
        def new_member(self) -> None:
            self.user_id = make_member(db_system, connect=False).user_id
            self.balance = 0
            self.earned = 0
            self.entries = 0
            self.daily: dict[date, int] = {}

        def _post(self, kind: TransactionType, amount: int, key: str, day: date | None = None) -> ledger.PostResult:
            with write_session(db_system) as session:
                return ledger.post(session, user_id=self.user_id, transaction_type=kind, amount=amount,
                                   idempotency_key=key, platform_day=day, reference_type="test",
                                   reference_id=key[:64])

        def _accepted(self, kind: TransactionType, amount: int, key: str, day: date | None) -> Posted:
            result = self._post(kind, amount, key, day)
            assert not result.replayed
            entry = result.entry
            assert (entry.balance_before, entry.amount, entry.balance_after) == (
                self.balance, amount, self.balance + amount)
            assert entry.entry_seq == self.entries + 1
            self.balance += amount
            self.entries += 1
            return Posted(key, kind, amount, day, entry.id)

        @rule(target=posted, amount=st.integers(1, 400), day_offset=st.integers(0, 4))
        def earn(self, amount: int, day_offset: int) -> Posted:
            day = FIRST_DAY + timedelta(days=day_offset)
            posted = self._accepted(TransactionType.earn, amount, f"earn:{uuid.uuid4()}", day)
            self.earned += amount
            self.daily[day] = self.daily.get(day, 0) + amount
            return posted

        @rule(target=posted, amount=st.integers(1, 500))
        def spend(self, amount: int):  # type: ignore[no-untyped-def]
            key = f"spend:{uuid.uuid4()}"
            if amount > self.balance:
                try:
                    self._post(TransactionType.spend, -amount, key)
                except InsufficientPoints as refused:
                    assert refused.extra == {"balance": self.balance, "needed": amount}
                    return multiple()
                raise AssertionError(f"spend of {amount} with balance {self.balance} was accepted")
            return self._accepted(TransactionType.spend, -amount, key, None)

        @rule(target=posted, amount=st.integers(-300, 300).filter(bool))
        def adjust(self, amount: int):  # type: ignore[no-untyped-def]
            key = f"adjust:{uuid.uuid4()}"
            if self.balance + amount < 0:
                try:
                    self._post(TransactionType.adjust, amount, key)
                except InsufficientPoints:
                    return multiple()
                raise AssertionError(f"adjustment of {amount} with balance {self.balance} was accepted")
            return self._accepted(TransactionType.adjust, amount, key, None)

        @rule(previous=posted)
        def replay_same_key(self, previous: Posted) -> None:
            result = self._post(previous.transaction_type, previous.amount, previous.key, previous.platform_day)
            assert result.replayed
            assert result.entry.id == previous.entry_id
            # nothing changed: the invariants below compare the database with the unchanged model

        @rule(previous=posted, delta=st.integers(-50, 50).filter(bool), change=st.sampled_from(["amount", "day"]))
        def reuse_key_for_a_different_request(self, previous: Posted, delta: int, change: str) -> None:
            amount, day = previous.amount, previous.platform_day
            if change == "amount" and (previous.amount + delta) * previous.amount > 0:
                amount = previous.amount + delta  # same sign, so only the key makes it fail
            else:
                day = (day or FIRST_DAY) + timedelta(days=abs(delta))
            try:
                self._post(previous.transaction_type, amount, previous.key, day)
            except IdempotencyConflict:
                return
            raise AssertionError(f"key {previous.key!r} reused for a different request was accepted")

        @invariant()
        def database_matches_model(self) -> None:
            if not hasattr(self, "user_id"):
                return
            with read_session(db_system) as session:
                user = session.get(User, self.user_id)
                assert user is not None
                assert user.point_balance == self.balance == ledger.balance_of(session, self.user_id)
                assert user.point_balance >= 0
                rows = session.exec(select(PointTransaction).where(PointTransaction.user_id == self.user_id)
                                    .order_by(col(PointTransaction.entry_seq))).all()
                assert len(rows) == self.entries
                assert all(r.balance_after >= 0 for r in rows)
                assert user.points_earned == self.earned == sum(r.amount for r in rows if r.transaction_type == "earn")
                totals = dict(session.exec(select(col(DailyPointTotal.platform_day), col(DailyPointTotal.points))
                                           .where(DailyPointTotal.user_id == self.user_id)).all())
                assert totals == self.daily
                assert user.active_days == len(self.daily)
                chain = 0
                for row in rows:
                    assert row.balance_before == chain
                    chain = row.balance_after

        @invariant()
        def ledger_invariants_hold(self) -> None:
            if not hasattr(self, "user_id"):
                return
            with write_session(db_system) as session:
                audit = ledger.verify_invariants(session)
                assert audit.ok, audit.problems

    return LedgerMachine


def _entries(db_system: System) -> int:
    with read_session(db_system) as session:
        return int(session.exec(select(sa.func.count()).select_from(PointTransaction)).one())


def test_ledger_state_machine_sqlite(system: System) -> None:
    run_state_machine_as_test(
        ledger_machine(system),
        settings=settings(max_examples=40, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )
    assert _entries(system) > 0


def test_ledger_state_machine_postgres(pg_system: System) -> None:
    run_state_machine_as_test(
        ledger_machine(pg_system),
        settings=settings(max_examples=12, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )
    assert _entries(pg_system) > 0
