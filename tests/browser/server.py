"""Start FitTrack as a real subprocess (`python app/main.py`, via `app.devserver`) on a free port with its own
temporary database, for browser tests and the screenshot script. The child gets a clean environment (see
app/devserver.py); here it also gets INFO logging (the fixtures check the log for tracebacks) and its schema is
created directly rather than migrated."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from app.devserver import AppProcess, child_settings, running_worker
from app.devserver import running_app as _running_app

CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary (/usr/bin/chromium is a shell wrapper)
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SIGNING_SECRET = "browser-test-signing-secret"

Server = AppProcess  # a running app: base URL, environment (for direct DB access), log file, process


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema in the child's database (the app itself expects a migrated database)."""
    from app.db import create_db_engine
    from tests.support.schema import create_schema

    engine = create_db_engine(env["DATABASE_URL"])
    create_schema(engine)
    engine.dispose()


@contextlib.contextmanager
def running_app(workdir: Path, *, timeout: float = 60.0, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start the app, wait until `/health/live` answers (at most `timeout` seconds), yield it; terminate it
    afterwards. `extra_env` adds child settings (e.g. `REDIS_URL`). Raises `RuntimeError` with the tail of the log
    if it exits or does not start in time."""
    overrides = {"TERRA_SIGNING_SECRET": SIGNING_SECRET, "PASSWORD_HASH_FAST": "1", "LOG_LEVEL": "INFO",
                 **(extra_env or {})}
    with _running_app(workdir, env_overrides=overrides, timeout=timeout, prepare=prepare_database) as server:
        yield server


@contextlib.contextmanager
def child_database(server: Server) -> Iterator[None]:
    """Point this process's settings and engine at the child's database (to create test members directly)."""
    with child_settings(server, ("DATABASE_URL", "ENV", "PASSWORD_HASH_FAST", "TERRA_SIGNING_SECRET")):
        yield


@contextlib.contextmanager
def huey_worker(server: Server) -> Iterator[Path]:
    """A separate `huey_consumer tasks.huey` process with the app's environment (RedisHuey when it has REDIS_URL);
    yields its log path and stops it with SIGINT (graceful) afterwards. See `app.devserver.running_worker`."""
    with running_worker(server) as log_path:
        yield log_path
