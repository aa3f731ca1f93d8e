"""The mailer port and its implementations (PRODUCT.md §3; issue 4 §2).

`Mailer` is the port (`send(message)`); `SmtpMailer` speaks plain SMTP (RFC 5321, e.g. Mailpit) and is used when
`SMTP_HOST` is set; otherwise `DevOutboxMailer` delivers to the dev outbox — the `outbox_messages` table itself,
readable at `/dev/mailbox` outside prod. Queueing and delivering outbox rows is `app.services.mail`.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Protocol

import structlog

from app.settings import Settings
from domain.models import OutboxMessage

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
