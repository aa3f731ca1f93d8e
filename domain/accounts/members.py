"""Members: creating a member (user + profile) and linking a tracker connection (PRODUCT.md §3).

These are the building blocks the seed, the real-data replay and (later) registration use. The tier is always
computed here from the profile (`domain.accounts.tiers.tier_code` on today's platform day), never taken from input.
Eligibility rules (age ≥ 18, excluded states, email verification) belong to registration (issue 4); this module only
refuses values the data model cannot hold (unknown sex, fitness level, privacy, role, status).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session, select

from domain.accounts import tiers
from domain.accounts.users import get_user_by_email, normalize_email
from domain.models import Profile, TrackerConnection, User
from domain.shared.calendar import platform_day
from domain.shared.enums import ConnectionStatus, LeaderboardPrivacy, Role, UserStatus
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]


get_member_by_email = get_user_by_email  # the user with this email (case-insensitive), or None


def _check(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}", field=field)


def create_member(
    session: Session,
    *,
    email: str,
    password_hash: str,
    display_name: str,
    date_of_birth: date,
    state_code: str,
    biological_sex: str | None,
    fitness_level: str,
    role: str = Role.user.value,
    status: str = UserStatus.active.value,
    open_tier_opt_in: bool = False,
    leaderboard_privacy: str = LeaderboardPrivacy.visible.value,
    height_inches: float | None = None,
    weight_pounds: float | None = None,
    goals: dict | None = None,
    timezone: str = "America/New_York",
    clock: Clock = utcnow,
) -> User:
    """Create a `User` and its `Profile` in the caller's transaction (flushed, not committed) and return the user.

    `biological_sex` is `M`, `F` or None (None → OPEN tier only); `fitness_level` is `BEG`/`INT`/`ADV`;
    `leaderboard_privacy` is `visible`/`initials`/`hidden`. `tier_code` = `domain.accounts.tiers.tier_code(sex, dob,
    level, today's platform day)` (PRODUCT.md §3). `email_verified_at` is set when `status` is `active`.
    Raises `InvalidInput` for an unknown sex, level, privacy, role or status, or an empty email/display name;
    `Conflict` when the email is already taken (use `get_member_by_email` first for idempotent callers).
    """
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput("email must be a valid address", field="email")
    if not display_name.strip() or len(display_name) > 64:
        raise InvalidInput("display_name must be 1–64 characters", field="display_name")
    if biological_sex is not None:
        _check(biological_sex, tiers.SEXES, "biological_sex")
    _check(fitness_level, tiers.FITNESS_LEVELS, "fitness_level")
    _check(leaderboard_privacy, tuple(p.value for p in LeaderboardPrivacy), "leaderboard_privacy")
    _check(role, tuple(r.value for r in Role), "role")
    _check(status, tuple(s.value for s in UserStatus), "status")
    if len(state_code) != 2 or not state_code.isalpha():
        raise InvalidInput("state_code must be a two-letter US state code", field="state_code")
    if get_member_by_email(session, email) is not None:
        raise Conflict("an account with this email already exists", field="email")

    now = clock()
    tier = tiers.tier_code(biological_sex, date_of_birth, fitness_level, platform_day(now))
    user = User(
        email=email, password_hash=password_hash, role=role, status=status,
        email_verified_at=now if status == UserStatus.active.value else None, created_at=now, updated_at=now,
    )
    session.add(user)
    session.flush()
    session.add(Profile(
        user_id=user.id, display_name=display_name.strip(), date_of_birth=date_of_birth,
        state_code=state_code.upper(), biological_sex=biological_sex, fitness_level=fitness_level, tier_code=tier,
        open_tier_opt_in=open_tier_opt_in, height_inches=height_inches, weight_pounds=weight_pounds,
        goals=goals or {}, timezone=timezone, leaderboard_privacy=leaderboard_privacy, created_at=now, updated_at=now,
    ))
    session.flush()
    return user


def connect_tracker(
    session: Session,
    *,
    user_id: uuid.UUID,
    provider: str,
    terra_user_id: str,
    is_primary: bool | None = None,
    scopes: str | None = None,
    clock: Clock = utcnow,
) -> TrackerConnection:
    """Link a Terra user to a member: a `TrackerConnection` with status `connected` (flushed, not committed). The one
    way connections are made: Terra's `auth` webhook, the seed and the replay all come here.

    Idempotent on (user_id, provider): an existing connection is returned (its Terra user id updated, status set to
    connected). A member has at most one primary tracker: `is_primary=True` makes this one primary (demoting the
    others), `None` makes it primary only when the member has no primary yet, `False` leaves it secondary.
    Raises `NotFound` for an unknown member, `InvalidInput` for an empty provider/Terra id, `Conflict` when the
    Terra user id already belongs to another member's connection.
    """
    provider = provider.strip().upper()
    if not provider or not terra_user_id:
        raise InvalidInput("provider and terra_user_id are required", field="provider")
    if session.get(User, user_id) is None:
        raise NotFound(f"member {user_id} does not exist")
    owner = session.exec(select(TrackerConnection).where(TrackerConnection.terra_user_id == terra_user_id)).first()
    if owner is not None and (owner.user_id != user_id or owner.provider != provider):
        raise Conflict("this Terra user is already connected to another account", field="terra_user_id")
    now = clock()
    connection = session.exec(
        select(TrackerConnection).where(TrackerConnection.user_id == user_id, TrackerConnection.provider == provider)
    ).first()
    if connection is None:
        connection = TrackerConnection(user_id=user_id, provider=provider, created_at=now)
    if connection.status != ConnectionStatus.connected.value or connection.terra_user_id != terra_user_id:
        connection.connected_at = now
    others = session.exec(select(TrackerConnection).where(
        TrackerConnection.user_id == user_id, TrackerConnection.provider != provider)).all()
    if is_primary is None:
        is_primary = connection.is_primary or not any(other.is_primary for other in others)
    if is_primary:
        for other in others:
            if other.is_primary:
                other.is_primary = False
                session.add(other)
    connection.terra_user_id = terra_user_id
    connection.is_primary = is_primary
    connection.scopes = scopes[:500] if scopes else connection.scopes
    connection.status = ConnectionStatus.connected.value
    connection.status_message = None
    connection.updated_at = now
    session.add(connection)
    session.flush()
    return connection
