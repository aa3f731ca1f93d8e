"""Leaderboard upkeep (PRODUCT.md §5): archive the final standings of ended periods every hour, and rebuild the
Redis copy of the boards (`system.boards`) from the database (the source of truth) every six hours or on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from huey import crontab

from app.services.system_status import rebuild_cache
from domain.competition.leaderboards import archive_ended_periods
from domain.shared.calendar import platform_day

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)


def archive_now(system: System) -> int:
    """Archive every ended, not yet archived board-period as of today's platform day
    (`domain.competition.leaderboards.archive_ended_periods`: ranked in a read session, stored in a short unit of
    work). Returns the number of archives written."""
    written = archive_ended_periods(system.read, system.uow, platform_day(system.clock()), system.clock)
    if written:
        log.info("leaderboards.archived", archives=written)
    return written


def rebuild_now(system: System) -> int:
    """Rebuild every board with members for today's periods in Redis (`app.services.system_status.rebuild_cache`,
    also behind the admin's "rebuild now"); 0 (no-op) without `REDIS_URL`. Returns the number of board entries
    written."""
    return rebuild_cache(system)


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.periodic_task(crontab(minute="5"), name="archive_leaderboards")
    @huey.lock_task("leaderboard-archive")
    def archive_leaderboards() -> int:
        """Hourly at minute 5: archive ended daily/weekly/monthly boards. Returns the number of archives written."""
        return archive_now(system)

    @system.jobs.add
    @huey.periodic_task(crontab(minute="35", hour="*/6"), name="rebuild_leaderboard_cache")
    @huey.lock_task("leaderboard-cache-rebuild")
    def rebuild_leaderboard_cache() -> int:
        """Every 6 hours (and when enqueued by hand): rebuild the Redis leaderboards from the database. No-op without
        Redis. Returns the number of board entries written."""
        return rebuild_now(system)
