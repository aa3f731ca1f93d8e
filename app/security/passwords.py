"""Password hashing with Argon2id through passlib (PRODUCT.md §3: memory 64 MiB, time 3, parallelism 4).

`PASSWORD_HASH_FAST=1` lowers the cost (m=1024 KiB, t=1, p=1) for tests only: it is honoured only when `ENV=test`,
so production and dev always use the PRODUCT.md parameters. Verification reads the parameters from the stored hash,
so hashes of either cost verify anywhere.
"""

from __future__ import annotations

import functools

from passlib.context import CryptContext

from app.settings import Env, get_settings

PRODUCTION_PARAMS = {"memory_cost": 65536, "rounds": 3, "parallelism": 4}  # KiB, passes, lanes (PRODUCT.md §3)
_TEST_FAST_PARAMS = {"memory_cost": 1024, "rounds": 1, "parallelism": 1}


@functools.cache
def _context(fast: bool) -> CryptContext:
    params = _TEST_FAST_PARAMS if fast else PRODUCTION_PARAMS
    return CryptContext(schemes=["argon2"], argon2__type="ID", **{f"argon2__{k}": v for k, v in params.items()})


def password_context() -> CryptContext:
    """The CryptContext for the current settings (production parameters unless ENV=test and PASSWORD_HASH_FAST)."""
    settings = get_settings()
    fast = settings.env == Env.test and settings.password_hash_fast
    return _context(fast)


def hash_password(password: str) -> str:
    """Argon2id hash string (`$argon2id$v=19$m=65536,t=3,p=4$...`) of `password`."""
    return password_context().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """True when `password` matches `hashed`; False for a mismatch or an unreadable/unknown hash (never raises)."""
    try:
        return bool(password_context().verify(password, hashed))
    except (ValueError, TypeError):
        return False
