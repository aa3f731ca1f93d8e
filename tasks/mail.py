"""Sending queued emails (issue 4 §2): one Huey task per outbox message, and a sweeper so nothing is lost.

- `send_outbox_message(id)` sends with the System's mailer (SMTP when `SMTP_HOST` is set, else the dev outbox;
  `app.services.mail.deliver`); Huey retries a failure 5 times, 30 s apart. A failed message stays in the table as
  `failed` with `last_error`, visible to admins. It is enqueued after the commit that wrote the message (the
  `MailQueued` event, `app.services.effects`).
- `send_password_reset(email)` is the work behind a forgot-password request (`app.services.signup.forgot_password`
  only enqueues it, so known and unknown addresses cost the requester the same, issue 13 §6).
- `sweep_outbox` (every 5 minutes) re-enqueues messages still `queued` or `failed` 5 minutes after they were created
  (a lost enqueue, or retries exhausted), below `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from huey import crontab
from sqlmodel import col, select

from app.services import mail, signup
from domain.models import OutboxMessage

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)
SWEEP_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 50
SWEEP_BATCH = 200


def messages_to_sweep(system: System) -> list[uuid.UUID]:
    """Ids of `queued` / `failed` messages created more than `SWEEP_AFTER` ago with attempts below `MAX_ATTEMPTS`,
    oldest first, at most `SWEEP_BATCH`."""
    with system.read() as session:
        return list(session.exec(select(OutboxMessage.id).where(
            col(OutboxMessage.status).in_([mail.QUEUED, mail.FAILED]),
            col(OutboxMessage.created_at) < system.clock() - SWEEP_AFTER,
            col(OutboxMessage.attempts) < MAX_ATTEMPTS,
        ).order_by(col(OutboxMessage.created_at)).limit(SWEEP_BATCH)).all())


def sweep_outbox(system: System) -> int:
    """Enqueue `send_outbox_message` for each id of `messages_to_sweep`; returns how many."""
    ids = messages_to_sweep(system)
    for message_id in ids:
        system.jobs.enqueue("send_outbox_message", str(message_id))
    if ids:
        log.warning("mail.swept", count=len(ids))
    return len(ids)


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.task(retries=5, retry_delay=30, name="send_outbox_message")
    def send_outbox_message(message_id: str) -> str:
        """Send one outbox message; returns its final status (`sent`, or `missing` for an unknown id)."""
        return mail.deliver(system, uuid.UUID(message_id))

    @system.jobs.add
    @huey.task(retries=3, retry_delay=30, name=signup.RESET_TASK)
    def send_password_reset(email: str) -> bool:
        """Queue the reset email of `email` when it has an account (`app.services.signup.send_password_reset`)."""
        return signup.send_password_reset(system, email)

    @system.jobs.add
    @huey.periodic_task(crontab(minute="*/5"), name="sweep_outbox")
    @huey.lock_task("outbox-sweeper")
    def sweep_outbox_task() -> int:
        """Every 5 minutes: `sweep_outbox`; returns how many messages were re-enqueued."""
        return sweep_outbox(system)
