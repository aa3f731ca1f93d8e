"""Public profiles (PRODUCT.md §5 "Public profile `/u/{id}`"): display name per privacy, tier, join month, points
earned and the all-time rank on the member's board — never email, date of birth, state or weight."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from domain.accounts import tiers
from domain.accounts.profiles import NOT_PUBLIC_STATUSES
from domain.competition.leaderboards import get_board, shown_name
from domain.models import Profile, User
from domain.shared.calendar import platform_day
from domain.shared.enums import Period
from domain.shared.errors import NotFound

HIDDEN = "hidden"  # Profile.leaderboard_privacy


@dataclass(frozen=True)
class PublicProfile:
    """What anyone may see of a member (PRODUCT.md §5): `display_name` per the member's privacy ("Hidden member",
    "J. D." or the name), `tier_code` (None = OPEN only), `board` (the board `alltime_rank` is on: the tier, else
    OPEN), `join_month` ("2026-11", platform calendar), `points_earned` (whole points, all time) and
    `alltime_rank` (1-based on `board`, None when not on it). Never email, date of birth, state or weight."""

    user_id: uuid.UUID
    display_name: str
    tier_code: str | None
    board: str
    join_month: str
    points_earned: int
    alltime_rank: int | None


def public_profile(session: Session, user_id: uuid.UUID, today: date) -> PublicProfile:
    """The public card of a member (PRODUCT.md §5) as of platform day `today`. Raises NotFound for an unknown,
    pending, banned or deleted member, and for a member whose leaderboard privacy is `hidden`: a hidden member has no
    public card at all, so their points and rank cannot be joined back to their id (issue 13 §5)."""
    row = session.execute(
        sa.select(User.created_at, User.points_earned, User.status, Profile.display_name,  # type: ignore[call-overload]
                  Profile.leaderboard_privacy, Profile.tier_code)
        .join(Profile, col(Profile.user_id) == col(User.id))
        .where(col(User.id) == user_id)
    ).first()
    if row is None or row.status in NOT_PUBLIC_STATUSES or row.leaderboard_privacy == HIDDEN:
        raise NotFound("No such member")
    board_code = row.tier_code or tiers.OPEN_TIER
    board = get_board(session, board=board_code, period=Period.alltime, day=today, viewer_id=user_id, limit=1,
                      around=0)
    return PublicProfile(
        user_id=user_id,
        display_name=shown_name(row.display_name, row.leaderboard_privacy),
        tier_code=row.tier_code,
        board=board_code,
        join_month=platform_day(row.created_at).strftime("%Y-%m"),
        points_earned=int(row.points_earned),
        alltime_rank=board.me.rank if board.me is not None else None,
    )
