"""Append-only records: the admin audit log and archived leaderboard standings (PRODUCT.md §5, §7)."""

from __future__ import annotations

from domain.models._base import SQLModel, date, datetime, day, id_field, json_col, sa, text, ts, uuid, uuid_col


class AuditLog(SQLModel, table=True):
    """Who did what, when, with before/after JSON. Never updated or deleted."""

    __tablename__ = "audit_logs"
    __table_args__ = (sa.Index("ix_audit_logs_created", "created_at"),)

    id: uuid.UUID = id_field()
    actor_id: uuid.UUID | None = uuid_col(index=True)
    action: str = text(64, index=True)
    target_type: str | None = text(32, nullable=True)
    target_id: str | None = text(64, nullable=True)
    before_state: dict | None = json_col()
    after_state: dict | None = json_col()
    ip_address: str | None = text(45, nullable=True)
    created_at: datetime = ts(nullable=False, now=True)


class LeaderboardArchive(SQLModel, table=True):
    """Final standings of one board (tier × period) once its period has ended."""

    __tablename__ = "leaderboard_archives"
    __table_args__ = (sa.UniqueConstraint("tier_code", "period", "period_start"),)

    id: uuid.UUID = id_field()
    tier_code: str = text(16)
    period: str = text(16)
    period_start: date = day(nullable=False)
    period_end: date = day(nullable=False)
    standings: list | None = json_col()
    archived_at: datetime = ts(nullable=False, now=True)
