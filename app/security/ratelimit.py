"""Login throttling (PRODUCT.md §3; OWASP Authentication Cheat Sheet, notes/reliability.md §5.2), shared by the JSON
API login route and the NiceGUI login form (UI events bypass HTTP middleware, so the check lives here).

Moving-window limits from the `limits` library:
- attempts: 5 per minute per account (normalised email) and 20 per minute per client IP;
- lockout: 5 *failed* attempts per account within 15 minutes lock that account key until the oldest failure leaves
  the window (at most 15 minutes). Keys are SHA-256 of the email, so unknown and known emails behave identically
  (no enumeration) and no email is stored in the limiter.
Storage: in memory by default; Redis (`REDIS_URL`) when set, so limits hold across instances.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.settings import Settings, get_settings
from domain.accounts import normalize_email

ACCOUNT_LIMIT = parse("5/minute")
IP_LIMIT = parse("20/minute")
LOCKOUT_LIMIT = parse("5/15 minutes")


class RateLimited(Exception):
    """Too many attempts. `retry_after` is in whole seconds (≥ 1); `detail` is safe to show to the user."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = max(1, retry_after)


@dataclass
class _State:
    settings: Settings | None = None
    limiter: MovingWindowRateLimiter | None = None


_state = _State()
_lock = threading.Lock()


def _limiter() -> MovingWindowRateLimiter:
    """The limiter for the current settings (rebuilt when the settings object changes, e.g. between tests)."""
    settings = get_settings()
    with _lock:
        if _state.limiter is None or _state.settings is not settings:
            uri = settings.redis_url or "memory://"
            _state.limiter = MovingWindowRateLimiter(storage_from_string(uri))
            _state.settings = settings
        return _state.limiter


def _account_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, *ids: str) -> int:
    reset_time, _remaining = limiter.get_window_stats(item, *ids)
    return math.ceil(reset_time - time.time())


def check_login_allowed(email: str, ip: str | None) -> None:
    """Count one sign-in attempt for `email` from `ip`; raise `RateLimited` if the account is locked out or the
    account (5/min) or IP (20/min) limit is exceeded. Call before verifying the password."""
    limiter = _limiter()
    account = _account_key(email)
    if not limiter.test(LOCKOUT_LIMIT, "login-fail", account):
        raise RateLimited(
            "Too many failed sign-in attempts for this account. Try again in 15 minutes.",
            _retry_after(limiter, LOCKOUT_LIMIT, "login-fail", account),
        )
    ip_key = ip or "unknown"
    if not limiter.hit(IP_LIMIT, "login-ip", ip_key):
        raise RateLimited("Too many sign-in attempts from your network. Try again in a minute.",
                          _retry_after(limiter, IP_LIMIT, "login-ip", ip_key))
    if not limiter.hit(ACCOUNT_LIMIT, "login-acct", account):
        raise RateLimited("Too many sign-in attempts for this account. Try again in a minute.",
                          _retry_after(limiter, ACCOUNT_LIMIT, "login-acct", account))


def record_login_failure(email: str) -> bool:
    """Count a failed sign-in (wrong email or password) toward the 15-minute lockout of that account key; returns
    True when this failure locked the account (the 5th within the window)."""
    limiter = _limiter()
    limiter.hit(LOCKOUT_LIMIT, "login-fail", _account_key(email))
    return not limiter.test(LOCKOUT_LIMIT, "login-fail", _account_key(email))
