"""The points ledger (`domain.points.ledger`, PRODUCT.md §4, notes/reliability.md §1.6) on a SQLite file and on
PostgreSQL: posting, idempotency, overdraft refusal, input checks, projections and the invariant check."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.system import System
from domain.models import DailyPointTotal, PointTransaction, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.errors import IdempotencyConflict, InsufficientPoints, InvalidInput, NotFound
from tests.support.builders import make_member
from tests.support.db import read_session, write_session

DAY = date(2016, 4, 12)


def _post(db_system: System, user_id: uuid.UUID, kind: TransactionType, amount: int, key: str,
          day: date | None = None, **kwargs: Any) -> ledger.PostResult:
    with write_session(db_system) as session:
        return ledger.post(session, user_id=user_id, transaction_type=kind, amount=amount, idempotency_key=key,
                           platform_day=day, **kwargs)


def _state(db_system: System, user_id: uuid.UUID) -> tuple[int, int, int, int]:
    """(cached balance, cached points_earned, number of entries, Σ entries)."""
    with read_session(db_system) as session:
        user = session.get(User, user_id)
        assert user is not None
        count = session.exec(
            select(sa.func.count()).select_from(PointTransaction).where(PointTransaction.user_id == user_id)
        ).one()
        return user.point_balance, user.points_earned, int(count), ledger.balance_of(session, user_id)


def _verify(db_system: System) -> list[dict]:
    with write_session(db_system) as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok == (not audit.problems)
        return list(audit.problems or [])


def test_earn_spend_adjust_chain(db_system: System) -> None:
    member = make_member(db_system)
    earn = _post(db_system, member.user_id, TransactionType.earn, 300, "earn:1", DAY, reference_type="daily",
                 reference_id="2016-04-12", description="steps")
    assert not earn.replayed
    assert (earn.entry.entry_seq, earn.entry.amount, earn.entry.balance_before, earn.entry.balance_after) == (
        1, 300, 0, 300)
    assert earn.entry.transaction_type == "earn" and earn.entry.platform_day == DAY

    spend = _post(db_system, member.user_id, TransactionType.spend, -120, "spend:1")
    assert (spend.entry.entry_seq, spend.entry.balance_before, spend.entry.balance_after) == (2, 300, 180)

    up = _post(db_system, member.user_id, TransactionType.adjust, 20, "adjust:up")
    down = _post(db_system, member.user_id, TransactionType.adjust, -50, "adjust:down")
    assert (up.entry.balance_after, down.entry.balance_after) == (200, 150)

    balance, earned, count, total = _state(db_system, member.user_id)
    assert (balance, earned, count, total) == (150, 300, 4, 150)  # spends and adjustments never touch earned
    assert _verify(db_system) == []


def test_replayed_key_returns_same_entry_and_writes_nothing(db_system: System) -> None:
    member = make_member(db_system)
    first = _post(db_system, member.user_id, TransactionType.earn, 75, "daily:x:2016-04-12:1", DAY,
                  reference_type="daily", reference_id="abc")
    before = _state(db_system, member.user_id)
    again = _post(db_system, member.user_id, TransactionType.earn, 75, "daily:x:2016-04-12:1", DAY,
                  reference_type="daily", reference_id="abc", description="a different description is not the request")
    assert again.replayed and not first.replayed
    assert again.entry.id == first.entry.id
    assert _state(db_system, member.user_id) == before == (75, 75, 1, 75)
    with read_session(db_system) as session:
        assert session.get(DailyPointTotal, (member.user_id, DAY)).points == 75  # type: ignore[union-attr]

    spend = _post(db_system, member.user_id, TransactionType.spend, -25, "spend:once")
    assert _post(db_system, member.user_id, TransactionType.spend, -25, "spend:once").entry.id == spend.entry.id
    assert _state(db_system, member.user_id) == (50, 75, 2, 50)
    assert _verify(db_system) == []


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 76},
        {"transaction_type": TransactionType.adjust},
        {"reference_id": "other"},
        {"reference_type": "activity"},
        {"platform_day": date(2016, 4, 13)},
        {"other_user": True},
    ],
    ids=["amount", "type", "reference_id", "reference_type", "day", "user"],
)
def test_same_key_different_request_is_a_conflict(db_system: System, change: dict[str, Any]) -> None:
    member = make_member(db_system)
    other = make_member(db_system)
    request: dict[str, Any] = {"user_id": member.user_id, "transaction_type": TransactionType.earn, "amount": 75,
               "idempotency_key": "k-1", "reference_type": "daily", "reference_id": "abc", "platform_day": DAY}
    with write_session(db_system) as session:
        ledger.post(session, **request)
    changed = dict(request)
    change = dict(change)  # the parametrised dict is shared by the sqlite and postgres runs
    if change.pop("other_user", False):
        changed["user_id"] = other.user_id
    changed.update(change)
    with pytest.raises(IdempotencyConflict) as raised, write_session(db_system) as session:
        ledger.post(session, **changed)
    assert raised.value.code == "idempotency-conflict"
    assert _state(db_system, member.user_id) == (75, 75, 1, 75)
    assert _state(db_system, other.user_id) == (0, 0, 0, 0)
    assert _verify(db_system) == []


def test_spend_beyond_balance_is_refused_and_changes_nothing(db_system: System) -> None:
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 40, "earn", DAY)
    for kind, amount, key in [(TransactionType.spend, -41, "spend-41"), (TransactionType.adjust, -1000, "adj")]:
        with pytest.raises(InsufficientPoints) as raised:
            _post(db_system, member.user_id, kind, amount, key)
        assert raised.value.extra == {"balance": 40, "needed": -amount}
        assert _state(db_system, member.user_id) == (40, 40, 1, 40)
    # the refused key was not consumed: the same key can later succeed when there are points
    _post(db_system, member.user_id, TransactionType.earn, 1, "earn-2", DAY)
    assert _post(db_system, member.user_id, TransactionType.spend, -41, "spend-41").entry.balance_after == 0
    assert _state(db_system, member.user_id) == (0, 41, 3, 0)
    assert _verify(db_system) == []


def test_refused_spend_in_a_larger_transaction_rolls_everything_back(db_system: System) -> None:
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 10, "earn", DAY)
    with pytest.raises(InsufficientPoints), write_session(db_system) as session:
        ledger.post(session, user_id=member.user_id, transaction_type=TransactionType.spend, amount=-5,
                    idempotency_key="ok-part")
        ledger.post(session, user_id=member.user_id, transaction_type=TransactionType.spend, amount=-6,
                    idempotency_key="too-much")
    assert _state(db_system, member.user_id) == (10, 10, 1, 10)


@pytest.mark.parametrize(
    ("kind", "amount", "key", "day"),
    [
        (TransactionType.earn, 0, "zero", DAY),
        (TransactionType.spend, 0, "zero", None),
        (TransactionType.earn, 10, "", DAY),
        (TransactionType.earn, 10, "k" * 129, DAY),
        (TransactionType.earn, -10, "negative-earn", DAY),
        (TransactionType.earn, 10, "earn-without-day", None),
    ],
    ids=["zero-earn", "zero-spend", "empty-key", "long-key", "negative-earn", "earn-no-day"],
)
def test_bad_input_is_rejected(db_system: System, kind: TransactionType, amount: int, key: str,
                               day: date | None) -> None:
    member = make_member(db_system)
    with pytest.raises(InvalidInput):
        _post(db_system, member.user_id, kind, amount, key, day)
    assert _state(db_system, member.user_id) == (0, 0, 0, 0)


def test_longest_key_is_accepted(db_system: System) -> None:
    member = make_member(db_system)
    assert _post(db_system, member.user_id, TransactionType.earn, 1, "k" * 128, DAY).entry.idempotency_key == "k" * 128


def test_unknown_member_is_not_found(db_system: System) -> None:
    with pytest.raises(NotFound):
        _post(db_system, uuid.uuid4(), TransactionType.earn, 10, "nobody", DAY)


def test_earn_updates_points_earned_active_days_and_daily_totals(db_system: System) -> None:
    member = make_member(db_system)
    day2 = date(2016, 4, 13)
    _post(db_system, member.user_id, TransactionType.earn, 100, "e1", DAY)
    _post(db_system, member.user_id, TransactionType.earn, 50, "e2", DAY)
    _post(db_system, member.user_id, TransactionType.earn, 7, "e3", day2)
    _post(db_system, member.user_id, TransactionType.spend, -150, "s1")
    with read_session(db_system) as session:
        user = session.get(User, member.user_id)
        assert user is not None
        assert (user.point_balance, user.points_earned, user.active_days) == (7, 157, 2)
        assert user.points_earned_at is not None
        totals = {t.platform_day: t.points for t in session.exec(
            select(DailyPointTotal).where(DailyPointTotal.user_id == member.user_id))}
        assert totals == {DAY: 100 + 50, day2: 7}
        reached = session.get(DailyPointTotal, (member.user_id, DAY))
        assert reached is not None and reached.reached_at is not None
    assert _verify(db_system) == []


def test_balance_of_is_sum_of_entries_per_member(db_system: System) -> None:
    a, b = make_member(db_system), make_member(db_system)
    _post(db_system, a.user_id, TransactionType.earn, 30, "a1", DAY)
    _post(db_system, b.user_id, TransactionType.earn, 12, "b1", DAY)
    _post(db_system, a.user_id, TransactionType.spend, -5, "a2")
    with read_session(db_system) as session:
        assert ledger.balance_of(session, a.user_id) == 25
        assert ledger.balance_of(session, b.user_id) == 12
        assert ledger.balance_of(session, uuid.uuid4()) == 0


def test_verify_invariants_ok_on_clean_ledger(db_system: System) -> None:
    make_member(db_system)  # a member with no entries is consistent too
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    _post(db_system, member.user_id, TransactionType.spend, -30, "a2")
    with write_session(db_system) as session:
        audit = ledger.verify_invariants(session)
        assert audit.ok and audit.problems == []
        assert (audit.users_checked, audit.entries_checked) == (2, 2)


def _tamper(db_system: System, sql: str, **params: object) -> None:
    with write_session(db_system) as session:
        session.connection().execute(sa.text(sql), params)


def _checks(problems: list[dict], user_id: uuid.UUID) -> set[str]:
    return {p["check"] for p in problems if p["user_id"] == str(user_id)}


def _uid(db_system: System, user_id: uuid.UUID) -> object:
    """The bind value of a user id for raw SQL on this dialect (CHAR(32) hex on SQLite, uuid on PostgreSQL)."""
    return user_id.hex if db_system.db.dialect == "sqlite" else user_id


def test_verify_invariants_reports_tampered_cached_balance(db_system: System) -> None:
    member, bystander = make_member(db_system), make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    _post(db_system, bystander.user_id, TransactionType.earn, 30, "b1", DAY)
    _tamper(db_system, "UPDATE users SET point_balance = 999 WHERE id = :id", id=_uid(db_system, member.user_id))
    problems = _verify(db_system)
    assert _checks(problems, member.user_id) == {"balance"}
    assert _checks(problems, bystander.user_id) == set()
    [problem] = problems
    assert (problem["expected"], problem["found"]) == (30, 999)


def test_verify_invariants_reports_tampered_points_earned(db_system: System) -> None:
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    _tamper(db_system, "UPDATE users SET points_earned = 31 WHERE id = :id", id=_uid(db_system, member.user_id))
    assert _checks(_verify(db_system), member.user_id) == {"earned"}


def test_verify_invariants_reports_tampered_daily_totals(db_system: System) -> None:
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    _tamper(db_system, "UPDATE daily_point_totals SET points = 500 WHERE user_id = :id",
            id=_uid(db_system, member.user_id))
    problems = _verify(db_system)
    assert _checks(problems, member.user_id) == {"daily_totals"}
    assert [(p["expected"], p["found"]) for p in problems] == [(30, 500)]


def test_verify_invariants_reports_a_missing_daily_total(db_system: System) -> None:
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    _tamper(db_system, "DELETE FROM daily_point_totals WHERE user_id = :id", id=_uid(db_system, member.user_id))
    assert _checks(_verify(db_system), member.user_id) == {"daily_totals"}


def test_verify_invariants_reports_a_broken_chain_from_an_inserted_entry(db_system: System) -> None:
    """An entry inserted behind the service's back (balance_before not the previous balance_after)."""
    member = make_member(db_system)
    _post(db_system, member.user_id, TransactionType.earn, 30, "a1", DAY)
    with write_session(db_system) as session:
        session.add(PointTransaction(
            user_id=member.user_id, entry_seq=2, transaction_type="adjust", amount=5, balance_before=100,
            balance_after=105, idempotency_key="forged", request_hash="0" * 64,
        ))
    problems = _verify(db_system)
    assert _checks(problems, member.user_id) == {"chain", "balance"}
    chain = next(p for p in problems if p["check"] == "chain")
    assert (chain["expected"], chain["found"], chain["entry_seq"]) == (30, 100, 2)


def test_database_refuses_negative_balances_and_zero_amounts(db_system: System) -> None:
    """The CHECK constraints back the service up (defence in depth, notes/reliability.md §1.6 I1/I3)."""
    member = make_member(db_system)
    with pytest.raises(sa.exc.IntegrityError):
        _tamper(db_system, "UPDATE users SET point_balance = -1 WHERE id = :id", id=_uid(db_system, member.user_id))
    for before, amount, after in [(0, 0, 0), (0, -5, -5), (0, 5, 6)]:
        with pytest.raises(sa.exc.IntegrityError), write_session(db_system) as session:
            session.add(PointTransaction(
                user_id=member.user_id, entry_seq=1, transaction_type="adjust", amount=amount,
                balance_before=before, balance_after=after, idempotency_key=f"bad-{amount}-{after}",
                request_hash="0" * 64,
            ))
    assert _state(db_system, member.user_id) == (0, 0, 0, 0)
    assert _verify(db_system) == []
