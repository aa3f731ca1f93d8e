"""Publish/subscribe port: in-process (thread → event loop) and real Redis (this xdist worker's database)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

from app.adapters.pubsub import CHANNEL_PREFIX, InProcessPubSub, RedisPubSub, build_pubsub
from app.system import System
from tests.support.system import make_settings


async def _wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _publish_from_thread(pubsub, topic: str, payload: dict) -> None:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=pubsub.publish, args=(topic, payload))
    thread.start()
    thread.join()


async def test_in_process_publish_from_a_thread_reaches_async_listeners() -> None:
    pubsub = InProcessPubSub()
    first, second, other = pubsub.listen("points"), pubsub.listen("points"), pubsub.listen("other")
    waits = [asyncio.ensure_future(gen.__anext__()) for gen in (first, second, other)]
    await _wait_for(lambda: pubsub.listener_count("points") == 2 and pubsub.listener_count("other") == 1)

    _publish_from_thread(pubsub, "points", {"user_id": "u1", "tier": "F-30-39-INT", "points": 42})
    got = await asyncio.wait_for(asyncio.gather(waits[0], waits[1]), timeout=2)
    assert got == [{"user_id": "u1", "tier": "F-30-39-INT", "points": 42}] * 2
    assert not waits[2].done()  # another topic hears nothing

    waits[2].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waits[2]
    for gen in (first, second, other):
        await gen.aclose()
    assert pubsub.listener_count("points") == 0


async def test_in_process_messages_arrive_in_order() -> None:
    pubsub = InProcessPubSub()
    received: list[int] = []

    async def consume() -> None:
        async for message in pubsub.listen("seq"):
            received.append(message["n"])
            if len(received) == 20:
                return

    task = asyncio.ensure_future(consume())
    await _wait_for(lambda: pubsub.listener_count("seq") == 1)
    def publish_all() -> None:
        for n in range(20):
            pubsub.publish("seq", {"n": n})

    thread = threading.Thread(target=publish_all)
    thread.start()
    thread.join()
    await asyncio.wait_for(task, timeout=2)
    assert received == list(range(20))


async def test_redis_publish_from_a_thread_reaches_async_listener(redis_url: str) -> None:
    pubsub = RedisPubSub(redis_url)
    topic = f"test-{uuid.uuid4().hex}"
    channel = CHANNEL_PREFIX + topic
    probe = redis.Redis.from_url(redis_url)
    listener = pubsub.listen(topic)
    wait = asyncio.ensure_future(listener.__anext__())
    await _wait_for(lambda: dict(probe.pubsub_numsub(channel)).get(channel.encode(), 0) == 1)

    _publish_from_thread(pubsub, topic, {"user_id": "u2", "points": 7})
    assert await asyncio.wait_for(wait, timeout=5) == {"user_id": "u2", "points": 7}
    await listener.aclose()
    await _wait_for(lambda: dict(probe.pubsub_numsub(channel)).get(channel.encode(), 0) == 0)
    probe.close()


def test_the_system_pubsub_follows_settings(system: System, system_factory: Callable[..., System],
                                           redis_url: str, tmp_path: Path) -> None:
    """No REDIS_URL: one in-process pub/sub per System (built once, kept); REDIS_URL: Redis channels."""
    assert isinstance(system.pubsub, InProcessPubSub)
    assert system.pubsub is system.pubsub
    assert system_factory().pubsub is not system.pubsub  # one per System, never a process global
    assert isinstance(build_pubsub(make_settings(tmp_path)), InProcessPubSub)
    with_redis = system_factory(redis_url=redis_url)
    assert isinstance(with_redis.pubsub, RedisPubSub) and with_redis.pubsub.url == redis_url
