"""Prize fulfillment jobs and their emails (PRODUCT.md §6; issue 6 §6, issue 7 §3).

- `fulfillment_deadlines` (Huey, hourly at :17): the day-7 reminders and the 14-day forfeits with an alternate
  winner drawn (`domain.fulfillment`), each step in its own transaction so one failing drawing never holds back
  the others; emails are queued in the step's transaction and enqueued after it commits.
- `queue_fulfillment_mail(session)`: turns the `MailRequest`s the fulfillment services left on a session (winner,
  reminder, forfeit, shipped, address-invalid emails) into outbox emails in that same transaction; returns their
  ids for `app.mailer.enqueue_outbox` after commit. The draw engine's task calls it after `execute_drawing` so
  winners get the "drawing_won" email that `create_for_win` asked for.
- `perform(service, ...)`: one write transaction for a fulfillment service called by the API or a page, its emails
  queued with it, enqueued after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import structlog
from huey import crontab
from sqlmodel import Session

from app.db import read_session, write_session
from app.jobs import huey
from app.mailer import enqueue_outbox, queue_email
from app.settings import get_settings
from domain import fulfillment
from domain.types import utcnow

T = TypeVar("T")
log = structlog.get_logger(__name__)


def site_url() -> str:
    """The public address for links in emails: `PUBLIC_BASE_URL`, else `http://APP_HOST:APP_PORT`."""
    settings = get_settings()
    return (settings.public_base_url or f"http://{settings.app_host}:{settings.app_port}").rstrip("/")


def queue_fulfillment_mail(session: Session, base_url: str | None = None) -> list[uuid.UUID]:
    """Queue (outbox, this transaction) every email the fulfillment services requested on `session` since the last
    call, with links under `base_url` (default `site_url()`); returns the outbox ids to enqueue after commit."""
    base = (base_url or site_url()).rstrip("/")
    ids = []
    for request in fulfillment.take_mail(session):
        message = queue_email(session, request.to, request.template, {**request.context, "link": base + request.path})
        ids.append(message.id)
    return ids


def perform(service: Callable[..., T], *args: Any, base_url: str | None = None, **kwargs: Any) -> T:
    """`service(session, *args, **kwargs)` (a `domain.fulfillment` function) in one write transaction with the
    emails it calls for; the emails are enqueued after the commit. Domain errors propagate (nothing is written)."""
    with write_session() as session:
        result = service(session, *args, **kwargs)
        ids = queue_fulfillment_mail(session, base_url)
    enqueue_outbox(ids)
    return result


def run_deadlines(now: datetime | None = None) -> fulfillment.DeadlineReport:
    """Everything due at `now` (default: the current UTC time), one transaction per step; a step that fails is
    logged and skipped (it is due again next hour). Returns what was done."""
    now = now or utcnow()
    with read_session() as session:
        due = fulfillment.due_deadlines(session, now)
    report = fulfillment.DeadlineReport()
    for kind, fulfillment_id in due:
        try:
            with write_session() as session:
                fulfillment.apply_due(session, kind, fulfillment_id, now, report)
                ids = queue_fulfillment_mail(session)
        except Exception:  # noqa: BLE001 - one bad row (e.g. its drawing) must not stop the others
            log.exception("fulfillment.deadline_failed", kind=kind, fulfillment_id=str(fulfillment_id))
            continue
        enqueue_outbox(ids)
    if due:
        log.info("fulfillment.deadlines", reminded=len(report.reminded), forfeited=len(report.forfeited),
                 alternates=len(report.alternates), unfilled=len(report.unfilled_prizes))
    return report


@huey.periodic_task(crontab(minute="17"))
@huey.lock_task("fulfillment-deadlines")
def fulfillment_deadlines() -> dict[str, int]:
    """Hourly at :17: day-7 address reminders and 14-day forfeits with alternates (PRODUCT.md §6). Returns counts."""
    report = run_deadlines()
    return {"reminded": len(report.reminded), "forfeited": len(report.forfeited),
            "alternates": len(report.alternates), "unfilled": len(report.unfilled_prizes)}
