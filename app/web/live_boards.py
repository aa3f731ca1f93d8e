"""Live boards that fan out (issue 12 §2): when points land, each affected board × period is read ONCE per coalesced
batch in this process, and the same rows are handed to every open page showing it — no database read per page.

    PointsFeed.landed (one batch, at most every 250 ms) ──▶ BoardHub (one subscription per app)
        ──▶ the groups (board, period, period start) with open pages that the batch touches
        ──▶ ONE read per group: `domain.competition.leaderboards.get_board(viewer_id=None, limit=L)` (database or the
            Redis store, whichever the pages use), all groups in one worker-thread hop
        ──▶ per page, in memory: that viewer's `Board` cut from the shared rows (`view_for`): the top 100 with the
            viewer's own row marked, the viewer's row and the ten places above and below
        ──▶ the page's `deliver(BoardUpdate)` (in its UI context), which replaces rows in place.

`L` is 110 (the top 100 plus the window of a viewer at rank 100) or, when a page's viewer ranks deeper, that rank plus
twice the window (up to get_board's limit of 10,000), so every viewer's window is normally inside the one read. A
viewer the shared rows do not cover (ranked below `L`, or the viewer's own name is not known yet) gets their own
`get_board` read, counted in `BoardHub.fallback_reads`.

What the page shows is exactly what `get_board(viewer_id=...)` returns (`view_for` rebuilds the same `Board`):
- entries: ranks 1..100 of the shared read; the viewer's row is marked `is_viewer` and shows the viewer's own name
  (a member always sees their own name, PRODUCT.md §5; the shared read, made for nobody, applied their privacy);
- `me` and `around_me`: the viewer's row and ranks me ± 10 of the same read; `total_members` of the same read.

A page registers with `BoardHub.watch(viewer_id, deliver)` (UI context; dropped with its client) and tells the hub what
it shows after each of its own loads (`BoardWatch.showing(board, day)`): that moves it to the right group and teaches
the hub the viewer's rank and own name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import structlog
from nicegui import Client, Event, background_tasks, run, ui

from domain.competition import leaderboards
from domain.competition.leaderboards import AROUND, DEFAULT_LIMIT, Board, BoardEntry
from domain.shared.enums import Period

if TYPE_CHECKING:
    from app.system import System
    from app.web.realtime import PointsLanded

_log = structlog.get_logger("fittrack.live_boards")

GroupKey = tuple[str, Period, date | None]  # board, period, first day of the period (None: all-time)
READ_LIMIT_CAP = 10_000  # get_board's largest limit


@dataclass(eq=False)
class SharedBoard:
    """One group's shared read for one batch: the viewer-less `board` (ranks 1..L), the points each member had in the
    group's previous read (`previous`, user id string → points; also the top-`DEFAULT_LIMIT` part as `previous_top`),
    this read's points (`points`, `points_top`, same shapes), and `memo`, a dict where page components keep what they
    derive once for every page (e.g. table row dicts)."""

    board: Board
    previous: dict[str, int]
    previous_top: dict[str, int]
    points: dict[str, int]
    points_top: dict[str, int]
    memo: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class BoardUpdate:
    """What one page receives: its viewer's `board` (the same `Board` get_board would give that viewer) and the
    group's `shared` read it was cut from (None after a fallback read of its own)."""

    board: Board
    shared: SharedBoard | None


def _points_of(entries: tuple[BoardEntry, ...]) -> dict[str, int]:
    return {str(e.user_id): e.points for e in entries}


def view_for(shared: Board, viewer_id: uuid.UUID, own_name: str | None, *, limit: int = DEFAULT_LIMIT,
             around: int = AROUND) -> Board | None:
    """`viewer_id`'s view of the viewer-less board `shared` (ranks 1..len(shared.entries), contiguous), equal to
    `get_board(..., viewer_id=viewer_id, limit=limit, around=around)` of the same data; None when `shared` cannot tell
    (the viewer may rank below its rows, or they are on it and `own_name`, their display name, is unknown)."""
    rows = shared.entries
    complete = len(rows) >= shared.total_members
    index = next((i for i, e in enumerate(rows) if e.user_id == viewer_id), None)
    if index is None:
        if not complete:
            return None
        return dataclasses.replace(shared, entries=rows[:limit], me=None, around_me=())
    if own_name is None:
        return None
    rank = rows[index].rank
    if rank + around > len(rows) and not complete:
        return None
    me = dataclasses.replace(rows[index], is_viewer=True, display_name=own_name)
    lo, hi = max(0, index - around), index + around + 1
    window = tuple(me if i == index else rows[i] for i in range(lo, min(hi, len(rows))))
    top = rows[:limit]
    if index < limit:
        top = (*top[:index], me, *top[index + 1:])
    return dataclasses.replace(shared, entries=top, me=me, around_me=window)


