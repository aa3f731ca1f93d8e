"""Live push (PRODUCT.md §5, issue 2 deliverable 11): changes landing anywhere reach open pages within a second.

    a committed change (webhook task, replay, page, API, seed) ──`app.services.effects`──▶ pub/sub topic
        `app.messages.TOPIC` (in-process or Redis)
        ──▶ one listener per app (`LiveFeed`, started on app startup), `app.messages.decode`
        ──▶ `points` messages: `PointsFeed` coalesces them and emits at most every 250 ms one `PointsLanded` batch;
            `drawing`, `notification`, `member_status` messages: one NiceGUI `Event` each (`LiveFeed.drawing`, ...)
        ──▶ fan-out, once per batch and process (issue 12 §2), never one database read per open page:
            - boards: `app.web.live_boards.BoardHub` reads each affected board × period ONCE and hands the same rows
              to every page showing it (`LiveFeed.boards`);
            - balances: the header balance comes from the message itself (`PointsMessage.point_balance`, the last
              one per member in the batch), delivered to that member's pages only (`LiveFeed.watch_balance`);
            - notifications: a member's pages hear of their new notifications (`LiveFeed.watch_notifications`);
        ──▶ pages whose data is their own (dashboard, activity) still re-read it, but only the pages of the members
            the batch names (`LiveFeed.on_points_landed` with a `when`).

A burst of 1,000 webhooks therefore becomes a handful of batches, and each page re-reads at most once per batch
(`LiveFeed.on_points_landed` never runs two reloads of one page at once; changes arriving meanwhile trigger one more).
A payload that is not a valid live message is logged and dropped.

Per-member watchers (`watch_balance`, `watch_notifications`) live in one dict per feed keyed by user id, not in one
NiceGUI `Event` subscription per page: a batch costs a dict lookup per member it names, whatever the number of open
pages, and a page's watchers are dropped when its client is deleted (`Client.on_delete`).

The feed belongs to one app: `install(app, system)` creates it and keeps it on `app.state.live_feed` (pages get it as
`components.page.PageContext.live`). Nothing here is a process global, so a test that builds a new app gets a new
feed, and no subscriber of a previous test's deleted client can linger (notes/nicegui.md §2.3).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import structlog
from nicegui import Client, Event, background_tasks, ui

from app import messages
from app.adapters.pubsub import PubSub
from app.messages import DrawingMessage, MemberStatusMessage, NotificationMessage, PointsMessage

if TYPE_CHECKING:
    from app.system import System

TOPIC = messages.TOPIC
THROTTLE_SECONDS = 0.25
RETRY_SECONDS = 1.0
_log = structlog.get_logger("fittrack.realtime")


@dataclass(frozen=True)
class PointsLanded:
    """One coalesced batch of `points` messages: whose totals changed (user ids as strings), on which boards, for which
    platform days, and how many messages it merges; `balances` maps each member (user id string) to the point
    balance of their last message in the batch (integer points; issue 12 §2: pages take it from here instead of
    reading the database)."""

    user_ids: frozenset[str]
    boards: frozenset[str]
    platform_days: frozenset[date]
    messages: int
    balances: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_messages(cls, batch: Iterable[PointsMessage]) -> PointsLanded:
        """Merge `points` messages into one batch."""
        users: set[str] = set()
        boards: set[str] = set()
        days: set[date] = set()
        balances: dict[str, int] = {}
        count = 0
        for message in batch:
            count += 1
            user = str(message.user_id)
            users.add(user)
            balances[user] = message.point_balance  # in publication order: the last one wins
            boards.update(message.boards)
            if message.platform_day is not None:
                days.add(message.platform_day)
        return cls(frozenset(users), frozenset(boards), frozenset(days), count, balances)

    def merge(self, later: PointsLanded) -> PointsLanded:
        """This batch followed by `later` as one batch (`later`'s balances win)."""
        return PointsLanded(self.user_ids | later.user_ids, self.boards | later.boards,
                            self.platform_days | later.platform_days, self.messages + later.messages,
                            {**self.balances, **later.balances})

    def touches_user(self, user_id: uuid.UUID | str) -> bool:
        return str(user_id) in self.user_ids

    def touches_board(self, board: str, start: date | None = None, end: date | None = None) -> bool:
        """True when points landed on `board` on a day within [start, end] (None = unbounded, e.g. all-time).
        A batch without day information counts as touching every period."""
        if board not in self.boards:
            return False
        if not self.platform_days or (start is None and end is None):
            return True
        return any((start is None or start <= d) and (end is None or d <= end) for d in self.platform_days)


class PointsFeed:
    """Collects `points` messages and emits `landed` (a NiceGUI `Event[PointsLanded]`) at most once per interval:
    the first message after a quiet period goes out at once, later ones are batched until the interval has passed.

    `clock` (seconds, monotonic) and `auto_flush` are injectable: with `auto_flush=False` nothing is scheduled and the
    caller decides when to `flush()` (e.g. whenever `due_in()` is 0), so the coalescing rule is testable without
    an event loop or real time."""

    def __init__(self, interval: float = THROTTLE_SECONDS, *, clock: Callable[[], float] = time.monotonic,
                 auto_flush: bool = True) -> None:
        self.interval = interval
        self.clock = clock
        self.auto_flush = auto_flush
        self.landed: Event[PointsLanded] = Event()
        self._pending: list[PointsMessage] = []
        self._flush: asyncio.Task | None = None
        self._last_emit: float | None = None
        self.batches_emitted = 0

    def add(self, message: PointsMessage) -> None:
        """Queue one message; with `auto_flush`, schedules a flush (when `due_in()` says) unless one is already
        scheduled. Call on the event loop."""
        self._pending.append(message)
        if self.auto_flush and (self._flush is None or self._flush.done()):
            self._flush = background_tasks.create(self._flush_when_due(), name="points-feed-flush")

    @property
    def pending(self) -> int:
        """Messages waiting for the next batch."""
        return len(self._pending)

    def due_in(self) -> float:
        """Seconds until the next batch may go out: 0 after a quiet period, else what is left of the interval since
        the last batch."""
        if self._last_emit is None:
            return 0.0
        return max(self._last_emit + self.interval - self.clock(), 0.0)

    def flush(self) -> PointsLanded | None:
        """Emit every pending message now as one batch (the caller respects `due_in()`); None when nothing is
        pending (then nothing is emitted and the interval does not restart)."""
        batch, self._pending = self._pending, []
        if not batch:
            return None
        self._last_emit = self.clock()
        landed = PointsLanded.from_messages(batch)
        self.batches_emitted += 1
        self.landed.emit(landed)
        return landed

    async def _flush_when_due(self) -> None:
        delay = self.due_in()
        if delay > 0:
            await asyncio.sleep(delay)
        self.flush()


class LiveFeed:
    """The live messages of one app: `points` batches (`points`, a `PointsFeed`) and one NiceGUI `Event` per other
    kind — `drawing` (`DrawingMessage`), `notification` (`NotificationMessage`), `member_status`
    (`MemberStatusMessage`) — emitted once per message. `start()` (on app startup) listens on `pubsub`; `dispatch`
    routes one received payload (also usable directly in tests)."""

    def __init__(self, pubsub: PubSub, *, interval: float = THROTTLE_SECONDS,
                 system: Callable[[], System] | None = None) -> None:
        from app.web.live_boards import BoardHub

        self.pubsub = pubsub
        self.points = PointsFeed(interval)
        self.drawing: Event[DrawingMessage] = Event()
        self.notification: Event[NotificationMessage] = Event()
        self.member_status: Event[MemberStatusMessage] = Event()
        self.balances = Watchers[int]()
        self.notifications = Watchers[NotificationMessage]()
        self.points.landed.subscribe(self._deliver_balances)
        self.notification.subscribe(self._deliver_notification)
        # Boards need reads: `system` gives the app's current System (tests swap it per test); None = no board hub.
        self.boards: BoardHub | None = BoardHub(self.points.landed, system) if system is not None else None

    def _deliver_balances(self, batch: PointsLanded) -> None:
        for user_id, balance in batch.balances.items():
            self.balances.deliver(user_id, balance)

    def _deliver_notification(self, message: NotificationMessage) -> None:
        self.notifications.deliver(str(message.user_id), message)

    def watch_balance(self, user_id: uuid.UUID | str, show: Callable[[int], Any]) -> None:
        """Call `show(balance)` (integer points, from the message) on the current page whenever a batch carries
        a new balance of member `user_id`. Call inside a page (UI context); dropped with the page's client."""
        self.balances.add(str(user_id), show)

    def watch_notifications(self, user_id: uuid.UUID | str, changed: Callable[[NotificationMessage], Any]) -> None:
        """Call `changed(message)` on the current page whenever member `user_id` gets a new in-app notification.
        Call inside a page (UI context); dropped with the page's client."""
        self.notifications.add(str(user_id), changed)

    def dispatch(self, payload: Any) -> None:
        """Decode one payload from the pub/sub port and hand it on; a payload that is not a valid live message is
        logged (warning) and dropped. Call on the event loop."""
        try:
            message = messages.decode(payload)
        except messages.BadMessage as exc:
            _log.warning("live.bad_message", error=str(exc)[:300])
            return
        if isinstance(message, PointsMessage):
            self.points.add(message)
        elif isinstance(message, DrawingMessage):
            self.drawing.emit(message)
        elif isinstance(message, NotificationMessage):
            self.notification.emit(message)
        elif isinstance(message, MemberStatusMessage):
            self.member_status.emit(message)

    def on_points_landed(self, reload: Callable[[PointsLanded], Awaitable[Any]],
                         when: Callable[[PointsLanded], bool] = lambda _: True) -> None:
        """Subscribe the current page: `await reload(batch)` for batches where `when(batch)` holds.

        Call inside a page (UI context): NiceGUI unsubscribes when the client is deleted. Reloads of one subscription
        never overlap; batches that arrive during a reload cause exactly one more reload afterwards.
        """
        running = False
        again: PointsLanded | None = None

        async def handler(batch: PointsLanded) -> None:
            nonlocal running, again
            if not when(batch):
                return
            if running:
                again = batch
                return
            running = True
            try:
                await reload(batch)
                while again is not None:
                    batch, again = again, None
                    await reload(batch)
            finally:
                running = False

        self.points.landed.subscribe(handler)

    async def listen(self) -> None:
        """Feed every message on `TOPIC` into `dispatch`; reconnect after errors (e.g. Redis restarts)."""
        while True:
            try:
                async for payload in self.pubsub.listen(TOPIC):
                    self.dispatch(payload)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a broken subscription must not end live updates for good
                _log.exception("live listener failed; retrying")
            await asyncio.sleep(RETRY_SECONDS)

    def start(self) -> None:
        """Start the listener in the background (returns None: a returned task would be awaited by startup)."""
        background_tasks.create(self.listen(), name="live-listener")


V = TypeVar("V")


class Watchers(Generic[V]):
    """Per-key (user id string) callbacks of open pages: `add(key, fn)` inside a page, `deliver(key, value)` calls
    every live page's `fn(value)` in that page's UI context (an awaitable result runs as a background task). A page's
    callbacks go when its client is deleted. Cost of a delivery: one dict lookup plus the calls for that key."""

    def __init__(self) -> None:
        self._by_key: dict[str, dict[int, tuple[Client, Callable[[V], Any]]]] = {}
        self._next = 0

    def add(self, key: str, fn: Callable[[V], Any]) -> None:
        """Register `fn` for `key` on the current page (UI context required)."""
        client = ui.context.client
        self._next += 1
        token = self._next
        self._by_key.setdefault(key, {})[token] = (client, fn)

        def drop() -> None:
            entries = self._by_key.get(key)
            if entries is not None:
                entries.pop(token, None)
                if not entries:
                    del self._by_key[key]

        client.on_delete(drop)

    def count(self, key: str | None = None) -> int:
        """How many page callbacks are registered (for `key`, or in all)."""
        if key is not None:
            return len(self._by_key.get(key, {}))
        return sum(len(entries) for entries in self._by_key.values())

    def deliver(self, key: str, value: V) -> None:
        """Hand `value` to every page registered for `key` (deleted clients are skipped)."""
        for client, fn in list(self._by_key.get(key, {}).values()):
            if client.is_deleted:
                continue
            with client:
                result = fn(value)
                if inspect.isawaitable(result):
                    background_tasks.create(result, name="live-watcher")  # type: ignore[arg-type]


def install(app: Any, system: System) -> LiveFeed:
    """Create the app's feed on `system.pubsub`, keep it on `app.state.live_feed` and start listening when the app
    starts (called once per app by `app.main.install`). Boards are read through the app's current System
    (`app.state.system`). Returns the feed."""
    feed = LiveFeed(system.pubsub, system=lambda: app.state.system)
    app.state.live_feed = feed
    app.on_startup(feed.start)
    return feed
