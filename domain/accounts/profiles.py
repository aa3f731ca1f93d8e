"""Member profiles (PRODUCT.md §3, §5): editing the profile, the tier that follows from it, state-change requests
and the public profile card.

Rules:
- The tier code is always computed here with `domain.accounts.tiers.tier_code` on today's platform day
(America/New_York);
  it is never taken from input. It is recomputed on every profile change and nightly (`recompute_all_tiers`), since
  birthdays move members between age brackets. Ages increase on the birthday; a Feb 29 birthday counts on Mar 1 in
  non-leap years (`domain.accounts.tiers.age_on`).
- Date of birth and state cannot be changed by the member after registration. A state change goes through support:
  `request_state_change` records a pending `ProfileChangeRequest` that admins see (`list_change_requests`).
- The public profile never carries email, date of birth, state or weight; the name follows the member's privacy.

Services flush, never commit: the caller owns the transaction. Leaderboard copies (Redis) are refreshed by the
caller after commit (`app.services.profiles`).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final
from zoneinfo import available_timezones

from sqlmodel import Session, col, select

from domain.accounts import tiers
from domain.accounts.eligibility import normalize_state, state_problem
from domain.models import Profile, ProfileChangeRequest
from domain.shared.calendar import platform_day
from domain.shared.enums import LeaderboardPrivacy, UserStatus
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.events import TierChanged
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]

STATE_FIELD = "state_code"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
HEIGHT_RANGE_INCHES: Final = (36.0, 96.0)
WEIGHT_RANGE_POUNDS: Final = (50.0, 700.0)
GOALS_MAX_CHARS: Final = 4000
REASON_MAX_CHARS: Final = 500
LOCKED_FIELDS: Final = {
    "date_of_birth": "Date of birth cannot be changed after registration.",
    "state_code": "State cannot be changed here; send a state change request to support instead.",
}
PRIVACY_VALUES: Final = tuple(p.value for p in LeaderboardPrivacy)
NOT_PUBLIC_STATUSES: Final = (UserStatus.pending.value, UserStatus.banned.value, UserStatus.deleted.value)


class _Unset:
    """Marker for "field not sent" (distinct from None, which means "not stated" / "clear")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


@dataclass(frozen=True)
class ProfileUpdate:
    """The fields a member asks to change; fields left `UNSET` stay as they are.

    - `display_name`: 1–64 characters (surrounding spaces removed);
    - `biological_sex`: "M", "F" or None (not stated → OPEN tier only);
    - `fitness_level`: "BEG", "INT" or "ADV";
    - `height_inches` 36–96 in, `weight_pounds` 50–700 lb, or None to clear;
    - `goals`: a JSON object (≤ 4000 characters serialised) or None to clear;
    - `timezone`: an IANA zone name such as "America/Chicago";
    - `leaderboard_privacy`: "visible", "initials" or "hidden"; `open_tier_opt_in`: bool;
    - `date_of_birth`, `state_code`: accepted only unchanged (refused otherwise; PRODUCT.md §3).
    """

    display_name: str | _Unset = UNSET
    biological_sex: str | None | _Unset = UNSET
    fitness_level: str | _Unset = UNSET
    height_inches: float | None | _Unset = UNSET
    weight_pounds: float | None | _Unset = UNSET
    goals: dict[str, Any] | None | _Unset = UNSET
    timezone: str | _Unset = UNSET
    leaderboard_privacy: str | _Unset = UNSET
    open_tier_opt_in: bool | _Unset = UNSET
    date_of_birth: date | _Unset = UNSET
    state_code: str | _Unset = UNSET

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ProfileUpdate:
        """Build from the fields present in `values` (unknown keys raise InvalidInput naming the field)."""
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise InvalidInput(f"{key} is not a profile field", field=key)
        return cls(**values)

    def sent(self) -> dict[str, Any]:
        """The fields that were sent, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not isinstance(getattr(self, f.name), _Unset)}


# ----------------------------------------------------------------------------------------------- validation
@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True for an IANA time zone name known to this system's tz database (e.g. "America/Chicago", "UTC")."""
    return name in _zones()


