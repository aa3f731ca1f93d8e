"""Email: single-use tokens (`email_tokens`) and the outbox of emails to send (`outbox_messages`), PRODUCT.md §3.

Tokens are stored as their SHA-256 (hex) only; `purpose` is `verify` (24 h) or `reset` (1 h). Every email is first a
row in `outbox_messages` (written in the caller's transaction), then sent by the Huey task `tasks.mail`; a failed
send keeps the row (`failed`, `last_error`) so nothing is lost and admins can see it.
"""

from __future__ import annotations

from domain.models._base import SQLModel, clob, datetime, fk, id_field, integer, sa, text, ts, uuid


class EmailToken(SQLModel, table=True):
    """A single-use email token (verify email / reset password). Only the token's SHA-256 is stored."""

    __tablename__ = "email_tokens"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id")
    purpose: str = text(16)
    token_hash: str = text(64, unique=True, index=True)
    expires_at: datetime = ts(nullable=False)
    used_at: datetime | None = ts()
    created_at: datetime = ts(nullable=False, now=True)


class OutboxMessage(SQLModel, table=True):
    """One email to send: `status` is `queued` → `sent`, or `failed` (with `last_error`; retried by the sweeper)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_status_created", "status", "created_at"),)

    id: uuid.UUID = id_field()
    to_address: str = text(254)
    subject: str = text(200)
    text_body: str = clob(nullable=False)
    html_body: str = clob(nullable=False)
    template: str = text(32)
    status: str = text(16, default="queued")
    attempts: int = integer(0)
    last_error: str | None = text(1000, nullable=True)
    created_at: datetime = ts(nullable=False, now=True)
    sent_at: datetime | None = ts()
