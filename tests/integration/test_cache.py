"""Cache port: in-memory TTL cache (clock injected, no waiting) and the Redis cache (the worker's own Redis
database; expiry is Redis's EX); the System picks one from its settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis

from app.adapters.cache import KEY_PREFIX, Cache, MemoryCache, RedisCache, build_cache
from app.system import System


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_get_set_delete(kind: str, redis_url: str) -> None:
    cache: Cache = MemoryCache() if kind == "memory" else RedisCache(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    assert cache.get(key) is None
    cache.set(key, {"rank": 3, "names": ["a", "b"]})
    assert cache.get(key) == {"rank": 3, "names": ["a", "b"]}
    cache.delete(key)
    assert cache.get(key) is None


def test_memory_entries_expire_after_their_ttl() -> None:
    clock = ManualClock()
    cache = MemoryCache(clock=clock)
    cache.set("short", 5, ttl_seconds=1)
    cache.set("forever", 6)
    clock.now += 0.999
    assert cache.get("short") == 5
    clock.now += 0.001
    assert cache.get("short") is None  # expired exactly at set + ttl
    clock.now += 10**9
    assert cache.get("forever") == 6


def test_redis_entries_carry_their_ttl(redis_url: str) -> None:
    cache = RedisCache(redis_url)
    client = redis.Redis.from_url(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        cache.set(key, 5, ttl_seconds=30)
        assert cache.get(key) == 5
        assert 0 < client.ttl(KEY_PREFIX + key) <= 30  # Redis expires it (EX); no need to wait here
        cache.set(key, 7)
        assert client.ttl(KEY_PREFIX + key) == -1  # no ttl: kept until deleted
    finally:
        cache.delete(key)
        client.close()


def test_system_cache_follows_settings(system: System, system_factory: Callable[..., System],
                                       redis_url: str) -> None:
    assert isinstance(system.cache, MemoryCache) and isinstance(build_cache(system.settings), MemoryCache)
    with_redis = system_factory(redis_url=redis_url)
    assert isinstance(with_redis.cache, RedisCache) and isinstance(build_cache(with_redis.settings), RedisCache)
    with_redis.cache.set("shared", 1)  # one Redis cache: another System (process) on the same Redis sees it
    assert system_factory(redis_url=redis_url).cache.get("shared") == 1 and system.cache.get("shared") is None