def _choice(value: object, allowed: tuple[str, ...], field: str, label: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{label} must be one of {', '.join(allowed)}", field=field)
    return value


def _measure(value: object, bounds: tuple[float, float], field: str, label: str, unit: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{label} must be a number of {unit}", field=field)
    low, high = bounds
    if not low <= float(value) <= high:
        raise InvalidInput(f"{label} must be between {low:g} and {high:g} {unit}", field=field)
    return float(value)


def _goals(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("Goals must be a JSON object", field="goals")
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Goals must be a JSON object", field="goals") from exc
    if len(text) > GOALS_MAX_CHARS:
        raise InvalidInput(f"Goals must be at most {GOALS_MAX_CHARS} characters as JSON", field="goals")
    return value


def _validated(profile: Profile, changes: ProfileUpdate) -> dict[str, Any]:
    """The new column values for `changes` (every check done before anything is written)."""
    out: dict[str, Any] = {}
    for name, value in changes.sent().items():
        if name == "date_of_birth":
            if value != profile.date_of_birth:
                raise InvalidInput(LOCKED_FIELDS[name], field=name)
        elif name == "state_code":
            if not isinstance(value, str) or normalize_state(value) != profile.state_code:
                raise InvalidInput(LOCKED_FIELDS[name], field=name)
        elif name == "display_name":
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > 64:
                raise InvalidInput("Display name must be 1–64 characters", field=name)
            out[name] = value.strip()
        elif name == "biological_sex":
            out[name] = None if value is None else _choice(value, tiers.SEXES, name, "Biological sex")
        elif name == "fitness_level":
            out[name] = _choice(value, tiers.FITNESS_LEVELS, name, "Fitness level")
        elif name == "height_inches":
            out[name] = _measure(value, HEIGHT_RANGE_INCHES, name, "Height", "inches")
        elif name == "weight_pounds":
            out[name] = _measure(value, WEIGHT_RANGE_POUNDS, name, "Weight", "pounds")
        elif name == "goals":
            out[name] = _goals(value)
        elif name == "timezone":
            if not isinstance(value, str) or not is_valid_timezone(value):
                raise InvalidInput("Time zone must be an IANA zone name such as America/Chicago", field=name)
            out[name] = value
        elif name == "leaderboard_privacy":
            out[name] = _choice(value, PRIVACY_VALUES, name, "Leaderboard privacy")
        elif name == "open_tier_opt_in":
            if not isinstance(value, bool):
                raise InvalidInput("Open-tier opt-in must be true or false", field=name)
            out[name] = value
    return out


# ---------------------------------------------------------------------------------------------------- services
def get_profile(session: Session, user_id: uuid.UUID) -> Profile:
    """The member's profile. Raises NotFound when the member has none."""
    profile = session.get(Profile, user_id)
    if profile is None:
        raise NotFound(f"member {user_id} has no profile")
    return profile


def update_profile(session: UnitOfWork, user_id: uuid.UUID, changes: ProfileUpdate, clock: Clock = utcnow) -> Profile:
    """Apply `changes` to the member's profile and recompute the tier (PRODUCT.md §3); flushed, not committed.

    The tier is `domain.accounts.tiers.tier_code(sex, date of birth, fitness level, today's platform day)` — None when
    sex is not stated (OPEN only). All fields are checked before anything changes. Raises NotFound for a member
    without a profile; InvalidInput (with `field`) for a bad value, or for a changed date of birth or state.
    Records `TierChanged` (the member's leaderboard rows are re-placed after the commit)."""
    profile = get_profile(session, user_id)
    values = _validated(profile, changes)
    for name, value in values.items():
        setattr(profile, name, value)
    now = clock()
    profile.tier_code = tiers.tier_code(
        profile.biological_sex, profile.date_of_birth, profile.fitness_level, platform_day(now))
    profile.updated_at = now
    session.add(profile)
    session.flush()
    session.record(TierChanged(user_id))
    return profile


def request_state_change(
    session: Session, user_id: uuid.UUID, new_state: str, reason: str | None = None, clock: Clock = utcnow,
) -> ProfileChangeRequest:
    """Record a pending request to move the member's state to `new_state` (a two-letter US state code, not an
    excluded one — `domain.accounts.eligibility`); admins decide it (PRODUCT.md §3). Flushed, not committed.

    Raises NotFound (no profile); InvalidInput with `field="state_code"` for a non-US, excluded or unchanged state,
    `field="reason"` for a reason over 500 characters; Conflict when a state request is already pending."""
    profile = get_profile(session, user_id)
    code = normalize_state(new_state)
    problem = state_problem(code)
    if problem is not None:
        raise InvalidInput(problem, field=STATE_FIELD)
    if code == profile.state_code:
        raise InvalidInput(f"Your state is already {code}", field=STATE_FIELD)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX_CHARS:
        raise InvalidInput(f"Reason must be at most {REASON_MAX_CHARS} characters", field="reason")
    pending = session.exec(select(ProfileChangeRequest).where(
        ProfileChangeRequest.user_id == user_id, ProfileChangeRequest.field == STATE_FIELD,
        ProfileChangeRequest.status == PENDING)).first()
    if pending is not None:
        raise Conflict("A state change request is already waiting for support", field=STATE_FIELD)
    request = ProfileChangeRequest(user_id=user_id, field=STATE_FIELD, requested_value=code, reason=reason,
                                   status=PENDING, created_at=clock())
    session.add(request)
    session.flush()
    return request


def list_change_requests(session: Session, status: str | None = PENDING) -> list[ProfileChangeRequest]:
    """Profile change requests with `status` (all when None), oldest first — the admins' support queue."""
    query = select(ProfileChangeRequest).order_by(col(ProfileChangeRequest.created_at), col(ProfileChangeRequest.id))
    if status is not None:
        query = query.where(ProfileChangeRequest.status == status)
    return list(session.exec(query).all())


def recompute_tiers(session: UnitOfWork, today: date) -> list[uuid.UUID]:
    """Recompute every stated-sex member's tier for platform day `today` (birthdays move age brackets,
    PRODUCT.md §3) and store the ones that changed (flushed). Returns the user ids whose tier changed."""
    profiles = session.exec(select(Profile).where(col(Profile.biological_sex).is_not(None))).all()
    changed: list[uuid.UUID] = []
    for profile in profiles:
        tier = tiers.tier_code(profile.biological_sex, profile.date_of_birth, profile.fitness_level, today)
        if tier != profile.tier_code:
            profile.tier_code = tier
            session.add(profile)
            changed.append(profile.user_id)
            session.record(TierChanged(profile.user_id))
    session.flush()
    return changed


def recompute_all_tiers(session: UnitOfWork, today: date) -> int:
    """`recompute_tiers` returning only how many members changed tier."""
    return len(recompute_tiers(session, today))
