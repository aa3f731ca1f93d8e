"""The one sign-in sequence (PRODUCT.md §3), shared by `POST /api/v1/auth/login` and the NiceGUI login form:
throttle (`system.throttle`, `app.security.ratelimit`) → verify email + password (`domain.accounts.users.authenticate`
with `system.passwords`, Argon2id) → count a wrong email/password toward the account lockout, and email the owner
when it locks the account. Blocking (database + ~0.1 s Argon2id): call it from a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.services.mail import queue_email
from domain.accounts.users import authenticate, get_user_by_email
from domain.models import User
from domain.shared.errors import AuthenticationFailed

if TYPE_CHECKING:
    from app.system import System

LOCK_MINUTES = 15  # the lockout window of `app.security.ratelimit.LOCKOUT_LIMIT`, told to the owner


def verify_credentials(system: System, email: str, password: str, ip: str | None) -> User:
    """The active user with this email and password (read in its own read-only session; the returned object stays
    usable after it closes).

    Raises `app.security.ratelimit.RateLimited` (5/min per account, 20/min per IP, 15-minute lockout after 5
    failures) before any password is checked, and `domain.shared.errors.AuthenticationFailed` (see
    `domain.accounts.users.authenticate`; its `detail` is safe to show). Only a wrong email or password
    (`extra["reason"] == "credentials"`) counts toward the lockout; pending/suspended/banned accounts do not.
    """
    system.throttle.check_login_allowed(email, ip)
    with system.read() as session:
        try:
            return authenticate(session, email, password, system.passwords.verify, system.clock)
        except AuthenticationFailed as exc:
            if exc.extra.get("reason") == "credentials" and system.throttle.record_login_failure(email):
                _tell_owner_about_lockout(system, email)
            raise


def _tell_owner_about_lockout(system: System, email: str) -> None:
    """Queue the "account locked for 15 minutes" email (`account_locked`) to the account's owner, if the account
    exists; the send job follows the commit. The response to the caller is the same either way, so this reveals
    nothing about which emails exist."""
    with system.read() as session:
        owner = get_user_by_email(session, email)
    if owner is None:
        return
    with system.uow() as uow:
        queue_email(uow, owner.email, "account_locked", {"minutes": LOCK_MINUTES}, clock=system.clock)
