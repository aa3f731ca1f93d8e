"""Accounts: sign-in checks, server-side browser sessions and the admin user list (PRODUCT.md §3, §7).

Emails are stored lower-case; lookups normalise (`strip().lower()`). Password verification is injected (`verify`),
so this module knows nothing of the hashing library; `app.security.passwords.verify_password` is the real one.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from domain.models import BrowserSession, Profile, User
from domain.shared.enums import UserStatus
from domain.shared.errors import AuthenticationFailed, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]
Verify = Callable[[str, str | None], bool]  # (password, stored hash or None for a dummy check)

WRONG_CREDENTIALS = "Email or password is incorrect"
PENDING = "Please verify your email before signing in"
SUSPENDED = "This account is suspended; contact support"
BANNED = "This account is banned; contact support"
LOCKED = "This account is temporarily locked; try again later"
BROWSER_SESSION_TTL_SECONDS = 7 * 86400



def normalize_email(email: str) -> str:
    """The stored form of an email address: surrounding spaces removed, lower-case."""
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this email (compared in its stored form, `normalize_email`), or None. Any status."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def authenticate(session: Session, email: str, password: str, verify: Verify, clock: Clock) -> User:
    """Return the active user whose email and password match (PRODUCT.md §3).

    Raises AuthenticationFailed with `detail`:
    - "Email or password is incorrect" for an unknown email, a wrong password or a deleted account;
    - only once the password is verified: "Please verify your email before signing in" (pending),
      "This account is suspended; contact support", "This account is banned; contact support",
      "This account is temporarily locked; try again later" (`locked_until` in the future).
    `extra["reason"]` is one of `credentials`, `pending`, `suspended`, `banned`, `locked`. Read-only.

    For an unknown email `verify(password, None)` is still called: the verifier checks the password against a dummy
    hash of its own parameters, so an unknown email costs the same time as a wrong password (no enumeration by
    timing, ASVS 6.3.8).
    """
    user = get_user_by_email(session, email)
    if user is None:
        verify(password, None)
        raise AuthenticationFailed(WRONG_CREDENTIALS, reason="credentials")
    if not verify(password, user.password_hash) or user.status == UserStatus.deleted:
        raise AuthenticationFailed(WRONG_CREDENTIALS, reason="credentials")
    if user.status == UserStatus.pending:
        raise AuthenticationFailed(PENDING, reason="pending")
    if user.status == UserStatus.suspended:
        raise AuthenticationFailed(SUSPENDED, reason="suspended")
    if user.status == UserStatus.banned:
        raise AuthenticationFailed(BANNED, reason="banned")
    if user.status != UserStatus.active:
        raise AuthenticationFailed(WRONG_CREDENTIALS, reason="credentials")
    # Hook for the per-account lockout stored on the user (`failed_logins` / `locked_until`), which a later issue
    # writes; nothing sets `locked_until` yet — today's 5-failures lockout is `app.security.ratelimit`'s.
    if user.locked_until is not None and user.locked_until > clock():
        raise AuthenticationFailed(LOCKED, reason="locked")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_browser_session(
    session: Session, user_id: uuid.UUID, clock: Clock, ttl_seconds: int = BROWSER_SESSION_TTL_SECONDS
) -> str:
    """Create a browser session for `user_id` lasting `ttl_seconds` (default 7 days) and return its opaque token
    (`secrets.token_urlsafe(32)`, 256 bits). Only the token's SHA-256 (hex) is stored. Call in a write session."""
    token = secrets.token_urlsafe(32)
    now = clock()
    session.add(BrowserSession(
        token_hash=_token_hash(token), user_id=user_id, created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    ))
    session.flush()
    return token


