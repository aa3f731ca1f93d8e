"""Publish/subscribe port for live events (PRODUCT.md §5 "Live", notes/nicegui.md §3).

- `publish(topic, payload)` is synchronous and safe from any thread (Huey worker threads, request handlers, the
  event loop itself); payloads are JSON-serialisable dicts.
- `listen(topic)` is an async iterator of payloads, consumed on NiceGUI's event loop.

`InProcessPubSub` (default) hands messages to listeners' asyncio queues with `loop.call_soon_threadsafe`;
`RedisPubSub` (`REDIS_URL` set) publishes JSON on channel `fittrack:<topic>` with redis-py and listens with
`redis.asyncio`, so events cross processes (separate Huey workers, several web instances). While Redis fails
(issue 13 §3, `app.adapters.redis_guard`), `RedisPubSub` publishes in-process instead and its listeners receive those
messages too, so the pages of the publishing instance stay live; its subscription reconnects on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
import structlog

from app.adapters.redis_guard import RedisGuard, client
from app.settings import Settings

CHANNEL_PREFIX = "fittrack:"
_log = structlog.get_logger("fittrack.pubsub")


class PubSub(Protocol):
    """Port: fire-and-forget `publish` from any thread; `listen` yields payloads published after it started."""

    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def listen(self, topic: str) -> AsyncIterator[dict[str, Any]]: ...


class InProcessPubSub:
    """Publish/subscribe within this process. A listener only receives messages published after it subscribed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]]] = (
            defaultdict(set))

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Deliver `payload` to every current listener of `topic` (copied through JSON, as Redis would)."""
        data = json.loads(json.dumps(payload, default=str))
        with self._lock:
            targets = list(self._listeners.get(topic, ()))
        for loop, queue in targets:
            if loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):  # loop closed between the check and the call
                loop.call_soon_threadsafe(queue.put_nowait, data)

    async def listen(self, topic: str) -> AsyncGenerator[dict[str, Any], None]:
        """Yield payloads published to `topic` from now on, until the consumer stops iterating."""
        entry = (asyncio.get_running_loop(), asyncio.Queue[dict[str, Any]]())
        with self._lock:
            self._listeners[topic].add(entry)
        try:
            while True:
                yield await entry[1].get()
        finally:
            with self._lock:
                self._listeners[topic].discard(entry)

    def listener_count(self, topic: str) -> int:
        """How many listeners `topic` has (lets tests and callers wait until a listener is subscribed)."""
        with self._lock:
            return len(self._listeners.get(topic, ()))


class RedisPubSub:
    """Publish/subscribe through Redis channels `fittrack:<topic>` with JSON payloads, with an in-process fallback
    while Redis fails (module docstring). `timeout` (seconds) bounds every Redis call; `guard` is the `pubsub`
    circuit breaker; `retry_seconds` is the pause before a failed subscription is tried again."""

    def __init__(self, url: str, *, timeout: float = 0.25, guard: RedisGuard | None = None,
                 retry_seconds: float = 1.0) -> None:
        self.url = url
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self._client = client(url, timeout)
        self._guard = guard or RedisGuard("pubsub")
        self.local = InProcessPubSub()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """PUBLISH the JSON payload; while Redis fails it goes to this process's listeners instead (never raised:
        live updates are best-effort)."""
        raw = json.dumps(payload, default=str)
        self._guard.call(lambda: self._client.publish(CHANNEL_PREFIX + topic, raw),
                         lambda: self.local.publish(topic, payload))

    async def listen(self, topic: str) -> AsyncGenerator[dict[str, Any], None]:
        """Yield payloads from `fittrack:<topic>` and those published in-process during a Redis outage, from now on.
        The Redis subscription is confirmed before the first wait and re-established after a failure, so the
        iterator never ends on a Redis error."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def from_local() -> None:
            async for payload in self.local.listen(topic):
                queue.put_nowait(payload)

        async def from_redis() -> None:
            while True:
                try:
                    async for payload in self._subscribe(topic):
                        queue.put_nowait(payload)
                except (TimeoutError, redis.RedisError, OSError) as exc:
                    _log.warning("pubsub.listen_failed", topic=topic, error=f"{type(exc).__name__}: {exc}"[:200])
                    if isinstance(exc, redis.RedisError):
                        self._guard.record_failure(exc)
                await asyncio.sleep(self.retry_seconds)

        before = self.local.listener_count(topic)
        tasks = [asyncio.create_task(from_local()), asyncio.create_task(from_redis())]
        while self.local.listener_count(topic) <= before:  # subscribed locally before the caller publishes
            await asyncio.sleep(0)
        try:
            while True:
                yield await queue.get()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _subscribe(self, topic: str) -> AsyncGenerator[dict[str, Any], None]:
        connection = aioredis.Redis.from_url(self.url, socket_connect_timeout=self.timeout)
        pubsub = connection.pubsub(ignore_subscribe_messages=True)
        try:
            await asyncio.wait_for(pubsub.subscribe(CHANNEL_PREFIX + topic), self.timeout * 4)
            self._guard.record_success()
            while True:
                message = await asyncio.wait_for(pubsub.get_message(timeout=1.0), 1.0 + self.timeout * 4)
                if message is None or message.get("type") != "message":
                    continue
                try:
                    yield json.loads(message["data"])
                except (ValueError, TypeError):
                    _log.warning("pubsub.bad_payload", topic=topic)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await connection.aclose()


def build_pubsub(settings: Settings, guard: RedisGuard | None = None) -> PubSub:
    """`RedisPubSub` when `REDIS_URL` is set (guarded by `guard`), else a new `InProcessPubSub` (the `System` builds
    one per process)."""
    if settings.redis_url:
        return RedisPubSub(settings.redis_url, timeout=settings.redis_timeout_seconds, guard=guard)
    return InProcessPubSub()
