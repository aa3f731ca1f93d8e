"""Test helpers for accounts: create users (User + Profile) directly with the domain models."""

from __future__ import annotations

import uuid
from datetime import date

from domain.models import Profile, User
from tests.support.db import hash_password, write_session


def create_account(
    email: str, password: str = "right-password-123", *, role: str = "user", status: str = "active",
    display_name: str = "Test Member", tier_code: str | None = "F-30-39-INT", point_balance: int = 0,
    points_earned: int = 0,
) -> uuid.UUID:
    """Insert a user with a profile in its own committed transaction; returns the user id."""
    with write_session() as session:
        user = User(email=email.lower(), password_hash=hash_password(password), role=role, status=status,
                    point_balance=point_balance, points_earned=points_earned)
        session.add(user)
        session.flush()
        session.add(Profile(user_id=user.id, display_name=display_name, date_of_birth=date(1990, 1, 1),
                            state_code="TX", biological_sex="F", fitness_level="INT", tier_code=tier_code))
        return user.id
