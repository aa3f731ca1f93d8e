"""Profile writes for the API and the pages (PRODUCT.md §3, §5): the domain change in one write transaction, then —
after commit — the member's Redis leaderboard entries follow their (possibly new) tier.

One way to do each thing: `app/api/users.py`, `pages/profile.py` and `tasks/tiers.py` all come here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import structlog

from app.db import read_session, write_session
from app.leaderboard_store import refresh_member
from domain import profiles
from domain.calendar import platform_day
from domain.models import Profile, ProfileChangeRequest
from domain.types import utcnow

log = structlog.get_logger(__name__)


def refresh_boards(user_ids: Iterable[uuid.UUID]) -> int:
    """Re-write the members' entries on the Redis boards (all-time and today's periods), taking them off the boards
    they left. Call after commit. No-op (0) without Redis; a Redis failure is logged, never raised (the database is
    the source of truth and the six-hourly rebuild repairs the copy)."""
    written = 0
    today = platform_day(utcnow())
    for user_id in user_ids:
        try:
            with read_session() as session:
                written += refresh_member(session, user_id, [today])
        except Exception:  # noqa: BLE001 — the copy is repaired by tasks.leaderboards.rebuild_leaderboard_cache
            log.warning("profiles.board_refresh_failed", user_id=str(user_id), exc_info=True)
    return written


def save_profile(user_id: uuid.UUID, changes: profiles.ProfileUpdate) -> Profile:
    """`domain.profiles.update_profile` in its own write transaction, then refresh the member's boards.
    Raises what `update_profile` raises (nothing is written then)."""
    with write_session() as session:
        profile = profiles.update_profile(session, user_id, changes, utcnow)
    refresh_boards([user_id])
    return profile


def submit_state_change(user_id: uuid.UUID, new_state: str, reason: str | None) -> ProfileChangeRequest:
    """`domain.profiles.request_state_change` in its own write transaction."""
    with write_session() as session:
        return profiles.request_state_change(session, user_id, new_state, reason, utcnow)


def recompute_tiers_now() -> int:
    """The nightly tier recomputation for today's platform day, then the boards of the members who moved.
    Returns how many members changed tier."""
    with write_session() as session:
        changed = profiles.recompute_tiers(session, platform_day(utcnow()))
    refresh_boards(changed)
    if changed:
        log.info("profiles.tiers_recomputed", changed=len(changed))
    return len(changed)
