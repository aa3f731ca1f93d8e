"""Registration, email verification and password reset (PRODUCT.md §3; issue 4 §1–§4):

- `POST /api/v1/auth/register` → 201 `{"id", "email", "status": "pending"}`; 400 problem with
  `errors: [{"field", "message"}]` (age per state, excluded / non-US state, password rules, email, name, terms).
  An email that already has an account gets the very same 201 answer (with a random id); its owner is emailed.
- `POST /api/v1/auth/verify-email` `{"token"}` → 200 `{"status": "active"}`; 400 for unknown / used / expired.
- `POST /api/v1/auth/forgot-password` `{"email"}` → always 202 with the same body.
- `POST /api/v1/auth/reset-password` `{"token", "new_password"}` → 200; ends the member's browser sessions.

The emailed links point at the configured site (`{PUBLIC_BASE_URL}/verify-email?token=…`, `…/reset-password?token=…`),
never at the request's Host (issue 13 §1). Registration and forgot-password are throttled per IP and per address
(429 problem with `Retry-After`, issue 13 §6). Handlers are sync (worker threads): they hash passwords and write the
database.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api.deps import SystemDep, client_ip
from app.services import signup
from app.web.problems import problem_response
from domain.shared.errors import InvalidInput

router = APIRouter(prefix="/auth", tags=["auth"])
FORGOT_ANSWER = "If an account exists for this email, we sent a link to reset its password."


class RegisterRequest(BaseModel):
    email: str = Field(max_length=320, examples=["new.member@example.com"])
    password: str = Field(max_length=1024, examples=["a-long-unique-passphrase"])
    date_of_birth: date = Field(examples=["1990-05-17"])
    state: str = Field(max_length=16, examples=["TX"])
    display_name: str = Field(max_length=200, examples=["Alex R."])
    accept_terms: bool = Field(examples=[True])


class RegisterResponse(BaseModel):
    id: str
    email: str
    status: str = "pending"


class MessageResponse(BaseModel):
    detail: str


class VerifiedResponse(BaseModel):
    status: str
    detail: str


class TokenRequest(BaseModel):
    token: str = Field(max_length=200)


class ForgotRequest(BaseModel):
    email: str = Field(max_length=320)


class ResetRequest(BaseModel):
    token: str = Field(max_length=200)
    new_password: str = Field(max_length=1024)


def _field_problem(request: Request, exc: InvalidInput) -> JSONResponse:
    errors = exc.extra.get("errors") or [{"field": str(exc.extra.get("field", "")), "message": exc.detail}]
    return problem_response(400, exc.title, exc.detail, type=f"urn:fittrack:problem:{exc.code}", code=exc.code,
                            instance=request.url.path, errors=errors)


@router.post("/register", status_code=201, response_model=RegisterResponse, summary="Create an account",
             responses={400: {"description": "Field errors (problem details with `errors`)"}})
def register(body: RegisterRequest, request: Request, system: SystemDep) -> RegisterResponse | JSONResponse:
    """Create a pending account and email a 24 h verification link (PRODUCT.md §3)."""
    try:
        done = signup.register_account(
            system, email=body.email, password=body.password, date_of_birth=body.date_of_birth, state=body.state,
            display_name=body.display_name, accept_terms=body.accept_terms, ip=client_ip(request))
    except InvalidInput as exc:
        return _field_problem(request, exc)
    return RegisterResponse(id=str(done.id), email=done.email, status=done.status)


@router.post("/verify-email", response_model=VerifiedResponse, summary="Confirm an email with the emailed token",
             responses={400: {"description": "Unknown, used or expired token (problem details)"}})
def verify_email(body: TokenRequest, request: Request, system: SystemDep) -> VerifiedResponse | JSONResponse:
    try:
        user = signup.verify_email(system, body.token)
    except InvalidInput as exc:
        return _field_problem(request, exc)
    return VerifiedResponse(status=user.status, detail="Email confirmed. You can sign in now.")


@router.post("/forgot-password", status_code=202, response_model=MessageResponse, summary="Email a password-reset link")
def forgot_password(body: ForgotRequest, request: Request, system: SystemDep) -> MessageResponse:
    """Always 202 with the same body, whether or not the email has an account (PRODUCT.md §3)."""
    signup.forgot_password(system, body.email, client_ip(request))
    return MessageResponse(detail=FORGOT_ANSWER)


@router.post("/reset-password", response_model=MessageResponse, summary="Set a new password with the emailed token",
             responses={400: {"description": "Password rules or unknown/used/expired token (problem details)"}})
def reset_password(body: ResetRequest, request: Request, system: SystemDep) -> MessageResponse | JSONResponse:
    """1 h single-use token; ends the member's browser sessions."""
    try:
        signup.reset_password(system, body.token, body.new_password)
    except InvalidInput as exc:
        return _field_problem(request, exc)
    return MessageResponse(detail="Your password has been changed. Sign in with the new password.")
