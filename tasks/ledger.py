"""Nightly ledger audit (PRODUCT.md §4): verify every invariant and record the result as a `LedgerAudit` row."""

from __future__ import annotations

import structlog
from huey import crontab

from app.db import read_session, write_session
from app.jobs import huey
from domain.ledger import verify_invariants

log = structlog.get_logger(__name__)


@huey.periodic_task(crontab(minute="15", hour="8"))  # 08:15 UTC ≈ 03:15/04:15 in New York, after the platform day
@huey.lock_task("ledger-audit")
def audit_ledger() -> bool:
    """Run `domain.ledger.verify_invariants` (a read transaction, so webhook processing is never blocked), record
    the `LedgerAudit`, and log an error listing the problems when any invariant fails."""
    with read_session() as session:
        audit = verify_invariants(session)
    with write_session() as session:
        session.add(audit)
    if audit.ok:
        log.info("ledger.audit_ok", users=audit.users_checked, entries=audit.entries_checked)
    else:
        log.error("ledger.audit_failed", problems=audit.problems)
    return audit.ok
