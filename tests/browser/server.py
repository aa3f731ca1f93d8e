"""Start FitTrack as a real subprocess (`python app/main.py`, via `app.cli.devserver`) on a free port with its own
temporary database, for browser tests and the screenshot script. The child gets a clean environment (see
app/cli/devserver.py); here it also gets INFO logging (the fixtures check the log for tracebacks), fast password
hashing and a known Terra signing secret, and its schema is created directly (the migrated per-process template)
rather than migrated in a subprocess.

`BrowserServer` is what the browser tests share per module (tests/browser/conftest.py): the running app, a `System`
on the child's settings (`app.cli.devserver.child_system`: its database, queue, Redis and secrets, to create rows
directly and to see what the app did) and the log positions that let each test check only its own part of the
logs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.cli.devserver import AppProcess, running_worker
from app.cli.devserver import running_app as _running_app
from app.system import System
from tests.support import system as test_system

CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary (/usr/bin/chromium is a shell wrapper)
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SIGNING_SECRET = "browser-test-signing-secret"
DRAIN_TIMEOUT_S = 30.0
POLL_S = 0.05

Server = AppProcess  # a running app: base URL, environment, log file, process


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema in the child's database (the app itself expects a migrated database)."""
    from app.adapters.db import create_db_engine
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
def huey_worker(server: Server) -> Iterator[Path]:
    """A separate `huey_consumer app.worker.huey` process with the app's environment (RedisHuey when it has
    REDIS_URL); yields its log path and stops it with SIGINT (graceful) afterwards. See
    `app.cli.devserver.running_worker`."""
    with running_worker(server) as log_path:
        yield log_path


def _size(path: Path | None) -> int:
    return path.stat().st_size if path is not None and path.exists() else 0


def _read_from(path: Path, offset: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", errors="replace")


@dataclass
class LogMark:
    """Positions (bytes) in the app's and the worker's log at one moment."""

    app: int
    worker: int


@dataclass
class BrowserServer:
    """A running app shared by the tests of one module: `app` (base URL, environment, log), `system` (a System on
    the child's settings; tests make it current so `tests.support` helpers write into the app's database) and
    `worker_log` (the separate Huey consumer's log, when there is one)."""

    app: AppProcess
    system: System
    worker_log: Path | None = None
    _started: LogMark = field(init=False)

    def __post_init__(self) -> None:
        self._started = self.mark()

    @property
    def base_url(self) -> str:
        return self.app.base_url

    def mark(self) -> LogMark:
        """The current end of the logs (a test's own part of them starts here)."""
        return LogMark(_size(self.app.log_path), _size(self.worker_log))

    def app_log(self, since: LogMark | None = None) -> str:
        return _read_from(self.app.log_path, (since or self._started).app)

    def worker_log_text(self, since: LogMark | None = None) -> str:
        if self.worker_log is None:
            return ""
        return _read_from(self.worker_log, (since or self._started).worker)

    def drain(self, timeout: float = DRAIN_TIMEOUT_S) -> None:
        """Wait until the app's job queue is empty (work a test caused — mail sends, webhook processing — has been
        picked up), so it runs during this test and shows in this test's part of the logs."""
        deadline = time.monotonic() + timeout
        while self.system.jobs.pending_count():
            if time.monotonic() > deadline:
                raise AssertionError(f"the app's queue still holds {self.system.jobs.pending_count()} job(s)")
            time.sleep(POLL_S)

    def assert_clean(self, since: LogMark | None = None) -> None:
        """No traceback in the app's (and the worker's) log since `since` (default: since the server started)."""
        for name, text in (("app", self.app_log(since)), ("worker", self.worker_log_text(since))):
            assert "Traceback" not in text, f"{name} log:\n{text[-6000:]}"

    @contextlib.contextmanager
    def for_test(self) -> Iterator[BrowserServer]:
        """One test's use of the shared server: its System is the current test System meanwhile (`tests.support`
        helpers write into the app's database); afterwards the app's queue is drained and a traceback logged by the
        app or the worker during the test fails it."""
        mark = self.mark()
        previous = test_system.current()
        test_system.use(self.system)
        try:
            yield self
            self.drain()
            self.assert_clean(mark)
        finally:
            test_system.use(previous)
