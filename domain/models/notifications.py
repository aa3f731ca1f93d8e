"""In-app notifications (PRODUCT.md §6: winners are notified by email and in-app)."""

from __future__ import annotations

from domain.models._base import SQLModel, datetime, fk, id_field, sa, text, ts, uuid


class Notification(SQLModel, table=True):
    """One message in a member's in-app inbox; `read_at` is set when the member opens or dismisses it."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id", index=False)
    kind: str = text(32)
    title: str = text(200)
    body: str | None = text(1000, nullable=True)
    link: str | None = text(500, nullable=True)
    created_at: datetime = ts(nullable=False, now=True)
    read_at: datetime | None = ts()
