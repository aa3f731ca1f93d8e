"""`/api/v1/auth`: sign-in, refresh-token rotation and sign-out for the JSON API (PRODUCT.md §3; issue 4 item 4).

- `POST /login` `{"email", "password"}` → `{"access_token", "refresh_token", "token_type": "bearer", "expires_in"}`.
  Throttled by `app.security.ratelimit` (5/min per account, 20/min per IP, lockout after 5 failures in 15 min) → 429
  problem with `Retry-After`. Wrong email or password → 401 problem "Email or password is incorrect" (the same for
  unknown emails); pending / suspended / banned accounts get their own message only after the password matched.
- `POST /refresh` `{"refresh_token"}` → a new pair; the presented refresh token is spent (rotation on every use).
  Any failure → 401 problem "Invalid or expired refresh token"; reusing a spent token revokes its whole family
  (`domain.accounts.refresh_tokens`).
- `POST /logout` `{"refresh_token"}` with a valid Bearer access token → 204; that token's family is revoked. The
  access token itself lives on until its `exp` (1 h) — clients drop it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, SystemDep
from app.services.signin import verify_credentials
from app.system import System
from domain.accounts import refresh_tokens
from domain.models import User
from domain.shared.errors import AuthenticationFailed

router = APIRouter(prefix="/auth", tags=["auth"])

_PROBLEM_401: dict[int | str, dict[str, Any]] = {
    401: {"description": "Invalid, expired or reused token (problem details)"},
}


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254, examples=["member@demo.fittrack.test"])
    password: str = Field(min_length=1, max_length=1024, examples=["demo-member-pass"])


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=256, description="The refresh token from login or refresh")


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str = Field(description="Opaque, single use: exchange it at POST /api/v1/auth/refresh")
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


def _pair(system: System, user: User, refresh_token: str) -> TokenResponse:
    access_token, expires_in = system.tokens.issue(user.id, user.role)
    return TokenResponse(access_token=access_token, refresh_token=refresh_token, expires_in=expires_in)


@router.post(
    "/login", response_model=TokenResponse, summary="Sign in and get an access token and a refresh token",
    responses={401: {"description": "Wrong credentials or account not usable (problem details)"},
               429: {"description": "Too many attempts (problem details, Retry-After)"}},
)
def login(body: LoginRequest, request: Request, system: SystemDep) -> TokenResponse:
    """Runs in a worker thread (Argon2id verification takes ~0.1 s). Sign-in sequence: `verify_credentials`; then a
    new refresh-token family (`domain.accounts.refresh_tokens.issue_family`)."""
    user = verify_credentials(system, body.email, body.password, request.client.host if request.client else None)
    with system.uow() as uow:
        refresh_token, _ = refresh_tokens.issue_family(uow, user.id, system.clock)
    return _pair(system, user, refresh_token)


@router.post("/refresh", response_model=TokenResponse, summary="Exchange a refresh token for a new pair",
             responses=_PROBLEM_401)
def refresh(body: RefreshRequest, system: SystemDep) -> TokenResponse:
    """Rotation in one write transaction (`domain.accounts.refresh_tokens.rotate`). A refused token's revocation (reuse,
    inactive account) is committed before the 401 is returned."""
    failure: AuthenticationFailed | None = None
    with system.uow() as uow:
        try:
            user, new_token = refresh_tokens.rotate(uow, body.refresh_token, system.clock)
        except AuthenticationFailed as exc:
            failure = exc  # leave the block normally so the revocation commits
    if failure is not None:
        raise failure
    return _pair(system, user, new_token)


@router.post("/logout", status_code=204, summary="Sign out: revoke the refresh token's family",
             responses=_PROBLEM_401)
def logout(body: RefreshRequest, user: CurrentUser, system: SystemDep) -> Response:
    """Revokes the family of `refresh_token` when it belongs to the signed-in user; otherwise does nothing (the
    answer is 204 either way, so it reveals nothing about other tokens)."""
    with system.uow() as uow:
        refresh_tokens.revoke_family(uow, body.refresh_token, system.clock, user_id=user.id)
    return Response(status_code=204)