def resolve_browser_session(session: Session, token: str | None, clock: Clock) -> User | None:
    """The active user behind a browser-session token, or None when the token is unknown, expired, revoked, or
    its user is no longer active (suspended/banned/deleted users lose their sessions at once)."""
    if not token:
        return None
    row = session.exec(
        select(BrowserSession, User)
        .join(User, col(User.id) == col(BrowserSession.user_id))
        .where(BrowserSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    browser_session, user = row
    if browser_session.revoked_at is not None or browser_session.expires_at <= clock():
        return None
    if user.status != UserStatus.active:
        return None
    return user


def end_browser_session(session: Session, token: str | None) -> None:
    """Revoke the browser session behind `token` (sign-out). Unknown tokens are ignored. Call in a write session."""
    if not token:
        return
    browser_session = session.exec(
        select(BrowserSession).where(BrowserSession.token_hash == _token_hash(token))
    ).first()
    if browser_session is not None and browser_session.revoked_at is None:
        browser_session.revoked_at = utcnow()
        session.add(browser_session)
        session.flush()


@dataclass(frozen=True)
class UserSummary:
    """One user as the admin list and `/users/me` show it. Points are whole points; `created_at` is UTC."""

    id: uuid.UUID
    email: str
    role: str
    status: str
    tier_code: str | None
    point_balance: int
    points_earned: int
    display_name: str | None
    created_at: datetime


def _summary_query() -> Select[User, str | None, str | None]:
    return (
        select(User, col(Profile.tier_code), col(Profile.display_name))
        .select_from(User)
        .join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
    )


def _summary(user: User, tier_code: str | None, display_name: str | None) -> UserSummary:
    return UserSummary(
        id=user.id, email=user.email, role=user.role, status=user.status, tier_code=tier_code,
        point_balance=user.point_balance, points_earned=user.points_earned, display_name=display_name,
        created_at=user.created_at,
    )


def list_users(
    session: Session, q: str | None = None, role: str | None = None, status: str | None = None,
    page: int = 1, limit: int = 20,
) -> tuple[list[UserSummary], int]:
    """One page of users for the admin list (PRODUCT.md §7), ordered by email, and the total matching count.

    `q`: case-insensitive "contains" match on email or display name (LIKE wildcards in `q` are literal);
    `role` / `status`: exact values. `page` ≥ 1, `limit` ≥ 1.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if q and q.strip():
        needle = q.strip().lower()
        conditions.append(sa.or_(
            sa.func.lower(User.email).contains(needle, autoescape=True),
            sa.func.lower(Profile.display_name).contains(needle, autoescape=True),
        ))
    if role:
        conditions.append(col(User.role) == role)
    if status:
        conditions.append(col(User.status) == status)
    query = _summary_query().where(*conditions)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(User.email).offset((page - 1) * limit).limit(limit)).all()
    return [_summary(*row) for row in rows], int(total)


def get_user(session: Session, user_id: uuid.UUID) -> User:
    """The user with `user_id`. Raises NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def get_user_summary(session: Session, user_id: uuid.UUID) -> UserSummary:
    """`UserSummary` (with profile display name and tier) for `user_id`. Raises NotFound."""
    row = session.exec(_summary_query().where(User.id == user_id)).first()
    if row is None:
        raise NotFound("No such user")
    return _summary(*row)


def set_dark_mode(session: Session, user_id: uuid.UUID, value: bool | None) -> bool | None:
    """Remember the member's dark-mode choice on their profile (`True` dark, `False` light, `None` follow the
    system; PRODUCT.md §8 "dark mode"). Returns the stored value. Raises NotFound for a user without a profile.
    Call in a write session."""
    profile = session.get(Profile, user_id)
    if profile is None:
        raise NotFound("No such member")
    profile.dark_mode = value
    profile.updated_at = utcnow()
    session.add(profile)
    session.flush()
    return value


def dark_mode_of(session: Session, user_id: uuid.UUID) -> bool | None:
    """The member's remembered dark-mode choice (see `set_dark_mode`); None when unset or without a profile."""
    return session.exec(select(Profile.dark_mode).where(Profile.user_id == user_id)).first()


def member_labels(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """`{user_id: (display name, email)}` for admin screens (one query); the name falls back to the email's local
    part when the member has no profile."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(col(User.id), col(User.email), col(Profile.display_name))
        .join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
        .where(col(User.id).in_(set(user_ids)))
    ).all()
    return {uid: (name or email.split("@", 1)[0], email) for uid, email, name in rows}
