"""`GET /api/v1/users/me`: the signed-in member's account (PRODUCT.md §3)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session

from app.api.deps import current_user, get_session
from domain.accounts import get_user_summary
from domain.models import User

router = APIRouter(prefix="/users", tags=["users"])


class Me(BaseModel):
    id: uuid.UUID
    email: str
    role: str
    status: str
    display_name: str | None
    tier_code: str | None
    point_balance: int
    points_earned: int
    created_at: datetime


@router.get("/me", response_model=Me, summary="The signed-in user")
def me(user: User = Depends(current_user), session: Session = Depends(get_session)) -> Me:
    summary = get_user_summary(session, user.id)
    return Me(
        id=summary.id, email=summary.email, role=summary.role, status=summary.status,
        display_name=summary.display_name, tier_code=summary.tier_code, point_balance=summary.point_balance,
        points_earned=summary.points_earned, created_at=summary.created_at,
    )
