"""Admin JSON API (`/api/v1/admin/...`, role `admin` checked from the database on every request, PRODUCT.md §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.api.deps import get_session, require_admin
from app.api.pagination import Page, PageParams, page_response
from app.api.schemas import UserOut
from domain.accounts import list_users
from domain.enums import Role, UserStatus
from domain.models import User

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", response_model=Page[UserOut], summary="Search users (admin)")
def admin_users(
    q: str | None = Query(None, max_length=254, description="Contains, case-insensitive: email or display name"),
    role: Role | None = Query(None),
    status: UserStatus | None = Query(None),
    params: PageParams = Depends(),
    _admin: User = Depends(require_admin),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    rows, total = list_users(session, q=q, role=role.value if role else None,
                             status=status.value if status else None, page=params.page, limit=params.limit)
    return page_response([UserOut.model_validate(row) for row in rows], total, params)
