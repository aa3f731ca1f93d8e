"""Prize fulfillment deadlines (PRODUCT.md §6; issue 6 §6, issue 7 §3).

`fulfillment_deadlines` (Huey, hourly at :17): the day-7 address reminders and the 14-day forfeits with an alternate
winner drawn (`domain.sweepstakes.fulfillment`), each step in its own unit of work (`run_deadlines`) so one failing
drawing never holds back the others. The emails a step calls for are recorded as `MailRequested` events: their
policy writes the outbox rows in the step's transaction (links built from `PUBLIC_BASE_URL`), and the send jobs are
enqueued after its commit (`app.services.effects`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from huey import crontab

from domain.sweepstakes import fulfillment

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)


def run_deadlines(system: System, now: datetime | None = None) -> fulfillment.DeadlineReport:
    """Everything due at `now` (default: `system.clock()`), one unit of work per step; a step that fails is logged
    and skipped (it is due again next hour). Returns what was done."""
    now = now or system.clock()
    with system.read() as session:
        due = fulfillment.due_deadlines(session, now)
    report = fulfillment.DeadlineReport()
    for kind, fulfillment_id in due:
        try:
            with system.uow() as uow:
                fulfillment.apply_due(uow, kind, fulfillment_id, now, report)
        except Exception:  # noqa: BLE001 - one bad row (e.g. its drawing) must not stop the others
            log.exception("fulfillment.deadline_failed", kind=kind, fulfillment_id=str(fulfillment_id))
            continue
    if due:
        log.info("fulfillment.deadlines", reminded=len(report.reminded), forfeited=len(report.forfeited),
                 alternates=len(report.alternates), unfilled=len(report.unfilled_prizes))
    return report


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.periodic_task(crontab(minute="17"), name="fulfillment_deadlines")
    @huey.lock_task("fulfillment-deadlines")
    def fulfillment_deadlines() -> dict[str, int]:
        """Hourly at :17: day-7 address reminders and 14-day forfeits with alternates (PRODUCT.md §6). Returns
        counts."""
        report = run_deadlines(system)
        return {"reminded": len(report.reminded), "forfeited": len(report.forfeited),
                "alternates": len(report.alternates), "unfilled": len(report.unfilled_prizes)}
