"""Test helpers shared by the leaderboard tests: members built directly as rows, points through the real ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from domain.models import LeaderboardArchive, Profile, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.uow import UnitOfWork

USERS: sa.Table = User.__table__  # type: ignore[attr-defined]
PROFILES: sa.Table = Profile.__table__  # type: ignore[attr-defined]
ARCHIVES: sa.Table = LeaderboardArchive.__table__  # type: ignore[attr-defined]

TIER = "M-30-39-INT"
OTHER_TIER = "F-18-29-BEG"
T0 = datetime(2016, 4, 12, 15, 0, tzinfo=UTC)


def make_member(
    session: Session,
    name: str = "Member",
    *,
    tier: str | None = TIER,
    open_opt_in: bool = False,
    privacy: str = "visible",
    status: str = "active",
    user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Insert a user and profile (tier set directly) and return the user id."""
    uid = user_id or uuid.uuid4()
    session.add(User(id=uid, email=f"{uid.hex}@lb.fittrack.test", password_hash="x", status=status))
    session.flush()
    session.add(Profile(
        user_id=uid, display_name=name, date_of_birth=date(1985, 6, 1), state_code="CA",
        biological_sex=tier[0] if tier else None, fitness_level=tier[-3:] if tier else "BEG", tier_code=tier,
        open_tier_opt_in=open_opt_in, leaderboard_privacy=privacy,
    ))
    session.flush()
    return uid


def earn(session: UnitOfWork, user_id: uuid.UUID, day: date, amount: int, at: datetime) -> None:
    """Credit `amount` earned points for platform day `day` at instant `at` through `domain.points.ledger.post`."""
    ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=amount,
                idempotency_key=f"test-earn:{uuid.uuid4()}", platform_day=day, clock=lambda: at)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def uid(n: int) -> uuid.UUID:
    """A deterministic UUID whose canonical string sorts by `n`."""
    return uuid.UUID(int=(n << 64) | 0xABCDEF)
