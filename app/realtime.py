"""Live push (PRODUCT.md §5, issue 2 deliverable 11): points landing anywhere reach open pages within a second.

    webhook task / replay / admin approval ──publish("points", {...})──▶ pub/sub port (in-process or Redis)
        ──▶ one listener task per process (started on app startup)
        ──▶ `PointsFeed`: coalesces messages, emits at most every 250 ms one `PointsLanded` batch
        ──▶ NiceGUI `Event` ──▶ each open page's handler, which re-reads its data and updates elements in place.

A burst of 1,000 webhooks therefore becomes a handful of batches, and each page re-reads at most once per batch
(`on_points_landed` never runs two reloads of one page at once; changes arriving meanwhile trigger one more).

The feed (and its `Event`) is created by `install`, not at import: the NiceGUI `user` test fixture re-runs
`main.py` for every test, so no subscriber of a previous test's deleted client can linger (notes/nicegui.md §2.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from nicegui import Event, background_tasks

from app.pubsub import get_pubsub

TOPIC = "points"
THROTTLE_SECONDS = 0.25
RETRY_SECONDS = 1.0
_log = structlog.get_logger("fittrack.realtime")


@dataclass(frozen=True)
class PointsLanded:
    """One coalesced batch of "points landed" messages: who, on which boards, for which platform days."""

    user_ids: frozenset[str]
    boards: frozenset[str]
    platform_days: frozenset[date]
    messages: int

    @classmethod
    def from_messages(cls, payloads: Iterable[dict[str, Any]]) -> PointsLanded:
        """Merge message payloads `{"user_id", "boards", "platform_day", ...}` (missing keys are tolerated)."""
        users: set[str] = set()
        boards: set[str] = set()
        days: set[date] = set()
        count = 0
        for payload in payloads:
            count += 1
            if payload.get("user_id"):
                users.add(str(payload["user_id"]))
            boards.update(str(b) for b in payload.get("boards") or ())
            if payload.get("platform_day"):
                with contextlib.suppress(ValueError):
                    days.add(date.fromisoformat(str(payload["platform_day"])))
        return cls(frozenset(users), frozenset(boards), frozenset(days), count)

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
    """Collects "points" messages and emits `landed` (a NiceGUI `Event[PointsLanded]`) at most once per interval:
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
        self._pending: list[dict[str, Any]] = []
        self._flush: asyncio.Task | None = None
        self._last_emit: float | None = None
        self.batches_emitted = 0

    def add(self, payload: dict[str, Any]) -> None:
        """Queue one message; with `auto_flush`, schedules a flush (when `due_in()` says) unless one is already
        scheduled. Call on the event loop."""
        self._pending.append(payload)
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


_feed: PointsFeed | None = None


def feed() -> PointsFeed:
    """The process's feed (created by `install`; created on first use outside the app, e.g. in scripts)."""
    global _feed
    if _feed is None:
        _feed = PointsFeed()
    return _feed


def on_points_landed(reload: Callable[[PointsLanded], Awaitable[Any]],
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

    feed().landed.subscribe(handler)


async def _listen() -> None:
    """Feed every message on the "points" topic into the feed; reconnect after errors (e.g. Redis restarts)."""
    while True:
        try:
            async for message in get_pubsub().listen(TOPIC):
                payload = getattr(message, "payload", message)
                if isinstance(payload, dict):
                    feed().add(payload)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken subscription must not end live updates for good
            _log.exception("points listener failed; retrying")
        await asyncio.sleep(RETRY_SECONDS)


def install(app: Any) -> None:
    """Create this process's feed and start the listener when the app starts (call once from `app/main.py`)."""
    global _feed
    _feed = PointsFeed()

    def start_listener() -> None:  # returns None: a returned task would be awaited by startup (forever)
        background_tasks.create(_listen(), name="points-listener")

    app.on_startup(start_listener)
