"""Sending queued emails (issue 4 §2): one Huey task per outbox message, and a sweeper so nothing is lost.

- `send_outbox_message(id)` sends via SMTP when `SMTP_HOST` is set, else delivers to the dev outbox
  (`app.mailer.deliver`); Huey retries a failure 5 times, 30 s apart. A failed message stays in the table as
  `failed` with `last_error`, visible to admins.
- `sweep_outbox` (every 5 minutes) re-enqueues messages still `queued` or `failed` 5 minutes after they were created
  (a lost enqueue, or retries exhausted), below `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from huey import crontab
from sqlmodel import col, select

from app.db import read_session
from app.jobs import huey
from app.mailer import FAILED, QUEUED, deliver
from domain.models import OutboxMessage
from domain.types import utcnow

log = structlog.get_logger(__name__)
SWEEP_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 50
SWEEP_BATCH = 200


@huey.task(retries=5, retry_delay=30)
def send_outbox_message(message_id: str) -> str:
    """Huey task: send one outbox message; returns its final status (`sent`, or `missing` for an unknown id)."""
    return deliver(uuid.UUID(message_id))


def messages_to_sweep() -> list[uuid.UUID]:
    """Ids of `queued` / `failed` messages created more than `SWEEP_AFTER` ago with attempts below `MAX_ATTEMPTS`,
    oldest first, at most `SWEEP_BATCH`."""
    with read_session() as session:
        return list(session.exec(select(OutboxMessage.id).where(
            col(OutboxMessage.status).in_([QUEUED, FAILED]),
            col(OutboxMessage.created_at) < utcnow() - SWEEP_AFTER,
            col(OutboxMessage.attempts) < MAX_ATTEMPTS,
        ).order_by(col(OutboxMessage.created_at)).limit(SWEEP_BATCH)).all())


@huey.periodic_task(crontab(minute="*/5"))
@huey.lock_task("outbox-sweeper")
def sweep_outbox() -> int:
    """Every 5 minutes: enqueue `send_outbox_message` for each id of `messages_to_sweep`; returns how many."""
    ids = messages_to_sweep()
    for message_id in ids:
        send_outbox_message(str(message_id))
    if ids:
        log.warning("mail.swept", count=len(ids))
    return len(ids)
