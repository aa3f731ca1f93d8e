"""Tracker data: connections, the raw inbound webhook log, daily summaries and activity sessions (PRODUCT.md §4)."""

from __future__ import annotations

from domain.models._base import (
    SQLModel,
    clob,
    date,
    datetime,
    day,
    fk,
    flag,
    id_field,
    integer,
    json_col,
    number,
    sa,
    text,
    ts,
    uuid,
    uuid_col,
)
from domain.shared.enums import ConnectionStatus, DeliveryStatus


class TrackerConnection(SQLModel, table=True):
    """A member's tracker linked through Terra. `terra_user_id` changes on `user_reauth` (notes/terra.md §5)."""

    __tablename__ = "tracker_connections"
    __table_args__ = (sa.UniqueConstraint("user_id", "provider"),
                      sa.Index("ix_tracker_connections_due", "status", "next_sync_at"))

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id")
    provider: str = text(32)
    terra_user_id: str | None = text(64, nullable=True, unique=True, index=True)
    is_primary: bool = flag(False)
    status: str = text(16, default=ConnectionStatus.pending.value)
    status_message: str | None = text(500, nullable=True)
    scopes: str | None = text(500, nullable=True)
    connected_at: datetime | None = ts()
    last_sync_at: datetime | None = ts()
    last_webhook_at: datetime | None = ts()
    # Polling (issue 5 §3, migration 0007): when the 15-minute sync should next fetch this connection, the last
    # attempt, consecutive failures and the last failure's text (for admins; members see `status_message`), and
    # when the first 30-day backfill succeeded.
    next_sync_at: datetime | None = ts()
    last_sync_attempt_at: datetime | None = ts()
    sync_failures: int = integer(0)
    last_sync_error: str | None = text(500, nullable=True)
    backfill_done_at: datetime | None = ts()
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class WebhookDelivery(SQLModel, table=True):
    """Every accepted Terra delivery, stored raw (exact body bytes as UTF-8 text) before it is processed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_status", "status", "received_at"),)

    id: uuid.UUID = id_field()
    trace_id: str | None = text(128, nullable=True, unique=True)
    event_type: str = text(64, index=True)
    terra_user_id: str | None = text(64, nullable=True, index=True)
    reference: str | None = text(128, nullable=True)
    ordering_ts: int | None = integer(None, nullable=True, big=True)
    body: str | None = clob(nullable=False)
    status: str = text(16, default=DeliveryStatus.received.value)
    error: str | None = text(1000, nullable=True)
    attempts: int = integer(0)
    received_at: datetime = ts(nullable=False, now=True)
    processed_at: datetime | None = ts()  # when the last processing attempt ended (success or failure)


class DailySummary(SQLModel, table=True):
    """The latest Terra `daily` running total for one connection and one date (`metadata.start_time[:10]`).
    Overwritten only by a payload whose ordering timestamp is ≥ the stored one."""

    __tablename__ = "daily_summaries"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "summary_date"),
        sa.Index("ix_daily_summaries_user_date", "user_id", "summary_date"),
    )

    id: uuid.UUID = id_field()
    connection_id: uuid.UUID = fk("tracker_connections.id", index=False)
    user_id: uuid.UUID = fk("users.id", index=False)
    summary_date: date = day(nullable=False)
    steps: int = integer(0)
    distance_meters: float | None = number()
    vigorous_seconds: int = integer(0)
    moderate_seconds: int = integer(0)
    low_seconds: int = integer(0)
    inactivity_seconds: int | None = integer(None, nullable=True)
    activity_seconds: int | None = integer(None, nullable=True)
    calories: float | None = number()
    upload_type: int | None = integer(None, nullable=True)
    metric_fields: int = integer(0)
    ordering_ts: int = integer(0, big=True)
    delivery_id: uuid.UUID | None = uuid_col()
    data: dict | None = json_col()
    first_received_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class Activity(SQLModel, table=True):
    """One workout session (Terra `activity`), keyed by (connection, `metadata.summary_id`). Workouts earn only the
    workout bonus; their steps and minutes are already in the daily summary (PRODUCT.md §4)."""

    __tablename__ = "activities"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "summary_id"),
        sa.Index("ix_activities_user_day", "user_id", "platform_day"),
    )

    id: uuid.UUID = id_field()
    connection_id: uuid.UUID = fk("tracker_connections.id", index=False)
    user_id: uuid.UUID = fk("users.id", index=False)
    summary_id: str = text(128)
    activity_type: int | None = integer(None, nullable=True)
    name: str | None = text(128, nullable=True)
    start_time: datetime = ts(nullable=False)
    end_time: datetime = ts(nullable=False)
    duration_seconds: int = integer(0)
    platform_day: date = day(nullable=False)
    steps: int | None = integer(None, nullable=True)
    upload_type: int | None = integer(None, nullable=True)
    metric_fields: int = integer(0)
    ordering_ts: int = integer(0, big=True)
    data: dict | None = json_col()
    first_received_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)
