"""Records Huey task runs in `task_runs` for the admin system page (issue 7 §8: "last run of each periodic task,
failures"), from Huey's signals, in whichever process runs the task (embedded consumer threads or `huey_consumer`).

What is recorded: every start and end of a **periodic** task (one small UPSERT each — a few per minute), and every
failed attempt of **any** task (failures are rare and worth seeing). Ordinary tasks that succeed are not written
down: webhook processing runs thousands of times an hour and a hot bookkeeping row would contend with the real work
(their counts are in the Prometheus metrics, `app.metrics`).

Bookkeeping never breaks a task: a failing write is logged and dropped. Importing this module connects the handlers
(`tasks/__init__.py` imports it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog
from huey.api import PeriodicTask

from app.db import write_session
from app.jobs import huey
from domain import system_status
from domain.types import utcnow

_log = structlog.get_logger("fittrack.task_runs")
_END_SIGNALS = ("complete", "error", "timeout")


def task_name(task: Any) -> str:
    """The name a task is recorded under (the Huey task name: the decorated function's name)."""
    return str(getattr(task, "name", None) or type(task).__name__)


def is_tracked(task: Any) -> bool:
    """Periodic tasks are tracked on every run; other tasks only when they fail."""
    return isinstance(task, PeriodicTask)


def _write(step: Any, name: str, **kwargs: Any) -> None:
    for attempt in range(2):  # a concurrent first insert of the same name loses once, then updates
        try:
            with write_session() as session:
                step(session, name, utcnow(), **kwargs)
            return
        except sa.exc.IntegrityError as exc:
            if attempt:
                _log.warning("task_runs.write_failed", task=name, error=f"{type(exc).__name__}: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - bookkeeping must never fail the task
            _log.warning("task_runs.write_failed", task=name, error=f"{type(exc).__name__}: {exc}"[:300])
            return


def record_start(name: str) -> None:
    """Record that task `name` started now."""
    _write(system_status.record_task_start, name)


def record_end(name: str, error: BaseException | str | None = None) -> None:
    """Record that a run of task `name` ended now, successfully or with `error`."""
    message = None
    if error is not None:
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    _write(system_status.record_task_end, name, error=message)


def _on_executing(signal: str, task: Any, *_args: Any) -> None:
    if is_tracked(task):
        record_start(task_name(task))


def _on_end(signal: str, task: Any, *args: Any) -> None:
    if signal == "complete":
        if is_tracked(task):
            record_end(task_name(task))
        return
    error = args[0] if args and isinstance(args[0], BaseException) else f"task {signal}"
    record_end(task_name(task), error)


huey.signal("executing")(_on_executing)
huey.signal(*_END_SIGNALS)(_on_end)
