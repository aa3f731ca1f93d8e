"""Account settings: change password, download my data, delete my account (PRODUCT.md §3 "data rights"; issue 4
item 7; notes/reliability.md §5).

- `change_password` needs the current password; the new one follows `domain.accounts.registration.password_problems`.
Every
  browser session (except, optionally, the one making the change) and every refresh-token family end (ASVS 7.4.3).
  Access tokens already issued (JWT, at most 1 h) stay valid until they expire: they are stateless.
- `export_member_data` returns everything stored about the member as JSON-serialisable data.
- `delete_account` needs the password; the account becomes `deleted` and its personal data is erased in place. The
  ledger is append-only and stays as it is: its rows are pseudonymised by the erased identity (the user id no longer
  leads to a name, email or birth date). Tickets stay valid in their drawings, anonymous through the erased profile.

Password hashing and verification are injected (`app.security.passwords.hash_password` / `verify_password` are the
real ones) and so is the clock. All functions write in the caller's transaction (flushed, not committed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from domain.accounts.refresh_tokens import revoke_all_for_user
from domain.accounts.registration import password_problems
from domain.models import (
    Activity,
    BrowserSession,
    DailyPointTotal,
    DailySummary,
    PointTransaction,
    PrizeFulfillment,
    Profile,
    ProfileChangeRequest,
    ReviewItem,
    Ticket,
    TrackerConnection,
    User,
)
from domain.models.mail import EmailToken, OutboxMessage
from domain.shared.enums import ConnectionStatus, LeaderboardPrivacy, Role, UserStatus
from domain.shared.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from domain.shared.events import TierChanged
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]
Hasher = Callable[[str], str]
Verify = Callable[[str, str], bool]

WRONG_CURRENT_PASSWORD = "The current password is incorrect."
WRONG_PASSWORD = "The password is incorrect."
LAST_ADMIN = "You are the last administrator; make someone else an administrator before deleting your account."
# Not an Argon2 string: `verify_password` returns False for it, so no password ever matches again.
UNUSABLE_PASSWORD_HASH = "!deleted-account"
DELETED_EMAIL_DOMAIN = "deleted.fittrack.invalid"  # RFC 2606 `.invalid`: no mail is ever delivered there
DELETED_DISPLAY_NAME = "Deleted member"
# Decision: the date of birth column is NOT NULL; after deletion age eligibility no longer matters, so the real date
# is replaced by this fixed placeholder.
DELETED_DATE_OF_BIRTH = date(1900, 1, 1)
EXPORT_FORMAT = "fittrack-member-export"
EXPORT_VERSION = 1


def deleted_email(user_id: uuid.UUID) -> str:
    """The email a deleted account is left with: `deleted-<uuid>@deleted.fittrack.invalid` (unique, undeliverable)."""
    return f"deleted-{user_id}@{DELETED_EMAIL_DOMAIN}"


def _live_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.status == UserStatus.deleted:
        raise NotFound("No such member")
    return user


def _end_browser_sessions(
    session: Session, user_id: uuid.UUID, now: datetime, keep_token_hash: str | None = None
) -> int:
    conditions = [col(BrowserSession.user_id) == user_id, col(BrowserSession.revoked_at).is_(None)]
    if keep_token_hash is not None:
        conditions.append(col(BrowserSession.token_hash) != keep_token_hash)
    ended = 0
    for row in session.exec(select(BrowserSession).where(*conditions)).all():
        row.revoked_at = now
        session.add(row)
        ended += 1
    session.flush()
    return ended


def change_password(
    session: Session, user_id: uuid.UUID, current_password: str, new_password: str, *,
    verify: Verify, hasher: Hasher, clock: Clock, keep_session_token_hash: str | None = None,
) -> User:
    """Change the member's password (PRODUCT.md §3; ASVS 6.2.3 current password required, 7.4.3 sessions end).

    Order: the current password is checked first, then the new one (`password_problems`, field `new_password`).
    On success the hash is replaced, the lockout counters are cleared, every browser session of the member is ended
    (`revoked_at` = now) except the one whose token SHA-256 is `keep_session_token_hash` (the browser making the
    change), and every refresh-token family is revoked. Returns the user.

    Raises (nothing written): `NotFound` (no such or deleted member); `AuthenticationFailed` "The current password is
    incorrect." (`field="current_password"`); `InvalidInput` with `extra["errors"] = [{"field": "new_password",
    "message"}]`."""
    user = _live_user(session, user_id)
    if not verify(current_password, user.password_hash):
        raise AuthenticationFailed(WRONG_CURRENT_PASSWORD, field="current_password")
    errors = password_problems(new_password, "new_password")
    if errors:
        raise InvalidInput(" ".join(e["message"] for e in errors), errors=errors, field="new_password")
    now = clock()
    user.password_hash = hasher(new_password)
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = now
    session.add(user)
    session.flush()
    _end_browser_sessions(session, user_id, now, keep_session_token_hash)
    revoke_all_for_user(session, user_id, lambda: now)
    session.refresh(user)  # revoke_all_for_user expired every object; reload so the caller can use it after commit
    return user


# ------------------------------------------------------------------------------------------------------- export
def export_filename(day: date) -> str:
    """The download name of an export made on platform day `day`: `fittrack-export-<YYYY-MM-DD>.json`."""
    return f"fittrack-export-{day.isoformat()}.json"


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _record(row: SQLModel, omit: Iterable[str] = ()) -> dict[str, Any]:
    skipped = set(omit)
    return {name: _json_value(getattr(row, name)) for name in type(row).model_fields if name not in skipped}


def _rows(session: Session, model: type[SQLModel], *order_by: Any, where: Any,
          omit: Iterable[str] = ()) -> list[dict[str, Any]]:
    query = select(model).where(where).order_by(*order_by)
    return [_record(row, omit) for row in session.exec(query).all()]


def export_member_data(session: Session, user_id: uuid.UUID, clock: Clock = utcnow) -> dict[str, Any]:
    """Everything stored about the member as JSON-serialisable data (PRODUCT.md §3 "download my data"): times are
    ISO 8601 UTC strings ("2026-11-21T12:00:00Z"), dates "YYYY-MM-DD", UUIDs strings, points whole numbers.

    Keys: `format`, `version`, `exported_at`, `account` (never the password hash), `profile`, `tracker_connections`,
    `daily_summaries`, `activities`, `ledger_entries`, `daily_point_totals`, `review_items`, `tickets`,
    `fulfillments`, `profile_change_requests`, `outbox_messages` (emails sent to the member: subject, template,
    status and times — not the bodies, which may hold still-valid single-use links). Admin ids (`decided_by`) are
    left out: they identify other people. Read-only. Raises `NotFound` (no such or deleted member)."""
    user = _live_user(session, user_id)
    profile = session.get(Profile, user_id)
    mine = {model: col(model.user_id) == user_id  # type: ignore[attr-defined]
            for model in (TrackerConnection, DailySummary, Activity, PointTransaction, DailyPointTotal, ReviewItem,
                          Ticket, PrizeFulfillment, ProfileChangeRequest)}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _json_value(clock()),
        "account": _record(user, omit=("password_hash", "version")),
        "profile": _record(profile) if profile is not None else None,
        "tracker_connections": _rows(session, TrackerConnection, col(TrackerConnection.created_at),
                                     where=mine[TrackerConnection]),
        "daily_summaries": _rows(session, DailySummary, col(DailySummary.summary_date), col(DailySummary.id),
                                 where=mine[DailySummary]),
        "activities": _rows(session, Activity, col(Activity.start_time), col(Activity.id), where=mine[Activity]),
        "ledger_entries": _rows(session, PointTransaction, col(PointTransaction.entry_seq),
                                where=mine[PointTransaction]),
        "daily_point_totals": _rows(session, DailyPointTotal, col(DailyPointTotal.platform_day),
                                    where=mine[DailyPointTotal]),
        "review_items": _rows(session, ReviewItem, col(ReviewItem.created_at), col(ReviewItem.id),
                              omit=("decided_by",), where=mine[ReviewItem]),
        "tickets": _rows(session, Ticket, col(Ticket.created_at), col(Ticket.id), where=mine[Ticket]),
        "fulfillments": _rows(session, PrizeFulfillment, col(PrizeFulfillment.created_at), col(PrizeFulfillment.id),
                              where=mine[PrizeFulfillment]),
        "profile_change_requests": _rows(session, ProfileChangeRequest, col(ProfileChangeRequest.created_at),
                                         col(ProfileChangeRequest.id), omit=("decided_by",),
                                         where=mine[ProfileChangeRequest]),
        "outbox_messages": _rows(session, OutboxMessage, col(OutboxMessage.created_at), col(OutboxMessage.id),
                                 omit=("text_body", "html_body"),
                                 where=sa.func.lower(OutboxMessage.to_address) == user.email.lower()),
    }


# ------------------------------------------------------------------------------------------------------- delete
def delete_account(
    session: UnitOfWork, user_id: uuid.UUID, password: str, *, verify: Verify, clock: Clock,
) -> User:
    """Delete the member's account after password confirmation (PRODUCT.md §3 "data rights"). Returns the user.

    - status `deleted`, role `user`; email → `deleted-<uuid>@deleted.fittrack.invalid`; password hash → unusable;
      last sign-in time and lockout cleared.
    - profile: display name "Deleted member", date of birth → 1900-01-01 (placeholder, the column is NOT NULL),
      height, weight and goals cleared, leaderboard privacy `hidden`, dark-mode choice cleared.
    - tracker connections `revoked`, Terra user ids and scopes cleared (later webhooks for them match nobody).
    - browser sessions and refresh-token families revoked; unused email tokens used up.
    - untouched: ledger rows (append-only; pseudonymised by the erased identity), daily point totals, tickets (stay
      valid, anonymous via the erased profile), fulfillments. Deleted members are left off every leaderboard
      (recorded as `TierChanged`, so the Redis copies drop them after the commit).

    Raises (nothing written): `NotFound` (no such or already deleted member); `AuthenticationFailed` "The password
    is incorrect." (`field="password"`); `Conflict` when the member is the last active administrator."""
    user = _live_user(session, user_id)
    if not verify(password, user.password_hash):
        raise AuthenticationFailed(WRONG_PASSWORD, field="password")
    if user.role == Role.admin:
        other_admins = session.exec(select(sa.func.count()).select_from(User).where(
            User.role == Role.admin.value, User.status == UserStatus.active.value, User.id != user_id)).one()
        if not other_admins:
            raise Conflict(LAST_ADMIN)
    now = clock()
    user.email = deleted_email(user_id)
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.status = UserStatus.deleted.value
    user.role = Role.user.value
    user.last_login_at = None
    user.failed_logins = 0
    user.locked_until = None
    user.updated_at = now
    session.add(user)
    profile = session.get(Profile, user_id)
    if profile is not None:
        profile.display_name = DELETED_DISPLAY_NAME
        profile.date_of_birth = DELETED_DATE_OF_BIRTH
        profile.height_inches = None
        profile.weight_pounds = None
        profile.goals = {}
        profile.leaderboard_privacy = LeaderboardPrivacy.hidden.value
        profile.dark_mode = None
        profile.updated_at = now
        session.add(profile)
    for connection in session.exec(select(TrackerConnection).where(TrackerConnection.user_id == user_id)).all():
        connection.status = ConnectionStatus.revoked.value
        connection.status_message = "Account deleted"
        connection.terra_user_id = None
        connection.scopes = None
        connection.updated_at = now
        session.add(connection)
    for token in session.exec(select(EmailToken).where(
        EmailToken.user_id == user_id, col(EmailToken.used_at).is_(None),
    )).all():
        token.used_at = now
        session.add(token)
    session.flush()
    _end_browser_sessions(session, user_id, now)
    revoke_all_for_user(session, user_id, lambda: now)
    session.refresh(user)  # revoke_all_for_user expired every object; reload so the caller can use it after commit
    session.record(TierChanged(user_id))  # off every board: their rows leave the Redis copies after the commit
    return user
