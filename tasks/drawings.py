"""The drawing scheduler (PRODUCT.md §6; issue 6 §1): every minute, open, close and execute what is due.

- `drawing_scheduler` (Huey, every minute, `lock_task` so ticks never overlap): `run_due_work(system)` asks
  `domain.sweepstakes.drawings.due_work(now)` and runs each step in its own unit of work, so one failing drawing
  never holds back the others (it is due again next minute). Up to `PASSES` rounds per tick, so a drawing whose open,
  close and draw times all passed while the app was down catches up in one tick.
- `execute_drawing(drawing_id)`: the admin "execute now" (enqueued by name); idempotent like the scheduled step.

Winners: `domain.sweepstakes.drawings.execute_drawing` records `WinAwarded` for each win; its policy creates the
fulfillment inside the step's transaction (`domain.sweepstakes.fulfillment.create_for_win`: in-app notification and
the "drawing_won" email as an outbox row), and the send jobs are enqueued only after the commit
(`app.services.effects`).

Safe to run twice at once (two consumers, or the scheduler racing "execute now"): every domain step locks the
drawing row and re-checks its status, so the second runner finds the step done (`replayed`), and a crash mid-step
rolls the whole step back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import structlog
from huey import crontab

from app.adapters.ticket_lists import TicketListFiles
from domain.sweepstakes import drawings

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)
PASSES: Final = 3


def run_step(system: System, kind: str, drawing_id: uuid.UUID,
             clock: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """One lifecycle step (`"open"`, `"close"` or `"execute"`) for one drawing in its own unit of work (`clock`
    defaults to `system.clock`); the effects of the step (winner emails enqueued, live drawing messages) follow its
    commit; a close writes the frozen ticket list's file (`app.adapters.ticket_lists`). Returns a summary
    `{"kind", "drawing_id", "status", …}`; for "execute" also `winners` (ticket numbers) and `replayed`. Raises
    ValueError for an unknown kind; domain errors propagate (nothing is written)."""
    clock = clock or system.clock
    summary: dict[str, Any] = {"kind": kind, "drawing_id": str(drawing_id)}
    if kind not in ("open", "close", "execute"):
        raise ValueError(f"unknown drawing step {kind!r}")
    if kind == "open":
        with system.uow() as uow:
            summary["status"] = drawings.open_drawing(uow, drawing_id, clock=clock).status
        return summary
    files = TicketListFiles.under(system.settings.media_dir)
    # The close (also inside "execute" for a drawing still open) writes the frozen list's file while it hashes it;
    # the file is renamed into place after the commit (content-addressed: app.adapters.ticket_lists).
    with files.writer(drawing_id) as sink, system.uow() as uow:
        if kind == "close":
            summary["status"] = drawings.close_drawing(uow, drawing_id, clock=clock, sink=sink).status
        else:
            outcome = drawings.execute_drawing(uow, drawing_id, clock=clock, sink=sink)
            summary.update(status=outcome.drawing.status, replayed=outcome.replayed,
                           winners=[w.ticket_number for w in outcome.winners])
    return summary


def _fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def run_due_work(system: System, now: datetime | None = None, *, passes: int = PASSES) -> list[dict[str, Any]]:
    """Everything due at `now` (UTC; default `system.clock()`, re-read each pass): up to `passes` rounds of
    `due_work`, each step in its own unit of work. A failing step is logged and skipped. Returns the step summaries."""
    done: list[dict[str, Any]] = []
    failed: set[tuple[str, uuid.UUID]] = set()
    for _ in range(passes):
        moment = now or system.clock()
        with system.read() as session:
            work = [item for item in drawings.due_work(session, moment) if item not in failed]
        if not work:
            break
        for kind, drawing_id in work:
            try:
                summary = run_step(system, kind, drawing_id, clock=_fixed(moment) if now else system.clock)
            except Exception:  # noqa: BLE001 - one bad drawing must not stop the others; due again next minute
                log.exception("drawings.step_failed", kind=kind, drawing_id=str(drawing_id))
                failed.add((kind, drawing_id))
                continue
            log.info("drawings.step", **summary)
            done.append(summary)
    return done


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.periodic_task(crontab(minute="*"), name="drawing_scheduler")
    @huey.lock_task("drawing-scheduler")
    def drawing_scheduler() -> int:
        """Every minute: open, close and execute the drawings that are due (`run_due_work`). Returns how many steps
        ran."""
        return len(run_due_work(system))

    @system.jobs.add
    @huey.task(retries=3, retry_delay=10, name="execute_drawing")
    def execute_drawing(drawing_id: str) -> dict[str, Any]:
        """Admin "execute now": close (if still open) and draw `drawing_id` now, exactly like the scheduled step;
        idempotent (a completed drawing returns its stored winners with `replayed=True`). Returns the step summary."""
        return run_step(system, "execute", uuid.UUID(drawing_id))
