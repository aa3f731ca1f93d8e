"""A circuit breaker for calls to Terra (issue 5 §1), its state kept through the cache port (`app.adapters.cache`: Redis
when `REDIS_URL` is set, else in-process) so the web app and every worker process see the same circuit. The System
holds the Terra circuit (`system.terra_circuit`, built by `CircuitBreaker.from_settings(settings, cache=...)`).

States:
- `closed`: calls go through. Each failed attempt (5xx, timeout, transport error) adds one to `failures`; a
  success resets it. At `threshold` consecutive failures the circuit opens.
- `open`: calls fail fast (`CircuitOpenError`, with the seconds left) until `opened_until` (cool-down seconds after
  opening).
- `half_open`: after the cool-down the first caller becomes the probe (for at most `probe_timeout` seconds); the
  others still fail fast. The probe's success closes the circuit; its failure opens it for another cool-down.

The state is one JSON value under `circuit:<name>`, read and written without a lock (the cache port has no atomic
operations): two processes failing at the same instant may count one failure instead of two, which only delays the
opening by one failure. Times are unix seconds (UTC wall clock, so every process agrees).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.adapters.cache import Cache
from app.settings import Settings

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
TERRA_CIRCUIT = "terra"
STATE_TTL_SECONDS = 7 * 24 * 3600  # forget a circuit nobody touched for a week (it is then closed)


class CircuitOpenError(Exception):
    """The circuit is open: the call was not made. `retry_after` = seconds until a probe is allowed (≥ 0)."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit {name!r} is open; retry in {retry_after:.0f} s")
        self.name = name
        self.retry_after = max(retry_after, 0.0)


@dataclass(frozen=True)
class CircuitStatus:
    """What the admin system page shows: `state` (`closed` / `open` / `half_open`), consecutive `failures`, and
    `opened_until` (aware UTC datetime the cool-down ends; None when closed)."""

    state: str
    failures: int
    opened_until: datetime | None
    threshold: int
    cooldown_seconds: float


class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures; open for `cooldown_seconds`; then one half-open probe.

    `cache` is the cache port holding the state (the System's: shared by every process when it is Redis);
    `clock` returns unix seconds. Usage: `breaker.before_call()` (raises `CircuitOpenError`), then
    `record_success()` or `record_failure()`."""

    def __init__(self, name: str = TERRA_CIRCUIT, *, cache: Cache, threshold: int = 5, cooldown_seconds: float = 60.0,
                 probe_timeout: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.name = name
        self.threshold = threshold
        self.cooldown_seconds = cooldown_seconds
        self.probe_timeout = probe_timeout
        self._cache = cache
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, *, cache: Cache) -> CircuitBreaker:
        """The Terra circuit with `TERRA_CIRCUIT_THRESHOLD` and `TERRA_CIRCUIT_COOLDOWN_SECONDS`, its state in
        `cache`."""
        return cls(TERRA_CIRCUIT, threshold=settings.terra_circuit_threshold,
                   cooldown_seconds=settings.terra_circuit_cooldown_seconds,
                   probe_timeout=max(settings.terra_timeout_seconds * 2, 5.0), cache=cache)

    @property
    def key(self) -> str:
        return f"circuit:{self.name}"

    def _store(self) -> Cache:
        return self._cache

    def _read(self) -> dict[str, Any]:
        raw = self._store().get(self.key)
        state = raw if isinstance(raw, dict) else {}
        return {"state": state.get("state", CLOSED), "failures": int(state.get("failures", 0)),
                "opened_until": state.get("opened_until"), "probe_until": state.get("probe_until")}

    def _write(self, state: dict[str, Any]) -> None:
        self._store().set(self.key, state, ttl_seconds=STATE_TTL_SECONDS)

    def before_call(self) -> None:
        """Allow the call, or raise `CircuitOpenError`. After the cool-down the first caller is let through as the
        half-open probe (the circuit records it); concurrent callers keep failing fast until it reports back."""
        state = self._read()
        now = self._clock()
        if state["state"] == CLOSED:
            return
        if state["state"] == OPEN:
            opened_until = float(state["opened_until"] or 0)
            if now < opened_until:
                raise CircuitOpenError(self.name, opened_until - now)
        elif state["state"] == HALF_OPEN:
            probe_until = float(state["probe_until"] or 0)
            if now < probe_until:
                raise CircuitOpenError(self.name, probe_until - now)
        self._write({**state, "state": HALF_OPEN, "probe_until": now + self.probe_timeout})

    def record_success(self) -> None:
        """A call got an answer from Terra (any status below 500 except 429): close the circuit, reset failures."""
        state = self._read()
        if state["state"] != CLOSED or state["failures"]:
            self._write({"state": CLOSED, "failures": 0, "opened_until": None, "probe_until": None})

    def record_failure(self) -> None:
        """An attempt failed (5xx, timeout, transport error). Opens the circuit at `threshold` consecutive failures,
        or at once when it was the half-open probe."""
        state = self._read()
        failures = state["failures"] + 1
        if state["state"] == HALF_OPEN or (state["state"] == CLOSED and failures >= self.threshold):
            self._write({"state": OPEN, "failures": failures, "opened_until": self._clock() + self.cooldown_seconds,
                         "probe_until": None})
        else:
            self._write({**state, "failures": failures})

    def reset(self) -> None:
        """Close the circuit and forget the failures (tests, or an admin after fixing the cause)."""
        self._store().delete(self.key)

    def status(self) -> CircuitStatus:
        """The current state (an open circuit whose cool-down has passed is shown as `half_open`: the next call
        probes)."""
        state = self._read()
        now = self._clock()
        opened_until = state["opened_until"]
        shown = state["state"]
        if shown == OPEN and opened_until is not None and now >= float(opened_until):
            shown = HALF_OPEN
        return CircuitStatus(
            state=shown, failures=state["failures"],
            opened_until=(datetime.fromtimestamp(float(opened_until), UTC)
                          if opened_until is not None and shown != CLOSED else None),
            threshold=self.threshold, cooldown_seconds=self.cooldown_seconds,
        )

