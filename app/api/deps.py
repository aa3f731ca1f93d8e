"""FastAPI dependencies shared by the routers, as `Annotated` aliases: the `System` of this process, a read session,
the signed-in user (Bearer JWT) and the admin check.

    @router.get("/points/balance")
    def balance(user: CurrentUser, system: SystemDep) -> BalanceOut: ...

The role and status are read from the database row on every request — never trusted from the token alone — so a
suspension or a role change takes effect at once (PRODUCT.md §7).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.web.deps import SystemDep, client_ip, get_system  # noqa: F401  (re-exported for the routers)
from domain.models import User
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import AuthenticationFailed

_bearer = HTTPBearer(auto_error=False, description="RS256 access token from POST /api/v1/auth/login")


def get_session(system: SystemDep) -> Iterator[Session]:
    """A read session for the request (objects stay usable after it closes)."""
    with system.read() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request,
    system: SystemDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The active user named by the Bearer access token, loaded fresh from the database in a short read of its own
    (no connection is held for the rest of the request). 401 problem (with `WWW-Authenticate: Bearer`) when the
    token is missing/invalid or the user is not active."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Missing bearer access token")
    try:
        claims = system.tokens.decode(credentials.credentials)
    except AuthenticationFailed as exc:
        raise _unauthorized(exc.detail) from exc
    with system.read() as session:
        user = session.get(User, uuid.UUID(claims["sub"]))
    if user is None or user.status != UserStatus.active.value:
        raise _unauthorized("The account is not active")
    request.state.user_id = str(user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_admin(user: CurrentUser) -> User:
    """The current user if their (database) role is `admin`; otherwise a 403 problem."""
    if user.role != Role.admin.value:
        raise HTTPException(status_code=403, detail="Administrator role required")
    return user


AdminUser = Annotated[User, Depends(require_admin)]


