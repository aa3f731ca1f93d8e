"""Records Huey task runs in `task_runs` for the admin system page (issue 7 §8: "last run of each periodic task,
failures"), from Huey's signals, in whichever process runs the task (embedded consumer threads or `huey_consumer`).

What is recorded: every start and end of a **periodic** task (one small UPSERT each — a few per minute), and every
failed attempt of **any** task (failures are rare and worth seeing). Ordinary tasks that succeed are not written
down: webhook processing runs thousands of times an hour and a hot bookkeeping row would contend with the real work
(their counts are in the Prometheus metrics, `app.adapters.metrics`).

Bookkeeping never breaks a task: a failing write is logged and dropped. `install(system)` connects the handlers to
the System's queue (`tasks.register_tasks` calls it); importing this module connects nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from huey.api import PeriodicTask

from domain.admin import system_status

if TYPE_CHECKING:
    from app.system import System

_log = structlog.get_logger("fittrack.task_runs")
_END_SIGNALS = ("complete", "error", "timeout")


def task_name(task: Any) -> str:
    """The name a task is recorded under (the Huey task name, e.g. `drawing_scheduler`)."""
    return str(getattr(task, "name", None) or type(task).__name__)


def is_tracked(task: Any) -> bool:
    """Periodic tasks are tracked on every run; other tasks only when they fail."""
    return isinstance(task, PeriodicTask)


def _write(system: System, step: Callable[..., Any], name: str, **kwargs: Any) -> None:
    for attempt in range(2):  # a concurrent first insert of the same name loses once, then updates
        try:
            with system.uow() as uow:
                step(uow, name, system.clock(), **kwargs)
            return
        except sa.exc.IntegrityError as exc:
            if attempt:
                _log.warning("task_runs.write_failed", task=name, error=f"{type(exc).__name__}: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - bookkeeping must never fail the task
            _log.warning("task_runs.write_failed", task=name, error=f"{type(exc).__name__}: {exc}"[:300])
            return


def record_start(system: System, name: str) -> None:
    """Record that task `name` started now (`system.clock()`). Never raises."""
    _write(system, system_status.record_task_start, name)


def record_end(system: System, name: str, error: BaseException | str | None = None) -> None:
    """Record that a run of task `name` ended now, successfully or with `error`. Never raises."""
    message = None
    if error is not None:
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    _write(system, system_status.record_task_end, name, error=message)


def install(system: System) -> None:
    """Connect the bookkeeping to the `executing`, `complete`, `error` and `timeout` signals of `system.jobs.huey`
    (writes through `system.uow()`). Call once per System (`tasks.register_tasks`)."""
    huey = system.jobs.huey

    def on_executing(signal: str, task: Any, *_args: Any) -> None:
        if is_tracked(task):
            record_start(system, task_name(task))

    def on_end(signal: str, task: Any, *args: Any) -> None:
        if signal == "complete":
            if is_tracked(task):
                record_end(system, task_name(task))
            return
        error = args[0] if args and isinstance(args[0], BaseException) else f"task {signal}"
        record_end(system, task_name(task), error)

    huey.signal("executing")(on_executing)
    huey.signal(*_END_SIGNALS)(on_end)
