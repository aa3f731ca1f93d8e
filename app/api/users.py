"""The signed-in member's account and profile (PRODUCT.md §3, §5):

- `GET /api/v1/users/me`, `PUT /api/v1/users/me` (display name);
- `GET /api/v1/users/me/profile`, `PUT /api/v1/users/me/profile` (every editable profile field; the tier is
  recomputed, never accepted; date of birth and state are read-only);
- `POST /api/v1/users/me/state-change-request` (a state change goes through support).

Bad input → 400 problem details naming the `field`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.api.schemas import UserOut
from app.services.profiles import save_profile, submit_state_change
from domain.accounts import profiles, tiers
from domain.accounts.users import get_user_summary
from domain.models import Profile

router = APIRouter(prefix="/users", tags=["users"], route_class=ReleasingRoute)


class AccountIn(BaseModel):
    """`PUT /users/me` body: the display name (1–64 characters)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str


class ProfileIn(BaseModel):
    """`PUT /users/me/profile` body. Send only the fields to change. `biological_sex` null = not stated (OPEN
    tier only); `height_inches` 36–96, `weight_pounds` 50–700 (null clears); `timezone` an IANA zone;
    `leaderboard_privacy` visible / initials / hidden. `date_of_birth` and `state_code` are accepted only unchanged
    (use the state change request). `tier_code` is not accepted: it is computed."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    biological_sex: str | None = None
    fitness_level: str | None = None
    height_inches: float | None = None
    weight_pounds: float | None = None
    goals: dict[str, Any] | None = None
    timezone: str | None = None
    leaderboard_privacy: str | None = None
    open_tier_opt_in: bool | None = None
    date_of_birth: date | None = None
    state_code: str | None = None


# Fields where null has no meaning other than "not sent" (null is a real value for sex, height, weight, goals).
_NOT_NULLABLE = ("display_name", "fitness_level", "timezone", "leaderboard_privacy", "open_tier_opt_in",
                 "date_of_birth", "state_code")


class ProfileOut(BaseModel):
    """The member's own profile. `tier_code` is computed (null = OPEN only); `boards` are the leaderboards the
    member appears on. Height in inches, weight in pounds, timestamps ISO 8601 UTC."""

    user_id: uuid.UUID
    display_name: str
    date_of_birth: date
    state_code: str
    biological_sex: str | None
    fitness_level: str
    tier_code: str | None
    boards: list[str]
    height_inches: float | None
    weight_pounds: float | None
    goals: dict[str, Any] | None
    timezone: str
    leaderboard_privacy: str
    open_tier_opt_in: bool
    updated_at: datetime


class StateChangeIn(BaseModel):
    """`POST /users/me/state-change-request` body: the new two-letter state and an optional reason (≤ 500)."""

    model_config = ConfigDict(extra="forbid")

    state_code: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=2000)


class StateChangeOut(BaseModel):
    id: uuid.UUID
    field: str
    requested_value: str
    reason: str | None
    status: str
    created_at: datetime


def profile_out(profile: Profile) -> ProfileOut:
    """The API shape of a profile."""
    return ProfileOut(
        user_id=profile.user_id, display_name=profile.display_name, date_of_birth=profile.date_of_birth,
        state_code=profile.state_code, biological_sex=profile.biological_sex, fitness_level=profile.fitness_level,
        tier_code=profile.tier_code, boards=tiers.boards_for(profile.tier_code, profile.open_tier_opt_in),
        height_inches=profile.height_inches, weight_pounds=profile.weight_pounds, goals=profile.goals,
        timezone=profile.timezone, leaderboard_privacy=profile.leaderboard_privacy,
        open_tier_opt_in=profile.open_tier_opt_in, updated_at=profile.updated_at,
    )


@router.get("/me", response_model=UserOut, summary="The signed-in user")
def me(user: CurrentUser, session: SessionDep) -> UserOut:
    return UserOut.model_validate(get_user_summary(session, user.id))


@router.put("/me", response_model=UserOut, summary="Change the signed-in user's display name",
            responses={400: {"description": "Invalid display name (problem details with `field`)"}})
def update_me(body: AccountIn, user: CurrentUser, system: SystemDep) -> UserOut:
    save_profile(system, user.id, profiles.ProfileUpdate(display_name=body.display_name))
    with system.read() as session:  # a fresh snapshot: the request's read session predates the write
        return UserOut.model_validate(get_user_summary(session, user.id))


@router.get("/me/profile", response_model=ProfileOut, summary="The signed-in member's profile and tier")
def my_profile(user: CurrentUser, session: SessionDep) -> ProfileOut:
    return profile_out(profiles.get_profile(session, user.id))


@router.put("/me/profile", response_model=ProfileOut, summary="Change profile fields; the tier is recomputed",
            responses={400: {"description": "Invalid value, or a date of birth / state change (problem details "
                                            "with `field`)"}})
def update_my_profile(body: ProfileIn, user: CurrentUser, system: SystemDep) -> ProfileOut:
    sent = {name: getattr(body, name) for name in body.model_fields_set}
    sent = {k: v for k, v in sent.items() if not (v is None and k in _NOT_NULLABLE)}
    return profile_out(save_profile(system, user.id, profiles.ProfileUpdate.from_dict(sent)))


@router.post("/me/state-change-request", response_model=StateChangeOut, status_code=201,
             summary="Ask support to change the member's state",
             responses={400: {"description": "Not a US state, an excluded state, or the current one"},
                        409: {"description": "A state change request is already pending"}})
def request_state_change(body: StateChangeIn, user: CurrentUser, system: SystemDep) -> StateChangeOut:
    request = submit_state_change(system, user.id, body.state_code, body.reason)
    return StateChangeOut(id=request.id, field=request.field, requested_value=request.requested_value,
                          reason=request.reason, status=request.status, created_at=request.created_at)
