"""Cache port (PRODUCT.md §2): `get`, `set(ttl_seconds)`, `delete` of JSON-serialisable values.
`MemoryCache` (default, per process, TTL checked on read) or `RedisCache` (`REDIS_URL`; keys `fittrack:cache:<key>`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from app.settings import Settings

KEY_PREFIX = "fittrack:cache:"


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl_seconds: int | None = None) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryCache:
    """Thread-safe in-process cache; entries expire `ttl_seconds` after `set` (None = no expiry), measured on
    `clock` (monotonic seconds; injectable so expiry is testable without waiting)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float | None, str]] = {}

    def get(self, key: str) -> Any | None:
        """The value, or None if absent or expired."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, raw = entry
            if expires is not None and expires <= self._clock():
                del self._data[key]
                return None
        return json.loads(raw)

    def set(self, key: str, value: Any, ttl_seconds: int | None = None) -> None:
        """Store `value` (JSON-serialisable) for `ttl_seconds` seconds."""
        raw = json.dumps(value, default=str)
        expires = self._clock() + ttl_seconds if ttl_seconds else None
        with self._lock:
            self._data[key] = (expires, raw)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCache:
    """Cache in Redis (shared by every process); values stored as JSON with `EX ttl_seconds`."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)

    def get(self, key: str) -> Any | None:
        raw = self._client.get(KEY_PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl_seconds: int | None = None) -> None:
        self._client.set(KEY_PREFIX + key, json.dumps(value, default=str), ex=ttl_seconds or None)

    def delete(self, key: str) -> None:
        self._client.delete(KEY_PREFIX + key)


def build_cache(settings: Settings) -> Cache:
    """`RedisCache` when `REDIS_URL` is set, else a new `MemoryCache` (the `System` builds one per process)."""
    return RedisCache(settings.redis_url) if settings.redis_url else MemoryCache()
