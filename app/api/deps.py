"""FastAPI dependencies shared by the routers, as `Annotated` aliases: the `System` of this process, a read session,
the signed-in user (Bearer JWT) and the admin check.

    @router.get("/points/balance")
    def balance(user: CurrentUser, system: SystemDep) -> BalanceOut: ...

The role and status are read from the database row on every request — never trusted from the token alone — so a
suspension or a role change takes effect at once (PRODUCT.md §7).

No database connection is held across a thread hop (issue 12 §1): `current_user` reads the user in a short session
of its own inside its worker thread, and the routers' `ReleasingRoute` runs each sync endpoint in one worker thread
and closes the request's `SessionDep` session there as soon as the endpoint returns — before the response is
validated (on the event loop, no second hop) and sent. (A session still open then would keep its pooled connection while
the request waits for a free thread: under load every connection ends up parked that way and requests time out on
the pool — the collapse measured in issue 12.)
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.web.deps import SystemDep, client_ip, get_system  # noqa: F401  (re-exported for the routers)
from domain.models import User
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import AuthenticationFailed

_bearer = HTTPBearer(auto_error=False, description="RS256 access token from POST /api/v1/auth/login")


async def get_session(system: SystemDep) -> AsyncIterator[Session]:
    """A read session for the request (objects stay usable after it closes). Created on the event loop (no
    connection yet: it checks one out at its first query, in the endpoint's thread); `ReleasingRoute` closes it in
    that thread when the endpoint returns, so the close here finds no connection and does no I/O."""
    with system.read() as session:
        yield session


def release_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a sync endpoint in an async one that runs it in a worker thread (anyio's limiter, as FastAPI would) and
    closes every `Session` it was given — its connection back in the pool — in that same thread right after it
    returns or raises (issue 12 §1). Because the wrapper is async, FastAPI validates and serializes the (small)
    response on the event loop instead of hopping to a second thread for it: one thread hop fewer per request, and
    no connection is held across any hop. Async endpoints are returned as they are (they must not touch a session
    on the event loop anyway). The wrapper keeps the endpoint's name, docstring and signature (FastAPI follows
    `__wrapped__`)."""
    if inspect.iscoroutinefunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        return endpoint

    def call_and_release(kwargs: dict[str, Any]) -> Any:
        try:
            return endpoint(**kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()

    @functools.wraps(endpoint)
    async def run(**kwargs: Any) -> Any:
        return await run_in_threadpool(call_and_release, kwargs)

    return run


class ReleasingRoute(APIRoute):
    """The API routers' route class (`APIRouter(..., route_class=ReleasingRoute)`): endpoints wrapped by
    `release_sessions`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, release_sessions(endpoint), **kwargs)


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


