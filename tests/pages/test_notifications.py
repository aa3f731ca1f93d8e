"""In-app notifications (`domain.messaging.notifications`, PRODUCT.md §6 "notified … in-app") on SQLite and PostgreSQL,
and the header bell (`components/notifications_bell.py`) through NiceGUI's `user` fixture: unread count, the list,
opening one (marked read, navigates to its link), "Mark all read", and the empty state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nicegui.testing import User as SimulatedUser

from app.system import System
from components.notifications_bell import ago
from domain.messaging import notifications
from domain.shared.errors import InvalidInput, NotFound
from tests.support.builders import make_member
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _clock(start: datetime = T0):  # type: ignore[no-untyped-def]
    moments = iter(start + timedelta(seconds=k) for k in range(10_000))
    return lambda: next(moments)


def test_notify_unread_count_and_mark_read(db_system: System) -> None:
    ada, bob = make_member(db_system), make_member(db_system)
    clock = _clock()
    with write_session(db_system) as session:
        first = notifications.notify(session, user_id=ada.user_id, kind="drawing_won", title="You won!",
                                     body="Ticket #7 won the smartwatch.", link="/prizes/abc", clock=clock)
        second = notifications.notify(session, user_id=ada.user_id, kind="address_reminder",
                                      title="Confirm your address", clock=clock)
        notifications.notify(session, user_id=bob.user_id, kind="drawing_won", title="Bob's", clock=clock)
    with read_session(db_system) as session:
        assert notifications.unread_count(session, ada.user_id) == 2
        assert [n.id for n in notifications.unread(session, ada.user_id)] == [second.id, first.id]  # newest first
        assert notifications.unread(session, ada.user_id, limit=1)[0].id == second.id
    with write_session(db_system) as session:
        # another member's id and an unknown id are ignored; the own one changes
        bob_row = notifications.unread(session, bob.user_id)[0]
        assert notifications.mark_read(session, ada.user_id, [first.id, bob_row.id, uuid.uuid4()], clock=clock) == 1
        assert notifications.mark_read(session, ada.user_id, [first.id], clock=clock) == 0  # already read
        assert notifications.mark_read(session, ada.user_id, [], clock=clock) == 0
    with read_session(db_system) as session:
        assert notifications.unread_count(session, ada.user_id) == 1
        assert notifications.unread_count(session, bob.user_id) == 1
        recent = notifications.recent(session, ada.user_id)
        assert [n.id for n in recent] == [second.id, first.id] and recent[1].read_at is not None
    with write_session(db_system) as session:
        assert notifications.mark_read(session, ada.user_id, "all", clock=clock) == 1
    with read_session(db_system) as session:
        assert notifications.unread_count(session, ada.user_id) == 0
        assert notifications.unread_count(session, bob.user_id) == 1
        assert notifications.get_notification(session, ada.user_id, first.id).title == "You won!"
        with pytest.raises(NotFound):
            notifications.get_notification(session, ada.user_id, bob_row.id)


def test_notify_validates_and_clips(db_system: System) -> None:
    ada = make_member(db_system)
    with write_session(db_system) as session:
        for kwargs in ({"kind": "", "title": "x"}, {"kind": "k" * 33, "title": "x"}, {"kind": "k", "title": "  "},
                       {"kind": "k", "title": "x", "link": "https://evil.example"},
                       {"kind": "k", "title": "x", "link": "//evil.example"}):
            with pytest.raises(InvalidInput):
                notifications.notify(session, user_id=ada.user_id, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            notifications.notify(session, user_id=uuid.uuid4(), kind="k", title="x")
        long = notifications.notify(session, user_id=ada.user_id, kind="k", title="t" * 300, body="b" * 2000)
        assert len(long.title) == 200 and long.title.endswith("…")
        assert long.body is not None and len(long.body) == 1000
        with pytest.raises(InvalidInput):
            notifications.unread(session, ada.user_id, limit=0)


def test_ago() -> None:
    assert ago(T0, T0 + timedelta(seconds=20)) == "just now"
    assert ago(T0, T0 + timedelta(minutes=5)) == "5 min ago"
    assert ago(T0, T0 + timedelta(hours=3)) == "3 h ago"
    assert ago(T0, T0 + timedelta(days=2)) == "2 d ago"
    assert ago(T0, T0 + timedelta(days=30)) == "Nov 21, 2026"


# ------------------------------------------------------------------------------------------------------ the bell
def _notify(user_id: uuid.UUID, title: str, link: str | None = None) -> uuid.UUID:
    with write_session() as session:
        return notifications.notify(session, user_id=user_id, kind="drawing_won", title=title, link=link).id


async def _badge(user: SimulatedUser, text: str) -> None:
    await user.should_see(marker="notifications-count", retries=300)  # hidden until the first count arrives
    badge = next(iter(user.find(marker="notifications-count").elements))
    for _ in range(300):
        if badge.text == text and badge.visible:  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.02)
    assert badge.text == text  # type: ignore[attr-defined]


async def test_bell_shows_unread_and_marks_read(user: SimulatedUser) -> None:
    ada = member(display_name="Ada Lovelace")
    _notify(ada.user_id, "Older news")
    _notify(ada.user_id, "You won the Daily Step-Up Draw!", link="/settings")
    await sign_in(user, email_of(ada.user_id))
    await user.open("/leaderboard")
    await user.should_see(marker="notifications-bell")
    await _badge(user, "2")
    user.find(marker="notifications-bell").click()
    await user.should_see("You won the Daily Step-Up Draw!", retries=300)
    await user.should_see("Older news")
    user.find(marker="notification").click()  # the first (newest) item
    await user.should_see("Change password", retries=300)  # followed the link to /settings
    with read_session() as session:
        assert notifications.unread_count(session, ada.user_id) == 1
    await _badge(user, "1")
    user.find(marker="notifications-mark-all").click()
    for _ in range(300):
        with read_session() as session:
            if notifications.unread_count(session, ada.user_id) == 0:
                break
        await asyncio.sleep(0.05)
    with read_session() as session:
        assert notifications.unread_count(session, ada.user_id) == 0


async def test_bell_empty_state(user: SimulatedUser) -> None:
    ada = member()
    await sign_in(user, email_of(ada.user_id))
    await user.open("/leaderboard")
    user.find(marker="notifications-bell").click()
    await user.should_see("No notifications yet", retries=300)
    await user.should_not_see(marker="notification")
