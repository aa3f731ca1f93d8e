"""Registration, email verification and password reset (PRODUCT.md §3; notes/reliability.md §5).

- `register` validates every field at once (age per state, excluded / non-US states, password rules, email, display
  name, terms) and creates a `pending` member with a 24 h single-use verification token. An email that already has an
  account is never revealed: the caller answers exactly as for a new account and emails the existing owner instead.
- `verify_email` activates the account; `request_password_reset` / `reset_password` use 1 h single-use tokens; a
  reset ends every browser session of the member.

Tokens are `secrets.token_urlsafe(32)` (256 bits); only their SHA-256 (hex) is stored (`email_tokens`). Password
hashing is injected (`password_hasher`, the real one is `app.security.passwords.hash_password`) and so is the clock.
All functions write in the caller's transaction (flushed, not committed).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlmodel import Session, col, select

from domain.accounts import eligibility
from domain.accounts.common_passwords import is_common_password
from domain.accounts.members import create_member
from domain.accounts.refresh_tokens import revoke_all_for_user
from domain.accounts.users import get_user_by_email, normalize_email
from domain.models import BrowserSession, EmailToken, User
from domain.shared.calendar import platform_day
from domain.shared.enums import UserStatus
from domain.shared.errors import InvalidInput

Clock = Callable[[], datetime]
Hasher = Callable[[str], str]

VERIFY = "verify"
RESET = "reset"
VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
DISPLAY_NAME_MAX_LENGTH = 64
OLDEST_BIRTH_YEAR = 1900
# One address, no spaces, one "@", a dot in the domain: a pragmatic check; the verification email proves the rest.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")

INVALID_LINK = "This link is not valid. Request a new one."
USED_LINK = "This link has already been used. Sign in, or request a new one."
EXPIRED_LINK = "This link has expired. Request a new one."


class Registration(NamedTuple):
    """The outcome of `register`. `created` is False when the email already had an account: then `user` is that
    existing account, `verify_token` is None, and the caller sends the "someone tried to register" email while
    answering exactly as for a new account (never reveal `user.id`)."""

    user: User
    verify_token: str | None
    created: bool


def _error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def password_problems(password: str, field: str = "password") -> list[dict[str, str]]:
    """Field errors for a new password (PRODUCT.md §3): at least 10 characters, at most 128, not a common password.
    Empty list when acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return [_error(field, f"Use at least {PASSWORD_MIN_LENGTH} characters.")]
    if len(password) > PASSWORD_MAX_LENGTH:
        return [_error(field, f"Use at most {PASSWORD_MAX_LENGTH} characters.")]
    if is_common_password(password):
        return [_error(field, "This password is too common. Choose one that is harder to guess.")]
    return []


def age_problem(date_of_birth: date, state: str, today: date) -> str | None:
    """Why someone born on `date_of_birth` living in `state` may not join on `today`, or None. The minimum age is
    `domain.accounts.eligibility.minimum_age` (18; 19 in AL/NE; 21 in MS); reaching it on `today` is enough."""
    if date_of_birth > today or date_of_birth.year < OLDEST_BIRTH_YEAR:
        return "Enter your real date of birth."
    if not eligibility.is_old_enough(date_of_birth, state, today):
        age = eligibility.minimum_age(state)
        where = f" in {eligibility.normalize_state(state)}" if age != eligibility.DEFAULT_MINIMUM_AGE else ""
        return f"You must be at least {age} years old to join FitTrack{where}."
    return None


def registration_problems(
    *, email: str, password: str, date_of_birth: date, state: str, display_name: str, accept_terms: bool,
    today: date,
) -> list[dict[str, str]]:
    """Every field error of a registration (empty when valid), in form order. Fields: `email`, `password`,
    `date_of_birth`, `state`, `display_name`, `accept_terms`."""
    errors: list[dict[str, str]] = []
    normalized = normalize_email(email)
    if len(normalized) > 254 or not _EMAIL.match(normalized):
        errors.append(_error("email", "Enter a valid email address, like name@example.com."))
    errors += password_problems(password)
    state_problem = eligibility.state_problem(state)
    if state_problem is not None:
        errors.append(_error("state", state_problem))
    else:
        problem = age_problem(date_of_birth, state, today)
        if problem is not None:
            errors.append(_error("date_of_birth", problem))
    name = display_name.strip()
    if not name or len(name) > DISPLAY_NAME_MAX_LENGTH:
        errors.append(_error("display_name", f"Enter a display name of 1 to {DISPLAY_NAME_MAX_LENGTH} characters."))
    elif any(not ch.isprintable() for ch in name):
        errors.append(_error("display_name", "The display name may not contain control characters."))
    if accept_terms is not True:
        errors.append(_error("accept_terms", "Accept the terms and official rules to join."))
    return errors


