"""In-app notifications (PRODUCT.md §6: "Winners are notified by email and in-app"; issue 6 §6).

A notification is one row in a member's inbox (`domain.models.Notification`): a `kind` slug ("drawing_won",
"address_reminder", "prize_forfeited", …), a short title, an optional body and an optional in-app link
("/prizes/<id>"). `read_at` is set when the member opens or dismisses it. The header bell
(`components/notifications_bell.py`) shows the unread count and the latest messages.

Services flush, never commit: the caller owns the transaction (`app.adapters.db.write_session()`, a task, the draw
engine). All times are UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from domain.models import Notification, User
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.events import NotificationAdded
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork

Clock = Callable[[], datetime]

KIND_MAX_CHARS: Final = 32
TITLE_MAX_CHARS: Final = 200
BODY_MAX_CHARS: Final = 1000
LINK_MAX_CHARS: Final = 500
DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 100


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(
    session: UnitOfWork, *, user_id: uuid.UUID, kind: str, title: str, body: str | None = None,
    link: str | None = None, clock: Clock = utcnow,
) -> Notification:
    """Add an unread notification to member `user_id`'s inbox and return it (flushed).

    `kind` is a slug of at most 32 characters; `title` (required) is cut to 200 characters and `body` to 1,000 with
    an ellipsis (a message is never refused for being long); `link` must be an in-app path ("/prizes/…", at most 500
    characters). Records `NotificationAdded` (the header bell updates live). Raises InvalidInput for a blank kind or
    title or a link that is not a same-site path, NotFound for an unknown member."""
    kind = (kind or "").strip()
    title = (title or "").strip()
    if not kind or len(kind) > KIND_MAX_CHARS:
        raise InvalidInput(f"A notification kind of 1 to {KIND_MAX_CHARS} characters is required", field="kind")
    if not title:
        raise InvalidInput("A notification needs a title", field="title")
    if link is not None and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX_CHARS):
        raise InvalidInput("A notification link must be an in-app path such as /prizes/…", field="link")
    if session.get(User, user_id) is None:
        raise NotFound(f"member {user_id} does not exist")
    row = Notification(user_id=user_id, kind=kind, title=_clip(title, TITLE_MAX_CHARS),
                       body=_clip(body.strip(), BODY_MAX_CHARS) if body and body.strip() else None,
                       link=link, created_at=clock())
    session.add(row)
    session.flush()
    session.record(NotificationAdded(user_id))
    return row


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def unread(session: Session, user_id: uuid.UUID, limit: int = DEFAULT_LIMIT) -> list[Notification]:
    """Member `user_id`'s unread notifications, newest first, at most `limit` (1..100; InvalidInput otherwise)."""
    query = (select(Notification)
             .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
             .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
             .limit(_limit(limit)))
    return list(session.exec(query).all())


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    """How many unread notifications member `user_id` has (the bell's badge)."""
    query = select(func.count()).select_from(Notification) \
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    return int(session.exec(query).one())


def recent(session: Session, user_id: uuid.UUID, limit: int = DEFAULT_LIMIT) -> list[Notification]:
    """Member `user_id`'s latest notifications, read or not, newest first, at most `limit` (1..100)."""
    query = (select(Notification).where(Notification.user_id == user_id)
             .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
             .limit(_limit(limit)))
    return list(session.exec(query).all())


def mark_read(
    session: Session, user_id: uuid.UUID, ids: Iterable[uuid.UUID] | Literal["all"], *, clock: Clock = utcnow,
) -> int:
    """Mark member `user_id`'s notifications `ids` (or "all" of them) read; returns how many changed.

    Only the member's own unread rows change: ids of other members' notifications or already-read ones are ignored
    (never an error, so a double click or two open tabs are harmless)."""
    condition = sa.and_(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    if ids != "all":
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        condition = sa.and_(condition, col(Notification.id).in_(wanted))
    result = session.execute(sa.update(Notification).where(condition).values(read_at=clock())
                             .execution_options(synchronize_session=False))
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def get_notification(session: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """One of member `user_id`'s notifications. Raises NotFound (also for another member's notification)."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotFound("No such notification")
    return row
