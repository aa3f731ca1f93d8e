"""`GET /api/v1/users/me`: the signed-in member's account (PRODUCT.md §3)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel import Session

from app.api.deps import current_user, get_session
from app.api.schemas import UserOut
from domain.accounts import get_user_summary
from domain.models import User

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserOut, summary="The signed-in user")
def me(user: User = Depends(current_user), session: Session = Depends(get_session)) -> UserOut:
    return UserOut.model_validate(get_user_summary(session, user.id))
