"""Login throttling (PRODUCT.md §3; OWASP Authentication Cheat Sheet, notes/reliability.md §5.2), shared by the JSON
API login route and the NiceGUI login form (UI events bypass HTTP middleware, so the check lives here).

Limits from the `limits` library:
- attempts: 5 per minute per account (normalised email) and 20 per minute per client IP (moving windows);
- lockout: the 5th *failed* attempt per account within 15 minutes locks that account key for 15 minutes from that
  failure (PRODUCT.md §3, issue 13 §6) — a fixed 15-minute lock, not a moving window that frees a slot as soon as
  the oldest failure ages out. Keys are SHA-256 of the email, so unknown and known emails behave identically
  (no enumeration) and no email is stored in the limiter.
- everywhere else a secret or a mailbox is at stake (issue 13 §6), `check_sensitive(action, account, ip)`:
  registration and forgot-password 10 per hour per IP, and together at most 5 per hour per email address (so at
  most 5 mails an hour reach one mailbox through them); current-password checks (`PUT /users/me/password`,
  `DELETE /users/me`, the settings page) 5 per 15 minutes per account and 20 per hour per IP.
Storage: in memory by default; Redis (`REDIS_URL`) when set, so limits hold across instances. While Redis fails
(issue 13 §3, `app.adapters.redis_guard`) the limits are counted in this process's memory instead, so sign-in keeps
working (and stays throttled per instance) and no request waits on a dead Redis.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from app.adapters.redis_guard import RedisGuard
from app.settings import Settings
from domain.accounts.users import normalize_email

ACCOUNT_LIMIT = parse("5/minute")
IP_LIMIT = parse("20/minute")
LOCKOUT_LIMIT = parse("5/15 minutes")  # failures counted toward a lock
LOCK = parse("1/15 minutes")  # the lock itself: one fixed window, opened by the 5th failure

# issue 13 §6: action → (per account or email address, per IP); see the module docstring
MAIL_ADDRESS_LIMIT = parse("5/hour")
SENSITIVE_LIMITS: dict[str, tuple[RateLimitItem, RateLimitItem]] = {
    "register": (MAIL_ADDRESS_LIMIT, parse("10/hour")),
    "forgot-password": (MAIL_ADDRESS_LIMIT, parse("10/hour")),
    "password-check": (parse("5/15 minutes"), parse("20/hour")),
}
_SHARED_BUCKET = {"register": "mail-address", "forgot-password": "mail-address", "password-check": "password-check"}
T = TypeVar("T")


class RateLimited(Exception):
    """Too many attempts. `retry_after` is in whole seconds (≥ 1); `detail` is safe to show to the user."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = max(1, retry_after)


