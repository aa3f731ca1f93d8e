"""The one registration / verification / password-reset sequence (PRODUCT.md §3), shared by the JSON API
(`app/api/registration.py`) and the NiceGUI pages. Blocking (database + Argon2id): call from a worker thread.

Each call: validate → hash the password with `system.passwords` (outside the write transaction, so SQLite's write
lock is not held for the ~0.1 s Argon2id) → one unit of work (`system.uow()`) that changes the account AND queues its
email (`app.services.mail.queue_email`) → after the commit the effects enqueue the send job. Links are
`{PUBLIC_BASE_URL}/verify-email?token=…` and `{PUBLIC_BASE_URL}/reset-password?token=…`, built from configuration
only (`Settings.public_url`, issue 13 §1): a request's `Host` header never reaches an email.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from app.services.mail import queue_email
from domain.accounts import registration
from domain.models import User
from domain.shared.calendar import platform_day
from domain.shared.errors import InvalidInput

if TYPE_CHECKING:
    from app.system import System


@dataclass(frozen=True)
class Registered:
    """What the caller may show: the same shape whether or not the email already had an account. `id` is a random
    id when it had one (the existing account's id is never revealed)."""

    id: uuid.UUID
    email: str
    status: str = "pending"


def _link(system: System, path: str, token: str) -> str:
    """`{PUBLIC_BASE_URL}{path}?token=<token>` (issue 13 §1)."""
    return system.settings.public_url(f"{path}?{urlencode({'token': token})}")


def register_account(
    system: System, *, email: str, password: str, date_of_birth: date, state: str, display_name: str,
    accept_terms: bool, ip: str | None = None,
) -> Registered:
    """Register (see `domain.accounts.registration.register`) and queue the verification email — or, for an email that
    already has an account, the "someone tried to register" email to its owner. Raises `InvalidInput` with
    `extra["errors"]` (field errors), or `RateLimited` first when `ip` or the email address is over its limit
    (`Throttle.check_sensitive("register", …)`, issue 13 §6)."""
    system.throttle.check_sensitive("register", email, ip)
    problems = registration.registration_problems(
        email=email, password=password, date_of_birth=date_of_birth, state=state, display_name=display_name,
        accept_terms=accept_terms, today=platform_day(system.clock()),
    )
    if problems:
        raise InvalidInput(" ".join(p["message"] for p in problems), errors=problems, field=problems[0]["field"])
    hashed = system.passwords.hash(password)
    with system.uow() as uow:
        result = registration.register(
            uow, email=email, password=password, date_of_birth=date_of_birth, state=state,
            display_name=display_name, accept_terms=accept_terms, password_hasher=lambda _: hashed,
            clock=system.clock,
        )
        user = result.user
        if result.created and result.verify_token is not None:
            queue_email(uow, user.email, "verify_email", {
                "display_name": display_name.strip(), "link": _link(system, "/verify-email", result.verify_token)},
                clock=system.clock)
            return Registered(user.id, user.email)
        queue_email(uow, user.email, "registration_attempt", {
            "login_link": system.settings.public_url("/login"),
            "forgot_link": system.settings.public_url("/forgot-password")}, clock=system.clock)
        return Registered(uuid.uuid4(), user.email)


def verify_email(system: System, token: str) -> User:
    """Use a verification token (see `domain.accounts.registration.verify_email`); raises `InvalidInput`."""
    with system.uow() as uow:
        return registration.verify_email(uow, token, system.clock)


RESET_TASK = "send_password_reset"  # tasks/mail.py


def forgot_password(system: System, email: str, ip: str | None = None) -> None:
    """Ask for a reset email: the same work for every address (issue 13 §6 "constant time") — the throttle, then one
    job (`send_password_reset`, tasks/mail.py) that looks the address up and queues the mail when it has an account.
    Whether the address exists is therefore never visible, not even in the response time. Raises `RateLimited`
    when `ip` or the address is over its limit (`Throttle.check_sensitive`)."""
    system.throttle.check_sensitive("forgot-password", email, ip)
    system.jobs.enqueue(RESET_TASK, email.strip()[:320])


def send_password_reset(system: System, email: str) -> bool:
    """The job behind `forgot_password`: queue a reset email when the account exists (True), else nothing (False)."""
    with system.uow() as uow:
        found = registration.request_password_reset(uow, email, system.clock)
        if found is None:
            return False
        user, token = found
        queue_email(uow, user.email, "password_reset", {"link": _link(system, "/reset-password", token)},
                    clock=system.clock)
        return True


def reset_password(system: System, token: str, new_password: str) -> User:
    """Set a new password with a reset token (see `domain.accounts.registration.reset_password`; ends every browser
    session). Raises `InvalidInput` with field errors."""
    problems = registration.password_problems(new_password, "new_password")
    if problems:
        raise InvalidInput(problems[0]["message"], errors=problems, field="new_password")
    hashed = system.passwords.hash(new_password)
    with system.uow() as uow:
        return registration.reset_password(uow, token, new_password, lambda _: hashed, system.clock)
