"""The drawing scheduler (PRODUCT.md §6; issue 6 §1): every minute, open, close and execute what is due.

- `drawing_scheduler` (Huey, every minute, `lock_task` so ticks never overlap): `run_due_work()` asks
  `domain.drawings.due_work(now)` and runs each step in its own write transaction, so one failing drawing never
  holds back the others (it is due again next minute). Up to `PASSES` rounds per tick, so a drawing whose open,
  close and draw times all passed while the app was down catches up in one tick.
- `execute_drawing_task(drawing_id)`: the admin "execute now" (A1 enqueues it); idempotent like the scheduled step.

Winners: `execute_drawing` creates the fulfillments (`domain.fulfillment.create_for_win`, which asks for the
"drawing_won" email) and the in-app notifications; the step's transaction also queues those emails in the outbox
(`tasks.fulfillment.queue_fulfillment_mail`), and they are handed to the mail task only after the commit.

Safe to run twice at once (two consumers, or the scheduler racing "execute now"): every domain step locks the
drawing row and re-checks its status, so the second runner finds the step done (`replayed`), and a crash mid-step
rolls the whole step back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import structlog
from huey import crontab

from app.db import read_session, write_session
from app.jobs import huey
from app.mailer import enqueue_outbox
from domain import drawings
from domain.types import utcnow
from tasks.fulfillment import queue_fulfillment_mail

log = structlog.get_logger(__name__)
PASSES: Final = 3


def run_step(kind: str, drawing_id: uuid.UUID, clock: Callable[[], datetime] = utcnow) -> dict[str, Any]:
    """One lifecycle step (`"open"`, `"close"` or `"execute"`) for one drawing in its own write transaction; winner
    emails are enqueued after the commit. Returns a summary `{"kind", "drawing_id", "status", …}`; for "execute"
    also `winners` (ticket numbers) and `replayed`. Raises ValueError for an unknown kind; domain errors propagate
    (nothing is written)."""
    mail: list[uuid.UUID] = []
    summary: dict[str, Any] = {"kind": kind, "drawing_id": str(drawing_id)}
    with write_session() as session:
        if kind == "open":
            summary["status"] = drawings.open_drawing(session, drawing_id, clock=clock).status
        elif kind == "close":
            summary["status"] = drawings.close_drawing(session, drawing_id, clock=clock).status
        elif kind == "execute":
            outcome = drawings.execute_drawing(session, drawing_id, clock=clock)
            summary.update(status=outcome.drawing.status, replayed=outcome.replayed,
                           winners=[w.ticket_number for w in outcome.winners])
            mail = queue_fulfillment_mail(session)
        else:
            raise ValueError(f"unknown drawing step {kind!r}")
    enqueue_outbox(mail)
    return summary


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def run_due_work(now: datetime | None = None, *, passes: int = PASSES) -> list[dict[str, Any]]:
    """Everything due at `now` (UTC; default the current time, re-read each pass): up to `passes` rounds of
    `due_work`, each step in its own transaction. A failing step is logged and skipped. Returns the step summaries."""
    done: list[dict[str, Any]] = []
    failed: set[tuple[str, uuid.UUID]] = set()
    for _ in range(passes):
        moment = now or utcnow()
        with read_session() as session:
            work = [item for item in drawings.due_work(session, moment) if item not in failed]
        if not work:
            break
        for kind, drawing_id in work:
            try:
                summary = run_step(kind, drawing_id, clock=_fixed(moment) if now else utcnow)
            except Exception:  # noqa: BLE001 - one bad drawing must not stop the others; due again next minute
                log.exception("drawings.step_failed", kind=kind, drawing_id=str(drawing_id))
                failed.add((kind, drawing_id))
                continue
            log.info("drawings.step", **summary)
            done.append(summary)
    return done


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("drawing-scheduler")
def drawing_scheduler() -> int:
    """Every minute: open, close and execute the drawings that are due (`run_due_work`). Returns how many steps ran."""
    return len(run_due_work())


@huey.task(retries=3, retry_delay=10)
def execute_drawing_task(drawing_id: str) -> dict[str, Any]:
    """Admin "execute now": close (if still open) and draw `drawing_id` now, exactly like the scheduled step;
    idempotent (a completed drawing returns its stored winners with `replayed=True`). Returns the step summary."""
    return run_step("execute", uuid.UUID(drawing_id))
