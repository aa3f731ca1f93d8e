"""Password hashing with Argon2id through passlib (PRODUCT.md §3: memory 64 MiB, time 3, parallelism 4).

`PasswordHasher()` uses the PRODUCT.md parameters; the `System` builds it from the settings. Cheaper parameters
(`PasswordHasher(FAST_PARAMS)`) exist for tests only: `PASSWORD_HASH_FAST=1` is honoured only with `ENV=test`
(`for_settings`), so production and dev always use the production cost. Verification reads the parameters from the
stored hash, so hashes of either cost verify anywhere.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from types import MappingProxyType

from passlib.context import CryptContext

from app.settings import Env, Settings

# KiB, passes, lanes (PRODUCT.md §3)
PRODUCTION_PARAMS: Mapping[str, int] = MappingProxyType({"memory_cost": 65536, "rounds": 3, "parallelism": 4})
FAST_PARAMS: Mapping[str, int] = MappingProxyType({"memory_cost": 1024, "rounds": 1, "parallelism": 1})


class PasswordHasher:
    """Argon2id hashing and verification with fixed cost parameters (`memory_cost` KiB, `rounds`, `parallelism`)."""

    def __init__(self, params: Mapping[str, int] = PRODUCTION_PARAMS) -> None:
        self.params = dict(params)
        self._context = CryptContext(schemes=["argon2"], argon2__type="ID",
                                     **{f"argon2__{k}": v for k, v in self.params.items()})
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    @property
    def dummy_hash(self) -> str:
        """A hash, with this hasher's own parameters, of a random password no account has (made on first use)."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self.hash(secrets.token_urlsafe(32))
            return self._dummy

    @classmethod
    def for_settings(cls, settings: Settings) -> PasswordHasher:
        """Production parameters, unless `ENV=test` and `PASSWORD_HASH_FAST` (tests only)."""
        fast = settings.env == Env.test and settings.password_hash_fast
        return cls(FAST_PARAMS if fast else PRODUCTION_PARAMS)

    def hash(self, password: str) -> str:
        """Argon2id hash string (`$argon2id$v=19$m=65536,t=3,p=4$...`) of `password`."""
        return str(self._context.hash(password))

    def verify(self, password: str, hashed: str | None) -> bool:
        """True when `password` matches `hashed`; False for a mismatch or an unreadable/unknown hash (never
        raises). `hashed=None` (an unknown email) checks against `dummy_hash` and returns False: the same work as a
        wrong password, so timing reveals nothing (ASVS 6.3.8)."""
        if hashed is None:
            self._verify(password, self.dummy_hash)
            return False
        return self._verify(password, hashed)

    def _verify(self, password: str, hashed: str) -> bool:
        try:
            return bool(self._context.verify(password, hashed))
        except (ValueError, TypeError):
            return False
