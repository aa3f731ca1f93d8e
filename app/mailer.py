"""Sending email (PRODUCT.md §3; issue 4 §2): the outbox, the mailer port and its SMTP implementation.

- `queue_email(session, to, template, context)` renders a template (`app.email_templates`) and inserts a `queued`
  `OutboxMessage` in the caller's transaction: the email exists exactly when the change that caused it commits.
  After commit, call `enqueue_outbox(ids)` so the Huey task `tasks.mail.send_outbox_message` sends it.
- `Mailer` is the port (`send(message)`); `SmtpMailer` speaks plain SMTP (RFC 5321, e.g. Mailpit) and is used when
  `SMTP_HOST` is set; otherwise `DevOutboxMailer` delivers to the dev outbox — the `outbox_messages` table itself,
  readable at `/dev/mailbox` outside prod.
- `deliver(message_id)` sends one message and records the outcome (`sent` + `sent_at`, or `failed` + `last_error`).
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Iterable
from email.message import EmailMessage
from typing import Protocol

import structlog
from sqlmodel import Session

from app.db import write_session
from app.email_templates import render
from app.settings import Settings, get_settings
from domain.models import OutboxMessage
from domain.types import utcnow

FROM_ADDRESS = "FitTrack <no-reply@fittrack.test>"
SMTP_TIMEOUT_SECONDS = 10
QUEUED, SENT, FAILED = "queued", "sent", "failed"
_log = structlog.get_logger(__name__)


class Mailer(Protocol):
    """The mailer port: send one outbox message or raise."""

    def send(self, message: OutboxMessage) -> None: ...


class SmtpMailer:
    """Plain SMTP (no TLS, no auth) to `host:port`, as Mailpit or a local relay accepts. Multipart text + HTML."""

    def __init__(self, host: str, port: int, sender: str = FROM_ADDRESS) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.id}@fittrack>"
        email.set_content(message.text_body)
        email.add_alternative(message.html_body, subtype="html")
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(email)


class DevOutboxMailer:
    """Dev/test delivery: the message stays in `outbox_messages` (readable at `/dev/mailbox`); sending is a no-op."""

    def send(self, message: OutboxMessage) -> None:
        return None


def mailer_for(settings: Settings) -> Mailer:
    """`SmtpMailer` when `SMTP_HOST` is set, else `DevOutboxMailer`."""
    if settings.smtp_host:
        return SmtpMailer(settings.smtp_host, settings.smtp_port)
    return DevOutboxMailer()


def queue_email(session: Session, to: str, template: str, context: dict[str, object]) -> OutboxMessage:
    """Render `template` with `context` and add a `queued` outbox message for `to` in the caller's transaction
    (flushed). Returns it; after commit pass its id to `enqueue_outbox`."""
    rendered = render(template, context)
    message = OutboxMessage(
        to_address=to, subject=rendered.subject[:200], text_body=rendered.text_body, html_body=rendered.html_body,
        template=template, status=QUEUED, attempts=0, created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def enqueue_outbox(message_ids: Iterable[uuid.UUID]) -> None:
    """Enqueue the Huey send task for committed outbox messages. If enqueueing fails the messages stay `queued` and
    the sweeper (`tasks.mail.sweep_outbox`) picks them up, so this never raises."""
    from tasks.mail import send_outbox_message  # the task module imports this one

    for message_id in message_ids:
        try:
            send_outbox_message(str(message_id))
        except Exception:  # noqa: BLE001 - the row is committed; the sweeper retries
            _log.exception("mail.enqueue_failed", message_id=str(message_id))


def deliver(message_id: uuid.UUID, mailer: Mailer | None = None) -> str:
    """Send one outbox message with `mailer` (default `mailer_for(get_settings())`) and record the outcome; returns
    the final status. Already-sent messages are not sent again. On failure the row becomes `failed` (attempts + 1,
    `last_error`) and the exception propagates (Huey retries). Unknown ids return "missing"."""
    mailer = mailer or mailer_for(get_settings())
    with write_session() as session:
        message = session.get(OutboxMessage, message_id)
        if message is None:
            return "missing"
        if message.status == SENT:
            return SENT
        session.expunge(message)
    try:
        mailer.send(message)
    except Exception as exc:
        with write_session() as session:
            row = session.get(OutboxMessage, message_id)
            if row is not None:
                row.status = FAILED
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                session.add(row)
        raise
    with write_session() as session:
        row = session.get(OutboxMessage, message_id)
        if row is not None:
            row.status = SENT
            row.attempts += 1
            row.last_error = None
            row.sent_at = utcnow()
            session.add(row)
    return SENT
