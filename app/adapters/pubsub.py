"""Publish/subscribe port for live events (PRODUCT.md §5 "Live", notes/nicegui.md §3).

- `publish(topic, payload)` is synchronous and safe from any thread (Huey worker threads, request handlers, the
  event loop itself); payloads are JSON-serialisable dicts.
- `listen(topic)` is an async iterator of payloads, consumed on NiceGUI's event loop.

`InProcessPubSub` (default) hands messages to listeners' asyncio queues with `loop.call_soon_threadsafe`;
`RedisPubSub` (`REDIS_URL` set) publishes JSON on channel `fittrack:<topic>` with redis-py and listens with
`redis.asyncio`, so events cross processes (separate Huey workers, several web instances).
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
    """Publish/subscribe through Redis channels `fittrack:<topic>` with JSON payloads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = redis.Redis.from_url(url)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """PUBLISH the JSON payload; a Redis outage is logged, not raised (live updates are best-effort)."""
        try:
            self._client.publish(CHANNEL_PREFIX + topic, json.dumps(payload, default=str))
        except redis.RedisError as exc:
            _log.warning("pubsub.publish_failed", topic=topic, error=str(exc))

    async def listen(self, topic: str) -> AsyncGenerator[dict[str, Any], None]:
        """Yield payloads from `fittrack:<topic>`; the subscription is confirmed before the first wait, so anything
        published after the first `__anext__` started waiting is received."""
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL_PREFIX + topic)
            while True:
                message = await pubsub.get_message(timeout=1.0)
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
                await client.aclose()


def build_pubsub(settings: Settings) -> PubSub:
    """`RedisPubSub` when `REDIS_URL` is set, else a new `InProcessPubSub` (the `System` builds one per process)."""
    return RedisPubSub(settings.redis_url) if settings.redis_url else InProcessPubSub()
