"""The 15-minute Terra poll (issue 5 §3), the one-connection sync and the backfill after a connection.

- `sync_due_connections` (every 15 minutes): claims the connections that are due (`domain.tracking.connections.
  claim_due`: connected, `next_sync_at` passed; nothing else) and enqueues one `sync_connection` per connection, so
  the work spreads over the Huey workers. Claiming pushes `next_sync_at` out by a lease, so an overlapping run never
  queues the same connection twice; the sync then sets the real next time (15 minutes, or a backoff after a failure).
- `sync_connection(id)`: syncs one connection (`app.services.terra_sync.run_sync`). Used by the periodic run and by
  nothing else — "sync now" runs inline in the request to answer at once.
- `backfill_connection(id)`: enqueued after the commit of an `auth` / `user_reauth` delivery that connected a tracker
  (the `TrackerConnected` event, `app.services.effects`): syncs the connection (the last 30 days on a first
  connection; since the last sync with overlap otherwise) if it is still connected and Terra is configured. A lost
  backfill is caught up by the next 15-minute run.
Without Terra credentials (`TERRA_DEV_ID` / `TERRA_API_KEY` unset) nothing is claimed or fetched.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog
from huey import crontab

from app.adapters.terra.client import TerraNotConfigured
from app.services import terra_sync
from domain.models import TrackerConnection
from domain.shared.enums import ConnectionStatus
from domain.tracking import connections

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)
BATCH = 2000  # connections claimed per 15-minute run at most; the rest stay due for the next run


def sync_connection(system: System, connection_id: uuid.UUID) -> str:
    """Sync one connection; returns the outcome (`synced`, `deferred`, `failed`, `skipped`, `not_configured`).
    Failures are recorded on the connection, not raised (the periodic run retries)."""
    try:
        report = terra_sync.run_sync(system, connection_id)
    except TerraNotConfigured:
        log.warning("sync.not_configured", connection_id=str(connection_id))
        return "not_configured"
    return report.outcome


def backfill_connection(system: System, connection_id: uuid.UUID) -> str:
    """The backfill sync of a connection just made or re-made (see the module docstring); returns the sync outcome,
    `skipped` when the connection is unknown or no longer connected, or `not_configured` without Terra
    credentials (nothing fetched either way)."""
    with system.read() as session:
        conn = session.get(TrackerConnection, connection_id)
        connected = conn is not None and conn.status == ConnectionStatus.connected.value
    if not connected:
        return "skipped"
    if not terra_sync.terra_configured(system):
        return "not_configured"
    return sync_connection(system, connection_id)


def claim_due_connections(system: System, limit: int = BATCH) -> list[uuid.UUID]:
    """Claim the due connections (see `domain.tracking.connections.claim_due`) in one unit of work; returns their
    ids."""
    with system.uow() as uow:
        return connections.claim_due(uow, system.clock(), limit)


def sync_due_connections(system: System) -> int:
    """Enqueue a `sync_connection` of each due connection (none without Terra credentials); returns how many."""
    if not terra_sync.terra_configured(system):
        return 0
    ids = claim_due_connections(system)
    for connection_id in ids:
        system.jobs.enqueue("sync_connection", str(connection_id))
    log.info("sync.queued", count=len(ids))
    return len(ids)


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.task(retries=1, retry_delay=30, name="sync_connection")
    def sync_connection_task(connection_id: str) -> str:
        """Sync one connection (`sync_connection`); returns the outcome."""
        return sync_connection(system, uuid.UUID(connection_id))

    @system.jobs.add
    @huey.task(retries=1, retry_delay=30, name="backfill_connection")
    def backfill_connection_task(connection_id: str) -> str:
        """Backfill a connection just made (`backfill_connection`); returns the outcome."""
        return backfill_connection(system, uuid.UUID(connection_id))

    @system.jobs.add
    @huey.periodic_task(crontab(minute="*/15"), name="sync_due_connections")
    @huey.lock_task("terra-sync-due")
    def sync_due_connections_task() -> int:
        """Every 15 minutes: `sync_due_connections`; returns how many syncs were queued."""
        return sync_due_connections(system)
