"""The test `System`: real adapters (a SQLite file or a PostgreSQL database, SqliteHuey, in-process pub/sub and
cache unless a test asks for Redis) built like production's (`app.system.build_system`), with two test-only
choices made here and nowhere in production code:

- cheap Argon2 parameters (`app.security.passwords.FAST_PARAMS`; `tests/unit/test_passwords.py` checks the
  production ones), and
- one RSA key pair per test session (generating RSA-3072 costs ~0.3 s).

Test helpers that do not receive a System (builders, support modules) use the *current* one: the last System a
fixture built for the running test (`current()`), a test-side global that production code never sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.security.jwt import AccessTokens, KeyPair
from app.security.passwords import FAST_PARAMS, PasswordHasher
from app.settings import Env, Settings
from app.system import System, build_system
from tasks import register_tasks

SIGNING_SECRET = "test-signing-secret"
FAST_PASSWORDS = PasswordHasher(FAST_PARAMS)

_current: System | None = None


def current() -> System:
    """The System of the running test (set by the `system` / `db_system` / `pg_system` fixtures)."""
    if _current is None:
        raise RuntimeError("no test System: request the `system` fixture (or db_system / pg_system)")
    return _current


def use(system: System | None) -> None:
    """Make `system` the current one (None: none)."""
    global _current
    _current = system


def make_settings(var: Path, database_url: str = "sqlite://", **overrides: Any) -> Settings:
    """Settings for a test: ENV=test, the given database, every file under `var` (a per-test folder), no Redis
    unless `redis_url` is passed. Explicit values win over the environment and `.env`."""
    values: dict[str, Any] = {
        "env": Env.test, "database_url": database_url, "redis_url": None,
        "jwt_private_key_path": var / "jwt_private.pem", "jwt_public_key_path": var / "jwt_public.pem",
        "huey_sqlite_path": var / "huey.db", "media_dir": var / "media", "terra_signing_secret": SIGNING_SECRET,
        "password_hash_fast": True, "huey_embedded": False,
        "day_credit_window_days": 0,  # the fixtures post 2016 days (the Fitbit dataset); tests of the window set it
    }
    values.update(overrides)
    return Settings(**values)


def make_system(settings: Settings, keys: KeyPair) -> System:
    """A System for `settings` with fast password hashing and the session's key pair, its tasks registered (so the
    after-commit effects can enqueue follow-up jobs by name, as in production)."""
    system = build_system(settings, passwords=FAST_PASSWORDS, tokens=AccessTokens.for_settings(settings, keys))
    register_tasks(system)
    return system
