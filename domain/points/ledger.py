"""The points ledger (PRODUCT.md §4, notes/reliability.md §1): append-only entries with `balance_before` /
`balance_after`, unique idempotency keys, never-negative balances and cached totals on the user row.

Every write goes through `post`, inside the caller's write transaction. `post` locks the member's row first
(`SELECT … FOR UPDATE` on PostgreSQL/Oracle; the `BEGIN IMMEDIATE` write lock on SQLite), so concurrent posts for
one member are serialised and can never overdraw; `(user_id, entry_seq)` is unique as a second guard.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import DailyPointTotal, LedgerAudit, PointTransaction, User
from domain.shared.enums import TransactionType
from domain.shared.errors import IdempotencyConflict, InsufficientPoints, InvalidInput, NotFound
from domain.shared.events import BalanceChanged
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]


class _MemberSums(NamedTuple):
    """One member's ledger aggregates (whole points; `entries` is a count)."""

    balance: int
    earned: int
    entries: int
    min_after: int


@dataclass(frozen=True)
class PostResult:
    """The entry written (or found, when `replayed` is True because the idempotency key was seen before)."""

    entry: PointTransaction
    replayed: bool


def request_hash(
    user_id: uuid.UUID, transaction_type: TransactionType, amount: int,
    reference_type: str | None, reference_id: str | None, platform_day: date | None,
) -> str:
    """SHA-256 (hex) of the canonical request; equal hashes mean "the same request" for idempotency."""
    canonical = json.dumps(
        [str(user_id), transaction_type.value, amount, reference_type, reference_id,
         platform_day.isoformat() if platform_day else None],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_user(session: Session, user_id: uuid.UUID) -> User:
    """Load the member's row under a write lock (FOR UPDATE) with fresh values. Raises NotFound."""
    user = session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(f"member {user_id} does not exist")
    return user


def post(
    session: UnitOfWork,
    *,
    user_id: uuid.UUID,
    transaction_type: TransactionType,
    amount: int,
    idempotency_key: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
    description: str | None = None,
    platform_day: date | None = None,
    clock: Clock = utcnow,
    locked_user: User | None = None,
    daily_total: DailyPointTotal | None = None,
) -> PostResult:
    """Append one entry of `amount` points (signed) to the member's ledger and update the cached totals.

    - Same `idempotency_key` and same request → the original entry, `replayed=True`, nothing written.
    - Same key, different request → `IdempotencyConflict`. Balance would go below 0 → `InsufficientPoints`.
    - `earn` entries must be positive and name their `platform_day`; they raise `points_earned` and the member's
      `daily_point_totals` row for that day (leaderboards read it). Other types never change `points_earned`.
    Nothing is committed here: the caller's transaction makes the entry and its effects atomic. Records
    `BalanceChanged` (the member's totals after the entry) on the unit of work. `locked_user`: the member's row when
    the caller already locked it in this transaction (`lock_user`), which saves the lock's round trip; `daily_total`:
    the member's `daily_point_totals` row of `platform_day` the caller read after taking that lock (every writer of
    the row holds the member's lock), which saves its locked read (issue 12 §4).
    """
    if amount == 0:
        raise InvalidInput("a ledger entry needs a non-zero amount")
    if not idempotency_key or len(idempotency_key) > 128:
        raise InvalidInput("an idempotency key of 1–128 characters is required")
    if transaction_type == TransactionType.earn and (amount < 0 or platform_day is None):
        raise InvalidInput("earn entries are positive and belong to a platform day")
    digest = request_hash(user_id, transaction_type, amount, reference_type, reference_id, platform_day)

    user = locked_user if locked_user is not None and locked_user.id == user_id else lock_user(session, user_id)
    # One round trip reads what the idempotency check and the next entry number need (issue 12 §4). Every entry is
    # flushed by the `post` that wrote it, so this read needs no autoflush of the caller's pending changes: those reach
    # the database with this entry's flush, one statement per row.
    with session.no_autoflush:
        existing_id, last_seq = session.exec(select(
            select(PointTransaction.id).where(PointTransaction.idempotency_key == idempotency_key).scalar_subquery(),
            select(sa.func.max(PointTransaction.entry_seq)).where(PointTransaction.user_id == user_id)
            .scalar_subquery(),
        )).one()
    if existing_id is not None:
        existing = session.get(PointTransaction, existing_id)
        assert existing is not None
        if existing.request_hash != digest:
            raise IdempotencyConflict(f"idempotency key {idempotency_key!r} was used for a different request")
        return PostResult(existing, replayed=True)

    before = user.point_balance
    after = before + amount
    if after < 0:
        raise InsufficientPoints(f"balance is {before} points; {-amount} needed", balance=before, needed=-amount)
    now = clock()
    entry = PointTransaction(
        user_id=user_id, entry_seq=(last_seq or 0) + 1, transaction_type=transaction_type.value, amount=amount,
        balance_before=before, balance_after=after, reference_type=reference_type, reference_id=reference_id,
        description=description, idempotency_key=idempotency_key, request_hash=digest, platform_day=platform_day,
        created_at=now,
    )
    session.add(entry)
    user.point_balance = after
    user.updated_at = now
    if transaction_type == TransactionType.earn:
        assert platform_day is not None
        user.points_earned += amount
        user.points_earned_at = now
        held = locked_user is not None and daily_total is not None and (
            daily_total.user_id, daily_total.platform_day) == (user_id, platform_day)
        total = daily_total if held else session.get(DailyPointTotal, (user_id, platform_day), with_for_update=True)
        if total is None:
            total = DailyPointTotal(user_id=user_id, platform_day=platform_day, points=0)
            session.add(total)
        if total.points == 0:
            user.active_days += 1
        total.points += amount
        total.reached_at = now
        total.updated_at = now
    session.add(user)
    session.flush()
    session.record(BalanceChanged(user_id, user.point_balance, user.points_earned,
                                  earned_day=platform_day if transaction_type == TransactionType.earn else None))
    return PostResult(entry, replayed=False)


def balance_of(session: Session, user_id: uuid.UUID) -> int:
    """The member's balance as the sum of their entries (the source of truth behind `users.point_balance`)."""
    value = session.exec(
        select(sa.func.coalesce(sa.func.sum(PointTransaction.amount), 0)).where(PointTransaction.user_id == user_id)
    ).one()
    return int(value)


def verify_invariants(session: Session, clock: Clock = utcnow) -> LedgerAudit:
    """Check every ledger invariant (PRODUCT.md §4) and return the result as a new, unsaved `LedgerAudit` (the
    nightly task reads in one transaction and records the row in a short write transaction afterwards).

    Per member: cached balance = Σ entries; cached points_earned = Σ earn entries = Σ daily totals; entries form an
    unbroken chain (entry 1 starts at 0; each `balance_before` equals the previous `balance_after`); no balance
    below 0. Problems are listed (at most 100) as dicts `{"user_id", "check", "expected", "found"}`.
    """
    problems: list[dict[str, object]] = []
    sums = {
        user_id: _MemberSums(balance, earned, entries, min_after)
        for user_id, balance, earned, entries, min_after in session.exec(
            # sqlmodel's `select` overloads stop at 4 columns; it accepts any number at runtime.
            select(  # type: ignore[call-overload]
                col(PointTransaction.user_id),
                sa.func.sum(PointTransaction.amount).label("balance"),
                sa.func.sum(
                    sa.case((col(PointTransaction.transaction_type) == TransactionType.earn.value,
                             col(PointTransaction.amount)),
                            else_=0)
                ).label("earned"),
                sa.func.count().label("entries"),
                sa.func.min(PointTransaction.balance_after).label("min_after"),
            ).group_by(col(PointTransaction.user_id))
        )
    }
    daily = dict(
        session.exec(
            select(col(DailyPointTotal.user_id), sa.func.sum(DailyPointTotal.points))
            .group_by(col(DailyPointTotal.user_id))
        ).all()
    )
    prev = sa.func.lag(PointTransaction.balance_after, 1, 0).over(
        partition_by=col(PointTransaction.user_id), order_by=col(PointTransaction.entry_seq)
    )
    chain = (
        select(PointTransaction.user_id, PointTransaction.entry_seq, PointTransaction.balance_before,
               prev.label("prev_after"))
        .subquery()
    )
    broken = session.exec(select(*chain.c).where(chain.c.balance_before != chain.c.prev_after)).all()
    for row in broken[:100]:
        problems.append({"user_id": str(row.user_id), "check": "chain", "expected": row.prev_after,
                         "found": row.balance_before, "entry_seq": row.entry_seq})

    users = session.exec(select(User.id, User.point_balance, User.points_earned)).all()
    entries = 0
    for user_id, cached_balance, cached_earned in users:
        agg = sums.get(user_id)
        balance, earned = (int(agg.balance), int(agg.earned)) if agg else (0, 0)
        entries += int(agg.entries) if agg else 0
        if balance != cached_balance:
            problems.append({"user_id": str(user_id), "check": "balance", "expected": balance, "found": cached_balance})
        if earned != cached_earned:
            problems.append({"user_id": str(user_id), "check": "earned", "expected": earned, "found": cached_earned})
        if int(daily.get(user_id) or 0) != earned:
            problems.append({"user_id": str(user_id), "check": "daily_totals", "expected": earned,
                             "found": int(daily.get(user_id) or 0)})
        if cached_balance < 0 or (agg and agg.min_after < 0):
            problems.append({"user_id": str(user_id), "check": "negative", "expected": 0, "found": cached_balance})
    audit = LedgerAudit(ran_at=clock(), users_checked=len(users), entries_checked=entries, problems=problems[:100],
                        ok=not problems)
    return audit
