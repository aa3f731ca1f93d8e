"""Profile writes for the API, the pages and the nightly task (PRODUCT.md §3, §5): the domain change in one unit of
work. The domain records `TierChanged` for every member whose tier (or OPEN opt-in) may have moved; after the commit
the effects (`app.services.effects`) re-place those members on the Redis leaderboard copies and push their pages.

One way to do each thing: `app/api/users.py`, `pages/member/profile.py` and `tasks/tiers.py` all come here.
Blocking: call from a worker thread.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog

from domain.accounts import profiles
from domain.models import Profile, ProfileChangeRequest
from domain.shared.calendar import platform_day

if TYPE_CHECKING:
    from app.system import System

log = structlog.get_logger(__name__)


def save_profile(system: System, user_id: uuid.UUID, changes: profiles.ProfileUpdate) -> Profile:
    """`domain.accounts.profiles.update_profile` in its own unit of work (the member's boards follow after the
    commit). Raises what `update_profile` raises (nothing is written then)."""
    with system.uow() as uow:
        return profiles.update_profile(uow, user_id, changes, system.clock)


def submit_state_change(system: System, user_id: uuid.UUID, new_state: str, reason: str | None,
                        ) -> ProfileChangeRequest:
    """`domain.accounts.profiles.request_state_change` in its own unit of work."""
    with system.uow() as uow:
        return profiles.request_state_change(uow, user_id, new_state, reason, system.clock)


def recompute_tiers_now(system: System) -> int:
    """The nightly tier recomputation for today's platform day; the members who moved are re-placed on the boards
    after the commit. Returns how many members changed tier."""
    with system.uow() as uow:
        changed = profiles.recompute_tiers(uow, platform_day(system.clock()))
    if changed:
        log.info("profiles.tiers_recomputed", changed=len(changed))
    return len(changed)
