"""The Huey task queue (PRODUCT.md §2 run modes; notes/reliability.md §4).

- `REDIS_URL` set → `RedisHuey("fittrack")`; tasks run in separate `huey_consumer tasks.huey` processes
  (one with the scheduler, the others with `-n`).
- otherwise → `SqliteHuey("fittrack")` in `HUEY_SQLITE_PATH`, consumed by threads inside the app process
  (`start_embedded_consumer`, called from `app.runtime` at NiceGUI startup, never at import).

The instance is created once, at import, from the settings of that moment. Tests change `HUEY_SQLITE_PATH` per test;
`start_embedded_consumer()` therefore re-points the SQLite storage at the *current* settings' file
(`sync_storage_with_settings`) before starting, so each test's consumer and enqueues use that test's own queue file
and no task leaks from one test into the next. The backend kind (Redis vs SQLite) is fixed for the process.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import structlog
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from app.settings import Settings, get_settings

QUEUE_NAME = "fittrack"
_log = structlog.get_logger("fittrack.jobs")


def build_huey(settings: Settings) -> Huey:
    """A Huey instance for `settings`: RedisHuey when `REDIS_URL` is set, else SqliteHuey (parent dir created)."""
    if settings.redis_url:
        return RedisHuey(QUEUE_NAME, url=settings.redis_url)
    path = Path(settings.huey_sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path))


huey: Huey = build_huey(get_settings())

_consumer: Consumer | None = None
_lock = threading.Lock()
_SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]


def sync_storage_with_settings() -> None:
    """Point a SqliteHuey's storage at the current `HUEY_SQLITE_PATH` if it changed (tests switch it per test)."""
    storage = huey.storage
    if not isinstance(storage, SqliteStorage):
        return
    path = Path(get_settings().huey_sqlite_path)
    if Path(storage.filename) != path:
        path.parent.mkdir(parents=True, exist_ok=True)
        storage.close()
        huey.storage = SqliteStorage(QUEUE_NAME, filename=str(path))


def start_embedded_consumer(workers: int | None = None) -> Consumer:
    """Start Huey's consumer inside this process: `workers` threads (default `HUEY_WORKERS`), the periodic
    scheduler, stale locks flushed. The SIGINT/SIGTERM/SIGHUP handlers of the host (uvicorn) are saved and restored,
    because `Consumer.start()` installs its own. Idempotent: returns the running consumer if there is one."""
    global _consumer
    with _lock:
        if _consumer is not None:
            return _consumer
        sync_storage_with_settings()
        consumer = huey.create_consumer(
            workers=workers or get_settings().huey_workers, worker_type="thread", periodic=True, flush_locks=True,
            # Idle polling of the SQLite queue tops out at 0.2 s, so points land on live pages within 1 s even after
            # a quiet spell (bench/live_push_bench.py measures it); an idle poll is one indexed SQLite read.
            initial_delay=0.05, backoff=1.15, max_delay=0.2,
        )
        saved = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        try:
            consumer.start()
        except ValueError:
            # Off the main thread `signal.signal` refuses; the workers and scheduler are already running.
            if threading.current_thread() is threading.main_thread():
                raise
        finally:
            if threading.current_thread() is threading.main_thread():
                for sig, handler in saved.items():
                    if handler is not None:
                        signal.signal(sig, handler)
        _consumer = consumer
        _log.info("huey.embedded_consumer.started", workers=consumer.workers)
        return consumer


def stop_embedded_consumer() -> None:
    """Stop the embedded consumer gracefully (waits for running tasks). No-op when none is running."""
    global _consumer
    with _lock:
        consumer, _consumer = _consumer, None
    if consumer is not None:
        consumer.stop(graceful=True)
        _log.info("huey.embedded_consumer.stopped")


def embedded_consumer_running() -> bool:
    """True while the in-process consumer started by `start_embedded_consumer` is running."""
    return _consumer is not None
