"""Nightly tier recomputation (PRODUCT.md §3: birthdays move members between age brackets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from huey import crontab

from app.services.profiles import recompute_tiers_now

if TYPE_CHECKING:
    from app.system import System


def register(system: System) -> None:
    """Define this module's tasks on `system.jobs`."""
    huey = system.jobs.huey

    @system.jobs.add
    @huey.periodic_task(crontab(minute="5", hour="9"), name="recompute_tiers")
    @huey.lock_task("tier-recompute")
    def recompute_tiers() -> int:
        """Daily at 09:05 UTC (04:05/05:05 platform time, after the New York day turned): recompute every member's
        tier; the members who moved are re-placed on the Redis boards after the commit. Returns how many members
        changed tier."""
        return recompute_tiers_now(system)
