"""`GET /api/v1/users/{id}/public`: a member's public profile card (PRODUCT.md §5) — name per the member's privacy,
tier, join month, points earned and all-time rank on their board. Never email, date of birth, state or weight.
No sign-in required."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.deps import ReleasingRoute, SessionDep, SystemDep
from domain.competition.public_profiles import public_profile
from domain.shared.calendar import platform_day

router = APIRouter(prefix="/users", tags=["users"], route_class=ReleasingRoute)


class PublicProfileOut(BaseModel):
    """A public profile. `display_name` follows privacy ("Hidden member", "J. D." or the name); `tier_code` null =
    OPEN only; `board` is where `alltime_rank` (1-based, null when not ranked) applies; `join_month` "YYYY-MM";
    `points_earned` whole points, all time."""

    user_id: uuid.UUID
    display_name: str
    tier_code: str | None
    board: str
    join_month: str
    points_earned: int
    alltime_rank: int | None


@router.get("/{user_id}/public", response_model=PublicProfileOut, summary="A member's public profile",
            responses={404: {"description": "No such (active) member"}})
def get_public_profile(user_id: uuid.UUID, session: SessionDep, system: SystemDep) -> PublicProfileOut:
    card = public_profile(session, user_id, platform_day(system.clock()))
    return PublicProfileOut(
        user_id=card.user_id, display_name=card.display_name, tier_code=card.tier_code, board=card.board,
        join_month=card.join_month, points_earned=card.points_earned, alltime_rank=card.alltime_rank,
    )
