"""Admin JSON API (`/api/v1/admin/...`, role `admin` checked from the database on every request, PRODUCT.md §7)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session

from app.api.deps import get_session, require_admin
from app.api.pagination import PageParams, page_response
from domain.accounts import list_users
from domain.enums import Role, UserStatus
from domain.models import User

router = APIRouter(prefix="/admin", tags=["admin"])


class AdminUserItem(BaseModel):
    id: uuid.UUID
    email: str
    role: str
    status: str
    tier_code: str | None
    point_balance: int
    points_earned: int
    display_name: str | None


class Pagination(BaseModel):
    page: int
    limit: int
    total: int
    pages: int


class AdminUserPage(BaseModel):
    items: list[AdminUserItem]
    pagination: Pagination


@router.get("/users", response_model=AdminUserPage, summary="Search users (admin)")
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
    items = [AdminUserItem(id=r.id, email=r.email, role=r.role, status=r.status, tier_code=r.tier_code,
                           point_balance=r.point_balance, points_earned=r.points_earned,
                           display_name=r.display_name) for r in rows]
    return page_response(items, total, params)
