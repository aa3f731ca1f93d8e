"""The 15-minute Terra poll (issue 5 §3) and the one-connection sync task.

- `sync_due_connections` (every 15 minutes): claims the connections that are due (`domain.connections.claim_due`:
  connected, `next_sync_at` passed; nothing else) and queues one `sync_connection_task` per connection, so the work
  spreads over the Huey workers. Claiming pushes `next_sync_at` out by a lease, so an overlapping run never queues
  the same connection twice; the sync then sets the real next time (15 minutes, or a backoff after a failure).
- `sync_connection_task(id)`: syncs one connection (`app.terra.sync.run_sync`). Used by the periodic run, by the
  post-connection backfill (`after_connection_event`, called by the webhook task once an `auth` / `user_reauth`
  delivery has been applied) and by nothing else — "sync now" runs inline in the request to answer at once.
Without Terra credentials (`TERRA_DEV_ID` / `TERRA_API_KEY` unset) nothing is claimed or fetched.
"""

from __future__ import annotations

import uuid

import structlog
from huey import crontab
from sqlmodel import select

from app.db import read_session, write_session
from app.jobs import huey
from app.settings import get_settings
from app.terra.client import TerraNotConfigured
from app.terra.sync import run_sync
from domain import connections
from domain.enums import ConnectionStatus
from domain.models import TrackerConnection, WebhookDelivery
from domain.types import utcnow

log = structlog.get_logger(__name__)
BATCH = 2000  # connections claimed per 15-minute run at most; the rest stay due for the next run


def terra_configured() -> bool:
    settings = get_settings()
    return bool(settings.terra_dev_id and settings.terra_api_key)


@huey.task(retries=1, retry_delay=30)
def sync_connection_task(connection_id: str) -> str:
    """Huey task: sync one connection; returns the outcome (`synced`, `deferred`, `failed`, `skipped`,
    `not_configured`). Failures are recorded on the connection, not raised (the periodic run retries)."""
    try:
        report = run_sync(uuid.UUID(connection_id))
    except TerraNotConfigured:
        log.warning("sync.not_configured", connection_id=connection_id)
        return "not_configured"
    return report.outcome


def claim_due_connections(limit: int = BATCH) -> list[uuid.UUID]:
    """Claim the due connections (see `domain.connections.claim_due`) in one write transaction; returns their ids."""
    with write_session() as session:
        return connections.claim_due(session, utcnow(), limit)


@huey.periodic_task(crontab(minute="*/15"))
@huey.lock_task("terra-sync-due")
def sync_due_connections() -> int:
    """Every 15 minutes: queue a sync of each due connection; returns how many were queued."""
    if not terra_configured():
        return 0
    ids = claim_due_connections()
    for connection_id in ids:
        sync_connection_task(str(connection_id))
    log.info("sync.queued", count=len(ids))
    return len(ids)


def after_connection_event(delivery_id: uuid.UUID) -> uuid.UUID | None:
    """After an `auth` or `user_reauth` delivery was applied: queue the backfill sync of the connection it
    connected (the last 30 days on a first connection; since the last sync with overlap otherwise). Returns the
    connection id queued, or None (no connected connection for the delivery's Terra user, or Terra not configured).
    Never raises: the delivery is already processed; a lost backfill is caught up by the next 15-minute run."""
    try:
        with read_session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or not delivery.terra_user_id:
                return None
            conn = session.exec(select(TrackerConnection).where(
                TrackerConnection.terra_user_id == delivery.terra_user_id)).first()
            if conn is None or conn.status != ConnectionStatus.connected.value:
                return None
            connection_id = conn.id
        if not terra_configured():
            return None
        sync_connection_task(str(connection_id))
        return connection_id
    except Exception:  # noqa: BLE001 - see docstring
        log.exception("sync.backfill_enqueue_failed", delivery_id=str(delivery_id))
        return None
