"""Email as a use case (PRODUCT.md §3, §6): an email exists exactly when the change that caused it commits.

- `queue_email(uow, to, template, context)` renders a template (`app.adapters.email_templates`) and inserts a
  `queued` `OutboxMessage` in the caller's transaction, recording `MailQueued`; after the commit the effects enqueue
  the send job (`tasks.mail`). Domain services do not call it: they record `MailRequested`, whose policy calls it.
- `deliver(system, message_id)` sends one message with the system's mailer and records the outcome (`sent` +
  `sent_at`, or `failed` + `last_error`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from app.adapters.email_templates import render
from domain.models import OutboxMessage
from domain.shared.events import MailQueued
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

if TYPE_CHECKING:
    from app.system import System

QUEUED, SENT, FAILED = "queued", "sent", "failed"


def queue_email(uow: UnitOfWork, to: str, template: str, context: dict[str, object], *,
                clock: Callable[[], datetime] = utcnow) -> OutboxMessage:
    """Render `template` with `context` and add a `queued` outbox message for `to` in the caller's transaction
    (flushed); records `MailQueued`. Raises KeyError for an unknown template."""
    rendered = render(template, context)
    message = OutboxMessage(
        to_address=to, subject=rendered.subject[:200], text_body=rendered.text_body, html_body=rendered.html_body,
        template=template, status=QUEUED, attempts=0, created_at=clock(),
    )
    uow.add(message)
    uow.flush()
    uow.record(MailQueued(message.id))
    return message


def deliver(system: System, message_id: uuid.UUID) -> str:
    """Send one outbox message with `system.mailer` and record the outcome; returns the final status. Already-sent
    messages are not sent again. On failure the row becomes `failed` (attempts + 1, `last_error`) and the exception
    propagates (Huey retries). Unknown ids return "missing"."""
    with system.uow() as uow:
        message = uow.get(OutboxMessage, message_id)
        if message is None:
            return "missing"
        if message.status == SENT:
            return SENT
        uow.expunge(message)
    try:
        system.mailer.send(message)
    except Exception as exc:
        with system.uow() as uow:
            row = uow.get(OutboxMessage, message_id)
            if row is not None:
                row.status = FAILED
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                uow.add(row)
        raise
    with system.uow() as uow:
        row = uow.get(OutboxMessage, message_id)
        if row is not None:
            row.status = SENT
            row.attempts += 1
            row.last_error = None
            row.sent_at = system.clock()
            uow.add(row)
    return SENT
