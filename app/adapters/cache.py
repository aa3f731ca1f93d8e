"""Cache port (PRODUCT.md §2): `get`, `set(ttl_seconds)`, `delete` of JSON-serialisable values.
`MemoryCache` (default, per process, TTL checked on read) or `RedisCache` (`REDIS_URL`; keys `fittrack:cache:<key>`),
which falls back to a process-local `MemoryCache` while Redis fails (issue 13 §3, `app.adapters.redis_guard`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.adapters.redis_guard import RedisGuard, client
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
    """Cache in Redis (shared by every process); values stored as JSON with `EX ttl_seconds`. While Redis fails
    (`guard` open) reads and writes go to a process-local `MemoryCache`: values written during an outage are seen
    by this process only, and Redis' copy is used again once it answers."""

    def __init__(self, url: str, *, timeout: float = 0.25, guard: RedisGuard | None = None) -> None:
        self._client = client(url, timeout)
        self._guard = guard or RedisGuard("cache")
        self.fallback = MemoryCache()

    def get(self, key: str) -> Any | None:
        def primary() -> Any | None:
            raw = self._client.get(KEY_PREFIX + key)
            return None if raw is None else json.loads(raw)
        return self._guard.call(primary, lambda: self.fallback.get(key))

    def set(self, key: str, value: Any, ttl_seconds: int | None = None) -> None:
        raw = json.dumps(value, default=str)
        self._guard.call(lambda: self._client.set(KEY_PREFIX + key, raw, ex=ttl_seconds or None),
                         lambda: self.fallback.set(key, value, ttl_seconds))

    def delete(self, key: str) -> None:
        self.fallback.delete(key)
        self._guard.call(lambda: self._client.delete(KEY_PREFIX + key), lambda: None)


def build_cache(settings: Settings, guard: RedisGuard | None = None) -> Cache:
    """`RedisCache` when `REDIS_URL` is set (guarded by `guard`), else a new `MemoryCache` (the `System` builds one
    per process)."""
    if settings.redis_url:
        return RedisCache(settings.redis_url, timeout=settings.redis_timeout_seconds, guard=guard)
    return MemoryCache()
