"""Nightly tier recomputation (PRODUCT.md §3: birthdays move members between age brackets)."""

from __future__ import annotations

from huey import crontab

from app.jobs import huey
from app.profile_updates import recompute_tiers_now


@huey.periodic_task(crontab(minute="5", hour="9"))
@huey.lock_task("tier-recompute")
def recompute_tiers() -> int:
    """Daily at 09:05 UTC (04:05/05:05 platform time, after the New York day turned): recompute every member's tier
    and move the Redis board entries of those whose tier changed. Returns how many members changed tier."""
    return recompute_tiers_now()