def _raise_if(errors: list[dict[str, str]]) -> None:
    if errors:
        detail = " ".join(e["message"] for e in errors)
        raise InvalidInput(detail, errors=errors, field=errors[0]["field"])


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: the only form stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user_id: uuid.UUID, purpose: str, clock: Clock) -> str:
    """Create a single-use `purpose` token (`verify` 24 h, `reset` 1 h) for `user_id` and return it (shown once)."""
    token = secrets.token_urlsafe(32)
    now = clock()
    session.add(EmailToken(
        user_id=user_id, purpose=purpose, token_hash=token_hash(token), created_at=now,
        expires_at=now + (VERIFY_TTL if purpose == VERIFY else RESET_TTL),
    ))
    session.flush()
    return token


def register(
    session: Session, *, email: str, password: str, date_of_birth: date, state: str, display_name: str,
    accept_terms: bool, password_hasher: Hasher, clock: Clock,
) -> Registration:
    """Register a new member (PRODUCT.md §3): a `pending` user + profile and a 24 h verification token.

    Raises `InvalidInput` with `extra["errors"] = [{"field", "message"}, ...]` (all problems at once; `detail` joins
    the messages) and nothing is written. An email that already has an account returns
    `Registration(existing_user, None, created=False)` and writes nothing (non-enumeration: the caller answers the same
    and emails the owner). The password is hashed in both cases, so both take the same time.
    """
    _raise_if(registration_problems(
        email=email, password=password, date_of_birth=date_of_birth, state=state, display_name=display_name,
        accept_terms=accept_terms, today=platform_day(clock()),
    ))
    password_hash = password_hasher(password)
    existing = get_user_by_email(session, email)
    if existing is not None:
        return Registration(existing, None, False)
    user = create_member(
        session, email=email, password_hash=password_hash, display_name=display_name, date_of_birth=date_of_birth,
        state_code=eligibility.normalize_state(state), biological_sex=None, fitness_level="BEG",
        status=UserStatus.pending.value, clock=clock,
    )
    return Registration(user, issue_token(session, user.id, VERIFY, clock), True)


def _use_token(session: Session, token: str, purpose: str, clock: Clock) -> tuple[EmailToken, User]:
    row = session.exec(select(EmailToken).where(EmailToken.token_hash == token_hash(token or ""))).first()
    if row is None or row.purpose != purpose:
        raise InvalidInput(INVALID_LINK, field="token")
    if row.used_at is not None:
        raise InvalidInput(USED_LINK, field="token")
    now = clock()
    if row.expires_at <= now:
        raise InvalidInput(EXPIRED_LINK, field="token")
    user = session.get(User, row.user_id)
    if user is None or user.status == UserStatus.deleted:
        raise InvalidInput(INVALID_LINK, field="token")
    row.used_at = now
    session.add(row)
    return row, user


def verify_email(session: Session, token: str, clock: Clock) -> User:
    """Use a verification token: the pending account becomes `active` with `email_verified_at` = now (an account that
    is already active stays so; suspended/banned ones keep their status). Returns the user.

    Raises `InvalidInput` (field `token`): "This link is not valid…" (unknown), "…already been used…",
    "…has expired…" (older than 24 h)."""
    _, user = _use_token(session, token, VERIFY, clock)
    now = clock()
    if user.email_verified_at is None:
        user.email_verified_at = now
    if user.status == UserStatus.pending:
        user.status = UserStatus.active.value
    user.updated_at = now
    session.add(user)
    session.flush()
    return user


def request_password_reset(session: Session, email: str, clock: Clock) -> tuple[User, str] | None:
    """A 1 h single-use reset token for the account with `email` as `(user, token)`, or None when there is no such
    (non-deleted) account. The caller answers the same either way (PRODUCT.md §3 "never reveal")."""
    user = get_user_by_email(session, email)
    if user is None or user.status == UserStatus.deleted:
        return None
    return user, issue_token(session, user.id, RESET, clock)


def reset_password(session: Session, token: str, new_password: str, password_hasher: Hasher, clock: Clock) -> User:
    """Set a new password with a reset token: the token and every other open reset token of the member are used up,
    the lockout is cleared, all the member's browser sessions are ended (`revoked_at`), and a pending account is
    verified (the email proved the mailbox). Returns the user.

    Raises `InvalidInput` with field errors for `new_password` (see `password_problems`) before the token is
    looked at, or for `token` (unknown / used / expired), and nothing changes."""
    _raise_if(password_problems(new_password, "new_password"))
    _, user = _use_token(session, token, RESET, clock)
    now = clock()
    for other in session.exec(select(EmailToken).where(
        EmailToken.user_id == user.id, EmailToken.purpose == RESET, col(EmailToken.used_at).is_(None),
    )).all():
        other.used_at = now
        session.add(other)
    user.password_hash = password_hasher(new_password)
    user.failed_logins = 0
    user.locked_until = None
    if user.status == UserStatus.pending:
        user.status = UserStatus.active.value
        user.email_verified_at = now
    user.updated_at = now
    session.add(user)
    for browser_session in session.exec(select(BrowserSession).where(
        BrowserSession.user_id == user.id, col(BrowserSession.revoked_at).is_(None),
    )).all():
        browser_session.revoked_at = now
        session.add(browser_session)
    session.flush()
    revoke_all_for_user(session, user.id, clock)  # every API sign-in ends too (ASVS 7.4.3)
    return user