class Throttle:
    """Rate limits of one `System` (a `limits` moving-window limiter on memory or Redis storage).

    - `check_login_allowed(email, ip)` / `record_login_failure(email)`: the sign-in rules above;
    - `hit(item, *identifiers)`: one generic hit (e.g. "sync now"), True when allowed;
    - `retry_after(item, *identifiers)`: whole seconds until the window frees a slot."""

    def __init__(self, storage_uri: str = "memory://", *, timeout: float = 0.25,
                 guard: RedisGuard | None = None) -> None:
        options: dict[str, float] = {}
        if storage_uri.startswith(("redis://", "rediss://", "unix://")):
            options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        storage = storage_from_string(storage_uri, **options)
        self.limiter = MovingWindowRateLimiter(storage)
        self.locks = FixedWindowRateLimiter(storage)  # a fixed window starts at its first hit: the lock's start
        fallback = MemoryStorage()
        self._fallback = MovingWindowRateLimiter(fallback)
        self._fallback_locks = FixedWindowRateLimiter(fallback)
        self._guard = guard or RedisGuard("throttle")

    @classmethod
    def for_settings(cls, settings: Settings, guard: RedisGuard | None = None) -> Throttle:
        """Redis storage when `REDIS_URL` is set (limits hold across instances; `guard` is its circuit breaker),
        else memory."""
        return cls(settings.redis_url or "memory://", timeout=settings.redis_timeout_seconds, guard=guard)

    def _call(self, use: Callable[[MovingWindowRateLimiter], T]) -> T:
        """`use(limiter)` on the configured storage, or on the in-memory fallback while Redis fails."""
        return self._guard.call(lambda: use(self.limiter), lambda: use(self._fallback))

    def _call_locks(self, use: Callable[[FixedWindowRateLimiter], T]) -> T:
        """`use(locks)` on the configured storage, or on the in-memory fallback while Redis fails."""
        return self._guard.call(lambda: use(self.locks), lambda: use(self._fallback_locks))

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one hit; True when it is within the limit."""
        return bool(self._call(lambda limiter: limiter.hit(item, *identifiers)))

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """True when one more hit would be within the limit (counts nothing)."""
        return bool(self._call(lambda limiter: limiter.test(item, *identifiers)))

    def retry_after(self, item: RateLimitItem, *identifiers: str) -> int:
        """Seconds (≥ 0) until the oldest hit of `identifiers` leaves the window of `item`."""
        reset_time, _remaining = self._call(lambda limiter: limiter.get_window_stats(item, *identifiers))
        return math.ceil(reset_time - time.time())

    def check_login_allowed(self, email: str, ip: str | None) -> None:
        """Count one sign-in attempt for `email` from `ip`; raise `RateLimited` if the account is locked out or the
        account (5/min) or IP (20/min) limit is exceeded. Call before verifying the password."""
        account = _account_key(email)
        if not self._call_locks(lambda locks: locks.test(LOCK, "login-lock", account)):
            reset_time, _remaining = self._call_locks(lambda locks: locks.get_window_stats(LOCK, "login-lock", account))
            raise RateLimited(
                "Too many failed sign-in attempts for this account. Try again in 15 minutes.",
                math.ceil(reset_time - time.time()),
            )
        ip_key = ip or "unknown"
        if not self.hit(IP_LIMIT, "login-ip", ip_key):
            raise RateLimited("Too many sign-in attempts from your network. Try again in a minute.",
                              self.retry_after(IP_LIMIT, "login-ip", ip_key))
        if not self.hit(ACCOUNT_LIMIT, "login-acct", account):
            raise RateLimited("Too many sign-in attempts for this account. Try again in a minute.",
                              self.retry_after(ACCOUNT_LIMIT, "login-acct", account))

    def record_login_failure(self, email: str) -> bool:
        """Count a failed sign-in (wrong email or password) toward the lockout of that account key; returns True
        when this failure locked the account: the 5th within 15 minutes starts a 15-minute lock from now."""
        account = _account_key(email)
        self.hit(LOCKOUT_LIMIT, "login-fail", account)
        if self.test(LOCKOUT_LIMIT, "login-fail", account):
            return False
        self._call_locks(lambda locks: locks.hit(LOCK, "login-lock", account))
        self._call(lambda limiter: limiter.clear(LOCKOUT_LIMIT, "login-fail", account))  # counting starts afresh
        return True

    def check_sensitive(self, action: str, account: str, ip: str | None) -> None:
        """Count one `action` ("register", "forgot-password", "password-check"; `SENSITIVE_LIMITS`) for `account`
        (an email address — normalised and hashed here — or a user id) from `ip`; raise `RateLimited` (whole
        seconds in `retry_after`, a message safe to show) when the IP or the account is over its limit. Known and
        unknown emails count alike, so the answer reveals nothing (issue 13 §6)."""
        per_account, per_ip = SENSITIVE_LIMITS[action]
        ip_key = ip or "unknown"
        if not self.hit(per_ip, f"{action}-ip", ip_key):
            raise RateLimited("Too many attempts from your network. Try again later.",
                              self.retry_after(per_ip, f"{action}-ip", ip_key))
        bucket, key = _SHARED_BUCKET[action], _account_key(account) if "@" in account else account
        if not self.hit(per_account, bucket, key):
            raise RateLimited("Too many attempts for this account. Try again later.",
                              self.retry_after(per_account, bucket, key))


def _account_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()
