"""Watching the live messages a System publishes (`app.messages` on topic `messages.TOPIC`) from an async test.

    async with LiveMessages(system.pubsub) as live:
        ...                                   # do something that commits (HTTP call, task)
        messages = await live.settled()       # everything published so far, decoded and in order

`settled()` publishes a sentinel through the same pub/sub and waits for it: the port keeps order, so every message
published before it has arrived — "exactly one message" is checked without sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from types import TracebackType
from typing import Any

from app import messages
from app.adapters.pubsub import InProcessPubSub


class LiveMessages:
    """A subscriber of `pubsub` (an `InProcessPubSub`) on `messages.TOPIC` collecting decoded messages."""

    def __init__(self, pubsub: Any, *, timeout: float = 10.0) -> None:
        assert isinstance(pubsub, InProcessPubSub), "LiveMessages needs an in-process pub/sub"
        self.pubsub = pubsub
        self.timeout = timeout
        self.received: list[messages.LiveMessage] = []
        self._sentinels: set[uuid.UUID] = set()
        self._task: asyncio.Task[None] | None = None

    async def _listen(self) -> None:
        async for payload in self.pubsub.listen(messages.TOPIC):
            self.received.append(messages.decode(payload))

    async def __aenter__(self) -> LiveMessages:
        before = self.pubsub.listener_count(messages.TOPIC)
        self._task = asyncio.create_task(self._listen())
        deadline = time.monotonic() + self.timeout
        while self.pubsub.listener_count(messages.TOPIC) <= before:  # subscribed at the generator's first step
            assert time.monotonic() < deadline, "the listener never subscribed"
            await asyncio.sleep(0)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def settled(self) -> list[messages.LiveMessage]:
        """Every message published before this call (sentinel excluded), decoded, in publication order."""
        marker = uuid.uuid4()
        self._sentinels.add(marker)
        self.pubsub.publish(messages.TOPIC, messages.encode(messages.NotificationMessage(user_id=marker)))
        deadline = time.monotonic() + self.timeout
        while not any(isinstance(m, messages.NotificationMessage) and m.user_id == marker for m in self.received):
            assert time.monotonic() < deadline, "the sentinel message never arrived"
            await asyncio.sleep(0.005)
        return [m for m in self.received
                if not (isinstance(m, messages.NotificationMessage) and m.user_id in self._sentinels)]

    async def points(self) -> list[messages.PointsMessage]:
        """The `points` messages among `settled()`."""
        return [m for m in await self.settled() if isinstance(m, messages.PointsMessage)]
