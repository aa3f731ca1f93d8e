"""Nightly ledger audit (PRODUCT.md §4): verify every invariant and record the result as a `LedgerAudit` row."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from huey import crontab

from domain.points.ledger import verify_invariants

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)


def audit_ledger(system: System) -> bool:
    """Run `domain.points.ledger.verify_invariants` (a read transaction, so webhook processing is never blocked),
    record the `LedgerAudit`, and log an error listing the problems when any invariant fails. Returns whether every
    invariant held."""
    with system.read() as session:
        audit = verify_invariants(session, clock=system.clock)
    with system.uow() as uow:
        uow.add(audit)
    if audit.ok:
        log.info("ledger.audit_ok", users=audit.users_checked, entries=audit.entries_checked)
    else:
        log.error("ledger.audit_failed", problems=audit.problems)
    return audit.ok


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.periodic_task(crontab(minute="15", hour="8"), name="audit_ledger")  # ≈ 03:15/04:15 in New York
    @huey.lock_task("ledger-audit")
    def audit_ledger_task() -> bool:
        """Nightly: `audit_ledger`."""
        return audit_ledger(system)
