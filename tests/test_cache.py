"""Cache port: in-memory TTL cache (clock injected, no waiting) and the Redis cache (db 1; expiry is Redis's EX)."""

from __future__ import annotations

import uuid

import pytest
import redis

from app.cache import KEY_PREFIX, Cache, MemoryCache, RedisCache, get_cache
from app.settings import get_settings

REDIS_URL = "redis://127.0.0.1:6379/1"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_get_set_delete(kind: str) -> None:
    cache: Cache = MemoryCache() if kind == "memory" else RedisCache(REDIS_URL)
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


def test_redis_entries_carry_their_ttl() -> None:
    cache = RedisCache(REDIS_URL)
    client = redis.Redis.from_url(REDIS_URL)
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


def test_get_cache_follows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(get_cache(), MemoryCache)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    assert isinstance(get_cache(), RedisCache)
