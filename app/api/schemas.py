"""Response schemas shared by several routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class UserOut(BaseModel):
    """A user as `/users/me` and the admin user list show it (built from `domain.accounts.users.UserSummary`).
    Points are whole points; `created_at` is ISO 8601 UTC."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: str
    status: str
    display_name: str | None
    tier_code: str | None
    point_balance: int
    points_earned: int
    created_at: datetime