class BoardWatch:
    """One open page's registration (`BoardHub.watch`)."""

    __slots__ = ("hub", "client", "viewer_id", "deliver", "key", "day", "own_name", "rank")

    def __init__(self, hub: BoardHub, client: Client, viewer_id: uuid.UUID,
                 deliver: Callable[[BoardUpdate], Any]) -> None:
        self.hub = hub
        self.client = client
        self.viewer_id = viewer_id
        self.deliver = deliver
        self.key: GroupKey | None = None
        self.day: date | None = None
        self.own_name: str | None = None
        self.rank: int | None = None

    def showing(self, board: Board, day: date) -> None:
        """The page now shows `board` (read for a day `day` of its period, as this viewer): join that board's group
        and remember the viewer's rank and own name."""
        if board.me is not None:
            self.own_name = board.me.display_name
            self.rank = board.me.rank
        else:
            self.rank = None
        self.hub._move(self, (board.board, board.period, board.period_start), day, board)

    def stop(self) -> None:
        """Leave the hub (also done when the page's client is deleted)."""
        self.hub._move(self, None, None, None)


@dataclass(eq=False)
class _Group:
    key: GroupKey
    day: date
    period_end: date | None
    watches: dict[int, BoardWatch] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)
    previous_top: dict[str, int] = field(default_factory=dict)

    def read_limit(self) -> int:
        deepest = max((w.rank or 0 for w in self.watches.values()), default=0)
        return min(READ_LIMIT_CAP, max(DEFAULT_LIMIT + AROUND, deepest + 2 * AROUND))


def _read_groups(system: System, specs: list[tuple[str, Period, date, int]]) -> list[Board | Exception]:
    """One read session, one viewer-less `get_board` per spec (board, period, day, limit); an exception is returned
    in its place so one bad board does not stop the others."""
    out: list[Board | Exception] = []
    with system.read() as session:
        for board, period, day, limit in specs:
            try:
                out.append(leaderboards.get_board(session, board=board, period=period, day=day, viewer_id=None,
                                                  limit=min(limit, READ_LIMIT_CAP), store=system.boards))
            except Exception as exc:  # noqa: BLE001 - reported per group by the caller
                out.append(exc)
    return out


def _read_viewer(system: System, board: str, period: Period, day: date, viewer_id: uuid.UUID) -> Board:
    with system.read() as session:
        return leaderboards.get_board(session, board=board, period=period, day=day, viewer_id=viewer_id,
                                      store=system.boards)


