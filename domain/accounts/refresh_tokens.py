"""Refresh tokens: issue at sign-in, rotate on every use, detect reuse, revoke (issue 4 item 4; PRODUCT.md §3).

Recipe: notes/reliability.md §5.2 — RFC 9700 §4.14.2 (rotation with reuse detection), ASVS 5.0 10.4.5/10.4.8.

- A token is `secrets.token_urlsafe(32)` (256 bits, ASVS 11.5.1); only its SHA-256 (hex) is stored.
- Sign-in starts a *family*. Each token lives `REFRESH_TTL` (30 days) but never beyond the family's absolute expiry,
  `FAMILY_TTL` (30 days) after the family's first sign-in; rotation never extends the family.
- Presenting a token that was already used (rotated) or revoked is *reuse*: the whole family is revoked, so whichever
  party holds the newest token (the member or a thief) must sign in again.
- Concurrency (decision): the presented row is read `FOR UPDATE` (PostgreSQL/Oracle; SQLite's `BEGIN IMMEDIATE`
  write session serialises the same way). Two simultaneous refreshes with the same token therefore run one after
  the other: the first rotates, the second sees a used token — reuse — and revokes the family, including the token
  just issued to the first. At most one succeeds and the family ends revoked. No grace window: a client must not
  send the same refresh token twice (strict RFC 9700 behaviour; a lost response costs one sign-in).

Failures raise `AuthenticationFailed` whose `detail` never says which check failed. A failed `rotate` may still have
*written* (the reuse / inactive-account revocation): the caller commits the session before passing the error on.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from domain.models import RefreshToken, User
from domain.shared.enums import UserStatus
from domain.shared.errors import AuthenticationFailed
from domain.shared.types import utcnow

Clock = Callable[[], datetime]

REFRESH_TTL = timedelta(days=30)
FAMILY_TTL = timedelta(days=30)
INVALID = "Invalid or expired refresh token"


def hash_token(token: str) -> str:
    """The stored form of a refresh token: SHA-256 of its UTF-8 bytes, 64 lower-case hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_row(
    session: Session, user_id: uuid.UUID, family_id: uuid.UUID, family_expires_at: datetime, now: datetime
) -> tuple[str, RefreshToken]:
    token = secrets.token_urlsafe(32)
    row = RefreshToken(
        user_id=user_id, family_id=family_id, token_hash=hash_token(token), issued_at=now,
        expires_at=min(now + REFRESH_TTL, family_expires_at), family_expires_at=family_expires_at,
    )
    session.add(row)
    session.flush()
    return token, row


def issue_family(session: Session, user_id: uuid.UUID, clock: Clock = utcnow) -> tuple[str, RefreshToken]:
    """Start a new family for `user_id` at sign-in. Returns `(token, row)`: the opaque token (give it to the client;
    it is not stored) and its row (expires in 30 days; family absolute expiry 30 days from now). Call in a write
    session; the caller commits."""
    now = clock()
    return _new_row(session, user_id, uuid.uuid4(), now + FAMILY_TTL, now)


def _revoke_family_rows(session: Session, family_id: uuid.UUID, now: datetime) -> int:
    result = session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def rotate(session: Session, token: str, clock: Clock = utcnow) -> tuple[User, str]:
    """Exchange a refresh token for its successor (same family). Returns `(user, new_token)`; the presented token is
    marked used (`used_at`, `replaced_by`) and the successor expires at min(now + 30 days, family absolute expiry).

    Raises AuthenticationFailed ("Invalid or expired refresh token") with `extra["reason"]`:
    - `unknown` / `expired` (token or family past its expiry): nothing written;
    - `reuse` (token already used or revoked): the whole family is revoked;
    - `inactive` (user pending/suspended/banned/deleted): the family is revoked.
    On `reuse` / `inactive` the revocation is flushed into `session`: commit it even though this raised.
    Call in one write session (the row is locked `FOR UPDATE`, see the module notes on concurrency)."""
    now = clock()
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise AuthenticationFailed(INVALID, reason="unknown")
    if row.used_at is not None or row.revoked_at is not None:
        _revoke_family_rows(session, row.family_id, now)
        raise AuthenticationFailed(INVALID, reason="reuse")
    if row.expires_at <= now or row.family_expires_at <= now:
        raise AuthenticationFailed(INVALID, reason="expired")
    user = session.get(User, row.user_id)
    if user is None or user.status != UserStatus.active:
        _revoke_family_rows(session, row.family_id, now)
        raise AuthenticationFailed(INVALID, reason="inactive")
    new_token, successor = _new_row(session, row.user_id, row.family_id, row.family_expires_at, now)
    row.used_at = now
    row.replaced_by = successor.id
    session.add(row)
    session.flush()
    return user, new_token


def revoke_family(
    session: Session, token: str, clock: Clock = utcnow, *, user_id: uuid.UUID | None = None
) -> bool:
    """Sign-out: revoke every token in the family of `token`. With `user_id`, only a token of that user counts.
    Returns True when a family was found (even if already revoked); unknown tokens are ignored (False). Call in a
    write session."""
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))).first()
    if row is None or (user_id is not None and row.user_id != user_id):
        return False
    _revoke_family_rows(session, row.family_id, clock())
    return True


def revoke_all_for_user(session: Session, user_id: uuid.UUID, clock: Clock = utcnow) -> int:
    """Revoke every unrevoked refresh token of `user_id` (password change, ban, account deletion). Returns how many
    rows were revoked. Call in a write session."""
    result = session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=clock())
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
