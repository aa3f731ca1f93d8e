"""Members and their sessions: `users`, `profiles`, `browser_sessions` (PRODUCT.md §3)."""

from __future__ import annotations

from domain.models._base import (
    Field,
    SQLModel,
    date,
    datetime,
    day,
    fk,
    flag,
    id_field,
    integer,
    json_col,
    number,
    sa,
    text,
    ts,
    uuid,
)
from domain.shared.enums import LeaderboardPrivacy, Role, UserStatus
from domain.shared.types import GUID

_USER_VERSION = sa.Column("version", sa.Integer(), nullable=False)


class User(SQLModel, table=True):
    """A member or admin. `point_balance` and `points_earned` are caches of the ledger (PRODUCT.md §4);
    only `domain.points.ledger` writes them. `version` is an optimistic-lock counter (bumped on every update)."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("point_balance >= 0", name="balance_nonneg"),
        sa.CheckConstraint("points_earned >= 0", name="earned_nonneg"),
        sa.Index("ix_users_role_status", "role", "status"),
        sa.Index("ix_users_status", "status", "id"),
        sa.Index("ix_users_alltime_rank", "points_earned", "points_earned_at"),
    )

    id: uuid.UUID = id_field()
    email: str = text(254, index=True, unique=True)
    password_hash: str = text(255)
    role: str = text(16, default=Role.user.value)
    status: str = text(16, default=UserStatus.pending.value)
    email_verified_at: datetime | None = ts()
    point_balance: int = integer(0)
    points_earned: int = integer(0)
    points_earned_at: datetime | None = ts()
    active_days: int = integer(0)
    failed_logins: int = integer(0)
    locked_until: datetime | None = ts()
    last_login_at: datetime | None = ts()
    version: int = Field(default=1, sa_column=_USER_VERSION)
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)

    __mapper_args__ = {"version_id_col": _USER_VERSION}


class Profile(SQLModel, table=True):
    """A member's profile. `tier_code` is computed by `domain.accounts.tiers` from sex, age and fitness level; never set
    from client input. `tier_code` is NULL for members who do not state their sex (they compete in OPEN only)."""

    __tablename__ = "profiles"
    __table_args__ = (sa.Index("ix_profiles_tier", "tier_code"), sa.Index("ix_profiles_open", "open_tier_opt_in"))

    user_id: uuid.UUID = Field(sa_column=sa.Column(GUID(), sa.ForeignKey("users.id"), primary_key=True))
    display_name: str = text(64)
    date_of_birth: date = day(nullable=False)
    state_code: str = text(2)
    biological_sex: str | None = text(1, nullable=True)
    fitness_level: str = text(3, default="BEG")
    tier_code: str | None = text(16, nullable=True)
    open_tier_opt_in: bool = flag(False)
    height_inches: float | None = number()
    weight_pounds: float | None = number()
    goals: dict | None = json_col(default_factory=dict)
    timezone: str = text(64, default="America/New_York")
    leaderboard_privacy: str = text(16, default=LeaderboardPrivacy.visible.value)
    # Dark mode for the web pages: True/False as the member chose it in the header; None = follow the system
    dark_mode: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean(), nullable=True))
    created_at: datetime = ts(nullable=False, now=True)
    updated_at: datetime = ts(nullable=False, now=True)


class BrowserSession(SQLModel, table=True):
    """A signed-in browser. `app.storage.user['sid']` holds the opaque token; only its SHA-256 is stored here."""

    __tablename__ = "browser_sessions"

    id: uuid.UUID = id_field()
    token_hash: str = text(64, unique=True, index=True)
    user_id: uuid.UUID = fk("users.id")
    created_at: datetime = ts(nullable=False, now=True)
    expires_at: datetime = ts(nullable=False)
    revoked_at: datetime | None = ts()
