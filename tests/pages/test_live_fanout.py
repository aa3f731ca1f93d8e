"""Live push that fans out (issue 12 §2): one shared board read per batch for every page showing the board, each page
given exactly what `get_board` would give its viewer; the header balance comes from the message."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from nicegui import ui
from nicegui.testing import User as SimulatedUser

from app import messages
from app.system import System
from app.web import realtime
from app.web.live_boards import view_for
from components.leaderboard_table import leaderboard_table
from domain.competition import leaderboards
from domain.shared.calendar import platform_day
from domain.shared.enums import Period
from domain.shared.types import utcnow
from tests.pages.conftest import PointsProbe
from tests.pages.test_realtime import _listener_ready, _until
from tests.support.leaderboards import OTHER_TIER, TIER, at, earn, make_member
from tests.support.members import email_of, member, send_daily, sign_in

DAY = date(2016, 4, 12)


def _board(system: System, viewer: uuid.UUID | None, *, board: str = TIER, period: Period = Period.daily,
           limit: int = leaderboards.DEFAULT_LIMIT) -> leaderboards.Board:
    with system.read() as session:
        return leaderboards.get_board(session, board=board, period=period, day=DAY, viewer_id=viewer, limit=limit)


@pytest.mark.parametrize("period", [Period.daily, Period.alltime])
def test_a_viewers_cut_of_the_shared_read_is_their_own_board(system: System, period: Period) -> None:
    """130 members (every third shows initials, every seventh is hidden): for viewers all over the board, the cut of
    one viewer-less read equals `get_board(viewer_id=...)`: top 100, own row with their own name, ±10 window."""
    with system.uow() as uow:
        ids = []
        for i in range(130):
            privacy = "hidden" if i % 7 == 0 else "initials" if i % 3 == 0 else "visible"
            user_id = make_member(uow, f"Runner Number{i}", privacy=privacy, open_opt_in=i % 2 == 0)
            if i < 120:  # ten members without points, ranked last
                earn(uow, user_id, DAY, 10 + (i * 37) % 500, at(i))
            ids.append(user_id)
        outsider = make_member(uow, "Other Tier", tier=OTHER_TIER)
    shared = _board(system, None, period=period, limit=leaderboards.DEFAULT_LIMIT + leaderboards.AROUND)
    assert len(shared.entries) < shared.total_members  # a partial read: the top 110 of 130
    checked = 0
    for viewer in [*ids[::9], outsider]:
        own = _board(system, viewer, period=period)
        cut = view_for(shared, viewer, own.me.display_name if own.me else None)
        if own.me is not None and own.me.rank + leaderboards.AROUND > len(shared.entries):
            assert cut is None  # below the shared rows: the hub reads this viewer's board on its own
            continue
        if own.me is None:
            assert cut is None  # not among the rows of a partial read: maybe further down, so ask
            continue
        assert cut == own, f"viewer at rank {own.me.rank}"
        checked += 1
    assert checked >= 10
    # the viewer's own name is needed for their row (privacy applies to everyone else)
    hidden_viewer = ids[7]
    assert view_for(shared, hidden_viewer, None) is None
    # a shared read that covers the whole board answers for anyone, on the board or not
    whole = _board(system, None, period=period, limit=1_000)
    assert view_for(whole, outsider, None) == _board(system, outsider, period=period)
    deep = ids[125]  # no points: near the bottom
    assert view_for(whole, deep, "Runner Number125") == _board(system, deep, period=period)


async def test_one_read_per_batch_for_every_page_showing_the_board(
        user: SimulatedUser, create_user: Callable[[], SimulatedUser], system: System,
        live: realtime.LiveFeed, landed: PointsProbe) -> None:
    today = platform_day(utcnow())
    viewers = [member(display_name=f"Viewer {i}", biological_sex="M", fitness_level="BEG") for i in range(3)]
    rival = member(display_name="Rival Runner", biological_sex="M", fitness_level="BEG")
    for i, viewer in enumerate(viewers):
        send_daily(viewer.terra_user_id, today, steps=4_000 + 1_000 * i)
    await landed.wait_for(*(v.user_id for v in viewers))

    tables: dict[uuid.UUID, leaderboard_table] = {}
    balances = {}
    for i, viewer in enumerate(viewers):
        browser = user if i == 0 else create_user()
        await sign_in(browser, email_of(viewer.user_id))
        await browser.open("/leaderboard?period=daily")
        await browser.should_see(marker="my-rank")
        table = browser.find(kind=leaderboard_table, marker="board").elements.pop()
        await _until(lambda t=table: t.updates == 1 and len(t.rows) == 4)
        tables[viewer.user_id] = table
        balances[viewer.user_id] = browser.find(kind=ui.label, marker="balance").elements.pop()
    hub = live.boards
    assert hub is not None
    await _until(lambda: hub.pages() == 3)
    await _listener_ready(system)
    reads, deliveries, fallbacks = hub.shared_reads, hub.deliveries, hub.fallback_reads

    send_daily(rival.terra_user_id, today, steps=15_000)  # the rival takes the lead
    await _until(lambda: all(t.rows[0]["member"] == "Rival Runner" for t in tables.values()))
    assert hub.shared_reads > reads and hub.fallback_reads == fallbacks
    assert hub.deliveries - deliveries == 3 * (hub.shared_reads - reads)  # one read served all three pages

    for viewer_id, table in tables.items():  # each page shows exactly its viewer's board
        board = await _read_board(system, viewer_id, today)
        assert [(r["member"], r["points"], r["is_viewer"]) for r in table.rows] == \
            [(e.display_name, e.points, e.is_viewer) for e in board.entries]
        assert table.rows[0]["flash"] is True
    # the viewers' balances did not change; nothing re-read them
    assert all(label.text == f"{_balance(system, v):,}" for v, label in balances.items())


async def _read_board(system: System, viewer: uuid.UUID, today: date) -> leaderboards.Board:
    with system.read() as session:
        return leaderboards.get_board(session, board=_tier_of(system, viewer),
                                      period=Period.daily, day=today, viewer_id=viewer)


def _tier_of(system: System, user_id: uuid.UUID) -> str:
    with system.read() as session:
        return leaderboards.default_board(session, user_id)


def _balance(system: System, user_id: uuid.UUID) -> int:
    from domain.models import User

    with system.read() as session:
        row = session.get(User, user_id)
        assert row is not None
        return row.point_balance


async def test_the_header_balance_comes_from_the_message(user: SimulatedUser, system: System,
                                                         live: realtime.LiveFeed) -> None:
    """The balance label shows the balance the message carries — no read: a message with a made-up balance shows
    exactly that number."""
    me = member(display_name="Me Myself")
    await sign_in(user, email_of(me.user_id))
    await user.open("/")
    label = user.find(kind=ui.label, marker="balance").elements.pop()
    await _until(lambda: live.balances.count(str(me.user_id)) >= 1)
    live.points.add(messages.PointsMessage(user_id=me.user_id, point_balance=12_345, points_earned=1))
    await _until(lambda: label.text == "12,345")
