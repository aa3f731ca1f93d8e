"""The one sign-in sequence (PRODUCT.md §3), shared by `POST /api/v1/auth/login` and the NiceGUI login form:
throttle (`app.security.ratelimit`) → verify email + password (`domain.accounts.authenticate` with Argon2id) → count a
wrong email/password toward the account lockout. Blocking (database + ~0.1 s Argon2id): call it from a worker thread.
"""

from __future__ import annotations

from app.db import read_session
from app.security.passwords import verify_password
from app.security.ratelimit import check_login_allowed, record_login_failure
from domain.accounts import authenticate
from domain.errors import AuthenticationFailed
from domain.models import User
from domain.types import utcnow


def verify_credentials(email: str, password: str, ip: str | None) -> User:
    """The active user with this email and password (read in its own read-only session; the returned object stays
    usable after it closes).

    Raises `app.security.ratelimit.RateLimited` (5/min per account, 20/min per IP, 15-minute lockout after 5
    failures) before any password is checked, and `domain.errors.AuthenticationFailed` (see
    `domain.accounts.authenticate`; its `detail` is safe to show). Only a wrong email or password
    (`extra["reason"] == "credentials"`) counts toward the lockout; pending/suspended/banned accounts do not.
    """
    check_login_allowed(email, ip)
    with read_session() as session:
        try:
            return authenticate(session, email, password, verify_password, utcnow)
        except AuthenticationFailed as exc:
            if exc.extra.get("reason") == "credentials" and record_login_failure(email):
                _tell_owner_about_lockout(email)
            raise


def _tell_owner_about_lockout(email: str) -> None:
    """Email the account's owner (if the account exists) that it is locked for 15 minutes; the response to the
    caller is the same either way, so this reveals nothing about which emails exist."""
    from app.signup import queue_account_email
    from domain.accounts import get_user_by_email

    with read_session() as session:
        owner = get_user_by_email(session, email)
    if owner is not None:
        queue_account_email(owner.id, "account_locked")