class BoardHub:
    """The board fan-out of one app (see the module docstring). `landed` is the feed's batch event; `system()` the
    app's current System. Counters for tests and the bench: `batches` handled, `shared_reads` (one per group per
    batch), `fallback_reads` (per page), `deliveries` (pages updated), `last_fanout_s` (wall time of the last one)."""

    def __init__(self, landed: Event[PointsLanded], system: Callable[[], System]) -> None:
        self._system = system
        self._groups: dict[GroupKey, _Group] = {}
        self._where: dict[int, GroupKey] = {}  # id(watch) → its group
        self._pending: PointsLanded | None = None
        self._running = False
        self.batches = 0
        self.shared_reads = 0
        self.fallback_reads = 0
        self.deliveries = 0
        self.last_fanout_s = 0.0
        landed.subscribe(self._on_batch)

    # ------------------------------------------------------------------------------------------- registration
    def watch(self, viewer_id: uuid.UUID, deliver: Callable[[BoardUpdate], Any]) -> BoardWatch:
        """Register the current page (UI context): `deliver(update)` runs in its UI context whenever points land on
        the board it last reported with `BoardWatch.showing`. Dropped when the page's client is deleted."""
        client = ui.context.client
        watch = BoardWatch(self, client, viewer_id, deliver)
        client.on_delete(watch.stop)
        return watch

    def _move(self, watch: BoardWatch, key: GroupKey | None, day: date | None, board: Board | None) -> None:
        token = id(watch)
        if key is not None and self._where.get(token) == key:  # same board and period (e.g. a live update): stay
            watch.day = day
            return
        old = self._where.pop(token, None)
        if old is not None and (group := self._groups.get(old)) is not None:
            group.watches.pop(token, None)
            if not group.watches:
                del self._groups[old]
        if key is None or day is None or board is None:
            return
        group = self._groups.get(key)
        if group is None:  # a new group starts from what this page shows (the flash of the next rows compares to it)
            group = self._groups[key] = _Group(key, day, board.period_end, previous=_points_of(board.entries),
                                               previous_top=_points_of(board.entries))
        group.watches[token] = watch
        self._where[token] = key
        watch.key, watch.day = key, day

    def pages(self, key: GroupKey | None = None) -> int:
        """Registered pages (of one group, or in all)."""
        if key is not None:
            group = self._groups.get(key)
            return len(group.watches) if group else 0
        return len(self._where)

    # ------------------------------------------------------------------------------------------- fan-out
    def _on_batch(self, batch: PointsLanded) -> None:
        self._pending = batch if self._pending is None else self._pending.merge(batch)
        if not self._running:
            self._running = True
            background_tasks.create(self._drain(), name="live-boards-fanout")

    async def _drain(self) -> None:
        try:
            while self._pending is not None:
                batch, self._pending = self._pending, None
                try:
                    await self.fan_out(batch)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - one failed batch must not end live boards for good
                    _log.exception("live_boards.fanout_failed")
        finally:
            self._running = False

    def _touched(self, batch: PointsLanded) -> list[_Group]:
        touched = []
        for group in self._groups.values():
            board, _, start = group.key
            if batch.touches_board(board, start, group.period_end) or \
                    any(batch.touches_user(w.viewer_id) for w in group.watches.values()):
                touched.append(group)
        return touched

    async def fan_out(self, batch: PointsLanded) -> int:
        """Update every page whose board `batch` touches: one shared read per touched group (one worker-thread hop for
        all), then each page's view in memory. Returns the number of pages updated."""
        started = time.perf_counter()
        groups = self._touched(batch)
        self.batches += 1
        if not groups:
            return 0
        system = self._system()
        specs = [(g.key[0], g.key[1], g.day, g.read_limit()) for g in groups]
        boxed = await run.io_bound(_read_groups, system, specs)
        if boxed is None:  # the app is shutting down
            return 0
        delivered = 0
        fallbacks: list[BoardWatch] = []
        for group, result in zip(groups, boxed, strict=True):
            if isinstance(result, Exception):
                _log.warning("live_boards.read_failed", board=group.key[0], period=group.key[1].value,
                             error=str(result)[:300])
                continue
            self.shared_reads += 1
            points = _points_of(result.entries)
            points_top = _points_of(result.entries[:DEFAULT_LIMIT])
            shared = SharedBoard(result, group.previous, group.previous_top, points, points_top)
            group.previous, group.previous_top = points, points_top
            for watch in list(group.watches.values()):
                if watch.client.is_deleted:
                    watch.stop()
                    continue
                view = view_for(result, watch.viewer_id, watch.own_name)
                if view is None:
                    fallbacks.append(watch)
                    continue
                self._deliver(watch, BoardUpdate(view, shared))
                delivered += 1
        for watch in fallbacks:  # viewers below the shared rows: their own read (rare)
            key, day = watch.key, watch.day
            if key is None or day is None:
                continue
            try:
                own = await run.io_bound(_read_viewer, system, key[0], key[1], day, watch.viewer_id)
            except Exception as exc:  # noqa: BLE001 - keep the other pages going
                _log.warning("live_boards.viewer_read_failed", error=str(exc)[:300])
                continue
            self.fallback_reads += 1
            if own is None or watch.client.is_deleted or watch.key != key:
                continue
            self._deliver(watch, BoardUpdate(own, None))
            delivered += 1
        self.deliveries += delivered
        self.last_fanout_s = time.perf_counter() - started
        _log.info("live_boards.fanout", groups=len(groups), pages=delivered, fallback_reads=len(fallbacks),
                  ms=round(self.last_fanout_s * 1000, 1))
        return delivered

    def _deliver(self, watch: BoardWatch, update: BoardUpdate) -> None:
        if update.board.me is not None:
            watch.rank = update.board.me.rank
        with watch.client:
            try:
                watch.deliver(update)
            except Exception:  # noqa: BLE001 - one broken page must not stop the others
                _log.exception("live_boards.deliver_failed")
