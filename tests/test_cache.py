"""Cache port: in-memory TTL cache and the Redis cache (db 1)."""

from __future__ import annotations

import time
import uuid

import pytest

from app.cache import MemoryCache, RedisCache, get_cache
from app.settings import get_settings

REDIS_URL = "redis://127.0.0.1:6379/1"


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_get_set_delete_and_ttl(kind: str) -> None:
    cache = MemoryCache() if kind == "memory" else RedisCache(REDIS_URL)
    key = f"test:{uuid.uuid4().hex}"
    assert cache.get(key) is None
    cache.set(key, {"rank": 3, "names": ["a", "b"]})
    assert cache.get(key) == {"rank": 3, "names": ["a", "b"]}
    cache.delete(key)
    assert cache.get(key) is None
    cache.set(key, 5, ttl_seconds=1)
    assert cache.get(key) == 5
    time.sleep(1.2)
    assert cache.get(key) is None


def test_get_cache_follows_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(get_cache(), MemoryCache)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    assert isinstance(get_cache(), RedisCache)
