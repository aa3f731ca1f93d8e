"""Redis is a cache, not a dependency (issue 13 §3): one circuit breaker per Redis use, each with a fallback.

Every Redis client FitTrack's request paths use is built by `client(url, settings)` with short socket timeouts
(`REDIS_TIMEOUT_SECONDS`, default 0.25 s), so an unreachable *or frozen* Redis fails fast. Each use — `cache`,
`throttle`, `pubsub`, `boards`, `queue` — calls Redis through its own `RedisGuard`: a `pybreaker` circuit breaker
that opens at the first Redis error and lets one probe through after `REDIS_CIRCUIT_RESET_SECONDS` (default 5 s),
and a fallback the caller names (in-process cache, in-memory rate limits, in-process pub/sub, the database, the
delivery sweeper). So a Redis outage costs one timeout per use and `REDIS_CIRCUIT_RESET_SECONDS`, never an error page,
and the uses recover on their own when Redis answers again.

Each guard's state is exported as the Prometheus gauge `fittrack_redis_circuit_state{use}` (0 closed, 1 half-open,
2 open) and each fallback counted in `fittrack_redis_fallbacks_total{use}`; the system page lists the states
(`RedisGuards.states`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pybreaker
import redis
import structlog
from prometheus_client import Counter, Gauge

from app.settings import Settings

T = TypeVar("T")
_log = structlog.get_logger("fittrack.redis")

USES = ("cache", "throttle", "pubsub", "boards", "queue")
_STATE_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}

CIRCUIT_STATE = Gauge("fittrack_redis_circuit_state",
                      "State of the circuit breaker of each Redis use: 0 closed, 1 half-open, 2 open", ["use"])
FALLBACKS = Counter("fittrack_redis_fallbacks", "Calls served by the fallback because Redis failed or its circuit "
                    "was open, by Redis use", ["use"])


def client(url: str, timeout: float = 0.25) -> redis.Redis:
    """A redis-py client on `url` whose connect and read timeouts are `timeout` seconds (`REDIS_TIMEOUT_SECONDS`), so
    a frozen server fails within that time instead of redis-py's unbounded default."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=30)


class _Listener(pybreaker.CircuitBreakerListener):
    def __init__(self, use: str) -> None:
        self.use = use

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: object, new_state: object) -> None:
        name = getattr(new_state, "name", str(new_state))
        CIRCUIT_STATE.labels(self.use).set(_STATE_VALUES.get(name, 0))
        _log.warning("redis.circuit", use=self.use, state=name)


def _not_redis_error(error: BaseException) -> bool:
    return not isinstance(error, redis.RedisError)


class RedisGuard:
    """The circuit breaker of one Redis use (module docstring). `call(primary, fallback)` runs `primary` (which talks
    to Redis) unless the circuit is open; on a Redis error (`redis.RedisError`: connection refused, timeout, …) or an
    open circuit it returns `fallback()` instead. Other exceptions from `primary` propagate and do not trip it."""

    def __init__(self, use: str, reset_seconds: float = 5.0) -> None:
        self.use = use
        self._storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self.breaker = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=reset_seconds, name=f"redis-{use}",
                                                exclude=[_not_redis_error], listeners=[_Listener(use)],
                                                state_storage=self._storage)
        CIRCUIT_STATE.labels(use).set(0)

    @property
    def state(self) -> str:
        """"closed" (Redis in use), "open" (fallback in use) or "half-open" (the next call probes Redis)."""
        return str(self.breaker.current_state)

    @property
    def is_open(self) -> bool:
        """True while calls skip Redis (the reset time has not passed since the last failure)."""
        return self.state == pybreaker.STATE_OPEN and not self._reset_due()

    def _reset_due(self) -> bool:
        opened = self._storage.opened_at
        if opened is None:
            return True
        return (datetime.now(UTC) - opened).total_seconds() >= self.breaker.reset_timeout

    def call(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        """`primary()` through the breaker, or `fallback()` when Redis fails or the circuit is open."""
        try:
            return self.breaker.call(primary)  # type: ignore[no-any-return]
        except (pybreaker.CircuitBreakerError, redis.RedisError) as error:
            FALLBACKS.labels(self.use).inc()
            if not isinstance(error, pybreaker.CircuitBreakerError):
                _log.warning("redis.fallback", use=self.use, error=f"{type(error).__name__}: {error}"[:200])
            return fallback()

    def record_failure(self, error: redis.RedisError) -> None:
        """Count a Redis failure seen outside `call` (e.g. by an async listener): opens the circuit."""
        try:
            self.breaker.call(_raise, error)
        except (pybreaker.CircuitBreakerError, redis.RedisError):
            FALLBACKS.labels(self.use).inc()

    def record_success(self) -> None:
        """Count a Redis success seen outside `call`: closes a half-open circuit."""
        if self.breaker.current_state != pybreaker.STATE_CLOSED and self._reset_due():
            self.breaker.close()


def _raise(error: BaseException) -> None:
    raise error


class RedisGuards:
    """The guards of one process (one per use in `USES`), built from the settings; part of the `System`."""

    def __init__(self, reset_seconds: float = 5.0) -> None:
        self.guards = {use: RedisGuard(use, reset_seconds) for use in USES}

    @classmethod
    def for_settings(cls, settings: Settings) -> RedisGuards:
        """Guards with `REDIS_CIRCUIT_RESET_SECONDS`."""
        return cls(settings.redis_circuit_reset_seconds)

    def __getitem__(self, use: str) -> RedisGuard:
        return self.guards[use]

    def states(self) -> dict[str, str]:
        """{use: "closed" | "open" | "half-open"} for the system page."""
        return {use: guard.state for use, guard in self.guards.items()}
