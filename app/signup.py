"""The one registration / verification / password-reset sequence (PRODUCT.md §3), shared by the JSON API
(`app/api/registration.py`) and the NiceGUI pages. Blocking (database + Argon2id): call from a worker thread.

Each call: validate → hash the password (outside the write transaction, so SQLite's write lock is not held for the
~0.1 s Argon2id) → one write transaction that changes the account AND queues its email (`app.mailer.queue_email`)
→ after commit, enqueue the send task. Links are `{base_url}/verify-email?token=…` and
`{base_url}/reset-password?token=…`, `base_url` being the site the request came to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from app.db import write_session
from app.mailer import enqueue_outbox, queue_email
from app.security.passwords import hash_password
from domain import registration
from domain.calendar import platform_day
from domain.errors import InvalidInput
from domain.models import User
from domain.types import utcnow

LOCK_MINUTES = 15


@dataclass(frozen=True)
class Registered:
    """What the caller may show: the same shape whether or not the email already had an account. `id` is a random
    id when it had one (the existing account's id is never revealed)."""

    id: uuid.UUID
    email: str
    status: str = "pending"


def link(base_url: str, path: str, token: str) -> str:
    """`{base_url}{path}?token=<token>` (base without trailing slash)."""
    return f"{base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def register_account(
    *, email: str, password: str, date_of_birth: date, state: str, display_name: str, accept_terms: bool,
    base_url: str,
) -> Registered:
    """Register (see `domain.registration.register`) and queue the verification email — or, for an email that
    already has an account, the "someone tried to register" email to its owner. Raises `InvalidInput` with
    `extra["errors"]` (field errors)."""
    problems = registration.registration_problems(
        email=email, password=password, date_of_birth=date_of_birth, state=state, display_name=display_name,
        accept_terms=accept_terms, today=platform_day(utcnow()),
    )
    if problems:
        raise InvalidInput(" ".join(p["message"] for p in problems), errors=problems, field=problems[0]["field"])
    hashed = hash_password(password)
    with write_session() as session:
        result = registration.register(
            session, email=email, password=password, date_of_birth=date_of_birth, state=state,
            display_name=display_name, accept_terms=accept_terms, password_hasher=lambda _: hashed, clock=utcnow,
        )
        user = result.user
        if result.created and result.verify_token is not None:
            message = queue_email(session, user.email, "verify_email", {
                "display_name": display_name.strip(), "link": link(base_url, "/verify-email", result.verify_token)})
            answer = Registered(user.id, user.email)
        else:
            message = queue_email(session, user.email, "registration_attempt", {
                "login_link": f"{base_url.rstrip('/')}/login",
                "forgot_link": f"{base_url.rstrip('/')}/forgot-password"})
            answer = Registered(uuid.uuid4(), user.email)
        message_id = message.id
    enqueue_outbox([message_id])
    return answer


def verify_email(token: str) -> User:
    """Use a verification token (see `domain.registration.verify_email`); raises `InvalidInput`."""
    with write_session() as session:
        return registration.verify_email(session, token, utcnow)


def forgot_password(email: str, base_url: str) -> None:
    """Queue a reset email when the account exists; does the same visible nothing otherwise (never reveals)."""
    with write_session() as session:
        found = registration.request_password_reset(session, email, utcnow)
        if found is None:
            return
        user, token = found
        message_id = queue_email(session, user.email, "password_reset",
                                 {"link": link(base_url, "/reset-password", token)}).id
    enqueue_outbox([message_id])


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token (see `domain.registration.reset_password`; ends every browser session).
    Raises `InvalidInput` with field errors."""
    problems = registration.password_problems(new_password, "new_password")
    if problems:
        raise InvalidInput(problems[0]["message"], errors=problems, field="new_password")
    hashed = hash_password(new_password)
    with write_session() as session:
        return registration.reset_password(session, token, new_password, lambda _: hashed, utcnow)


def queue_account_email(user_id: uuid.UUID, template: str) -> None:
    """Queue and enqueue an account notice (`account_locked`, `account_suspended`) for the user's email; for other
    helpers (lockout, admin suspension). Unknown users are ignored."""
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None:
            return
        context: dict[str, object] = {"minutes": LOCK_MINUTES} if template == "account_locked" else {}
        message_id = queue_email(session, user.email, template, context).id
    enqueue_outbox([message_id])
