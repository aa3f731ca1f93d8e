"""The email outbox as admins see it (issue 4 §2): every queued, sent and failed message, so a failed send is never
lost from view. Sending itself is `app.adapters.mailer` / `tasks.mail`."""

from __future__ import annotations

import uuid
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import OutboxMessage
from domain.shared.errors import Conflict, InvalidInput, NotFound

QUEUED, SENT, FAILED = "queued", "sent", "failed"
STATUSES: Final = (QUEUED, SENT, FAILED)


def list_outbox(session: Session, *, status: str | None = None, page: int = 1,
                limit: int = 20) -> tuple[list[OutboxMessage], int]:
    """Outbox messages newest first, optionally only those with `status` (`queued` | `sent` | `failed`); returns
    (messages of the page, total count). Raises InvalidInput for an unknown status, `page` < 1 or `limit` outside
    1..100."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of: {', '.join(STATUSES)}", field="status")
    if page < 1 or not 1 <= limit <= 100:
        raise InvalidInput("page must be ≥ 1 and limit between 1 and 100")
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id))
                        .offset((page - 1) * limit).limit(limit)).all()
    return list(rows), int(total)


def message_to_retry(session: Session, message_id: uuid.UUID) -> OutboxMessage:
    """The message an admin asks to send again: it must exist and not be `sent` yet (then the caller enqueues
    `tasks.mail.send_outbox_message`). Raises NotFound, or Conflict for a message already sent."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id} does not exist")
    if message.status == SENT:
        raise Conflict("This message was already sent")
    return message
