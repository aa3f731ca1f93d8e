"""The points ledger and its projections (PRODUCT.md §4, notes/reliability.md §1).

`point_transactions` is append-only: rows are inserted by `domain.points.ledger.post` and never updated or deleted
(database triggers refuse both on SQLite and PostgreSQL). `daily_point_totals` is a projection of `earn` rows per
member and platform day, written in the same transaction; leaderboards read it.
"""

from __future__ import annotations

from domain.models._base import (
    Field,
    SQLModel,
    date,
    datetime,
    day,
    fk,
    id_field,
    integer,
    json_col,
    sa,
    text,
    ts,
    uuid,
    uuid_col,
)
from domain.shared.types import GUID


class PointTransaction(SQLModel, table=True):
    """One ledger entry. `balance_after = balance_before + amount`, never negative; `idempotency_key` is unique and
    `request_hash` (SHA-256 of the canonical request) tells a replay from a conflicting reuse of the key."""

    __tablename__ = "point_transactions"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_nonzero"),
        sa.CheckConstraint("balance_after = balance_before + amount", name="balance_chain"),
        sa.CheckConstraint("balance_after >= 0", name="balance_nonneg"),
        sa.UniqueConstraint("user_id", "entry_seq"),
        sa.Index("ix_point_transactions_user_created", "user_id", "created_at"),
        sa.Index("ix_point_transactions_type_day", "transaction_type", "platform_day"),
    )

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id", index=False)
    entry_seq: int = integer(None)
    transaction_type: str = text(16)
    amount: int = integer(None)
    balance_before: int = integer(None)
    balance_after: int = integer(None)
    reference_type: str | None = text(32, nullable=True)
    reference_id: str | None = text(64, nullable=True)
    description: str | None = text(255, nullable=True)
    idempotency_key: str = text(128, unique=True)
    request_hash: str = text(64)
    platform_day: date | None = day()
    created_at: datetime = ts(nullable=False, now=True)


class DailyPointTotal(SQLModel, table=True):
    """Points credited to a member for one platform day (America/New_York), with what the day deserved at the last
    recompute and its breakdown by source. `reached_at` is when `points` last rose (leaderboard tie-break)."""

    __tablename__ = "daily_point_totals"
    __table_args__ = (sa.Index("ix_daily_point_totals_day", "platform_day", "points"),)

    user_id: uuid.UUID = Field(sa_column=sa.Column(GUID(), sa.ForeignKey("users.id"), primary_key=True))
    platform_day: date = Field(sa_column=sa.Column(sa.Date(), primary_key=True))
    points: int = integer(0)
    deserved: int = integer(0)
    breakdown: dict | None = json_col()
    reached_at: datetime | None = ts()
    updated_at: datetime = ts(nullable=False, now=True)


class ReviewItem(SQLModel, table=True):
    """An entry in the admin review queue: held points (approve → credited), a lowered daily total, or a
    plausibility flag. `evidence` carries the numbers and source payload ids the decision is based on."""

    __tablename__ = "review_items"
    __table_args__ = (sa.Index("ix_review_items_status", "status", "created_at"),
                      sa.Index("ix_review_items_user_day", "user_id", "platform_day"))

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id", index=False)
    platform_day: date = day(nullable=False)
    kind: str = text(32)
    status: str = text(16, default="pending")
    amount: int = integer(0)
    reason: str = text(255)
    evidence: dict | None = json_col()
    decided_by: uuid.UUID | None = uuid_col()
    decided_at: datetime | None = ts()
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class LedgerAudit(SQLModel, table=True):
    """The result of one run of the ledger invariant check (nightly task, PRODUCT.md §4)."""

    __tablename__ = "ledger_audits"

    id: uuid.UUID = id_field()
    ran_at: datetime = ts(nullable=False, now=True)
    users_checked: int = integer(0)
    entries_checked: int = integer(0, big=True)
    problems: list | None = json_col()
    ok: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False))
