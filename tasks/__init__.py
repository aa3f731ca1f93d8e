"""Huey tasks and periodic schedules (PRODUCT.md §2). Nothing is defined at import: `register_tasks(system)` defines
every task on `system.jobs` (the System's own Huey instance) and registers it by name, so the web process, the
worker (`app/worker.py`) and the tests each get tasks bound to their own System.

Each task module keeps its work in plain functions taking the `System` (testable without a queue) and a
`register(system)` that wraps them as Huey tasks with stable names. Add one module per area to `MODULES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.adapters import metrics
from app.services import task_runs
from tasks import drawings, fulfillment, leaderboards, ledger, mail, sync, system, tiers, webhooks

if TYPE_CHECKING:
    from app.system import System

MODULES = (drawings, fulfillment, leaderboards, ledger, mail, sync, system, tiers, webhooks)


def register_tasks(system: System) -> None:
    """Define every task (and the Huey signal handlers for metrics and the task-run bookkeeping) on
    `system.jobs`, before its consumer starts. Idempotent: a System whose tasks are registered is left as it is."""
    if system.jobs.task_names:
        return
    for module in MODULES:
        module.register(system)
    metrics.install_huey_signals(system.jobs.huey, system.settings)
    task_runs.install(system)
