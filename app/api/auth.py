"""`POST /api/v1/auth/login`: email + password → RS256 access token (PRODUCT.md §3).

Throttled by `app.security.ratelimit` (5/min per account, 20/min per IP, lockout after 5 failures in 15 min) →
429 problem with `Retry-After`. Wrong email or password → 401 problem "Email or password is incorrect" (the same for
unknown emails); pending / suspended / banned accounts get their own message only after the password matched.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.security.jwt import issue_access_token
from app.security.signin import verify_credentials
from app.settings import get_settings

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    email: str = Field(min_length=3, max_length=254, examples=["member@demo.fittrack.test"])
    password: str = Field(min_length=1, max_length=1024, examples=["demo-member-pass"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


@router.post(
    "/login", response_model=TokenResponse, summary="Sign in and get an access token",
    responses={401: {"description": "Wrong credentials or account not usable (problem details)"},
               429: {"description": "Too many attempts (problem details, Retry-After)"}},
)
def login(body: LoginRequest, request: Request) -> TokenResponse:
    """Runs in a worker thread (Argon2id verification takes ~0.1 s). Sign-in sequence: `verify_credentials`."""
    user = verify_credentials(body.email, body.password, request.client.host if request.client else None)
    token, expires_in = issue_access_token(user.id, user.role, get_settings())
    return TokenResponse(access_token=token, expires_in=expires_in)
