"""Leaderboard upkeep (PRODUCT.md §5): archive the final standings of ended periods every hour, and rebuild the
Redis copy of the boards from the database (the source of truth) every six hours or on demand."""

from __future__ import annotations

import structlog
from huey import crontab

from app.db import read_session, write_session
from app.jobs import huey
from app.leaderboard_store import configured_client, rebuild
from domain.calendar import platform_day
from domain.leaderboards import archive_ended_periods, boards_with_members
from domain.types import utcnow

log = structlog.get_logger(__name__)


def archive_now() -> int:
    """Archive every ended, not yet archived board-period as of today's platform day
    (`domain.leaderboards.archive_ended_periods`: ranked in a read session, stored in a short write transaction).
    Returns the number of archives written."""
    written = archive_ended_periods(read_session, write_session, platform_day(utcnow()), utcnow)
    if written:
        log.info("leaderboards.archived", archives=written)
    return written


@huey.periodic_task(crontab(minute="5"))
@huey.lock_task("leaderboard-archive")
def archive_leaderboards() -> int:
    """Hourly at minute 5: archive ended daily/weekly/monthly boards. Returns the number of archives written."""
    return archive_now()


def rebuild_now() -> int:
    """Rebuild every board with members for today's periods in Redis; 0 (no-op) without `REDIS_URL`."""
    client = configured_client()
    if client is None:
        return 0
    with read_session() as session:
        written = rebuild(session, client, boards_with_members(session), day=platform_day(utcnow()))
    log.info("leaderboards.cache_rebuilt", entries=written)
    return written


@huey.periodic_task(crontab(minute="35", hour="*/6"))
@huey.lock_task("leaderboard-cache-rebuild")
def rebuild_leaderboard_cache() -> int:
    """Every 6 hours (and when enqueued by hand): rebuild the Redis leaderboards from the database. No-op without
    Redis. Returns the number of board entries written."""
    return rebuild_now()
