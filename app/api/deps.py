"""FastAPI dependencies shared by the routers: a DB session, the signed-in user (Bearer JWT) and the admin check.

The role and status are read from the database row on every request — never trusted from the token alone — so a
suspension or a role change takes effect at once (PRODUCT.md §7).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.db import read_session
from app.security.jwt import decode_access_token
from app.settings import get_settings
from domain.enums import Role, UserStatus
from domain.errors import AuthenticationFailed
from domain.models import User

_bearer = HTTPBearer(auto_error=False, description="RS256 access token from POST /api/v1/auth/login")


def get_session() -> Iterator[Session]:
    """A read session for the request (objects stay usable after it closes)."""
    with read_session() as session:
        yield session


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: Session = Depends(get_session),
) -> User:
    """The active user named by the Bearer access token, loaded fresh from the database.
    401 problem (with `WWW-Authenticate: Bearer`) when the token is missing/invalid or the user is not active."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Missing bearer access token")
    try:
        claims = decode_access_token(credentials.credentials, get_settings())
    except AuthenticationFailed as exc:
        raise _unauthorized(exc.detail) from exc
    user = session.get(User, uuid.UUID(claims["sub"]))
    if user is None or user.status != UserStatus.active:
        raise _unauthorized("The account is not active")
    request.state.user_id = str(user.id)
    return user


def require_admin(user: User = Depends(current_user)) -> User:
    """The current user if their (database) role is `admin`; otherwise a 403 problem."""
    if user.role != Role.admin:
        raise HTTPException(status_code=403, detail="Administrator role required")
    return user
