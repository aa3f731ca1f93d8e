"""The Huey task queue (PRODUCT.md §2 run modes; notes/reliability.md §4), one per `System`.

- `REDIS_URL` set → `RedisHuey("fittrack")`; tasks run in separate `huey_consumer app.worker.huey` processes
  (one with the scheduler, the others with `-n`).
- otherwise → `SqliteHuey("fittrack")` in `HUEY_SQLITE_PATH`, consumed by threads inside the app process
  (`JobQueue.start_consumer`, called at NiceGUI startup, never at import).

Tasks are defined by `tasks.register_tasks(system)` on this queue's Huey instance and registered here by name, so
the rest of the app enqueues follow-up work by name (`system.jobs.enqueue("send_outbox_message", id)`) without
importing `tasks`.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import redis
import structlog
from huey import RedisHuey, SqliteHuey
from huey.api import Huey, Result, TaskWrapper
from huey.consumer import Consumer

from app.adapters.redis_guard import RedisGuard
from app.settings import Settings

QUEUE_NAME = "fittrack"
_log = structlog.get_logger("fittrack.jobs")
_SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]


def build_huey(settings: Settings) -> Huey:
    """A Huey instance for `settings`: RedisHuey when `REDIS_URL` is set, else SqliteHuey (parent dir created)."""
    if settings.redis_url:
        # bounded socket waits (issue 13 §3): above the consumer's 1 s blocking read, so a frozen Redis fails an
        # enqueue in ~1.5 s once and the `queue` circuit then skips Redis until it answers again
        pool = redis.ConnectionPool.from_url(settings.redis_url, socket_timeout=1.5,
                                             socket_connect_timeout=settings.redis_timeout_seconds)
        return RedisHuey(QUEUE_NAME, connection_pool=pool)
    path = Path(settings.huey_sqlite_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path))


class UnknownTask(LookupError):
    """`enqueue` named a task that `tasks.register_tasks` did not register."""


class JobQueue:
    """One Huey instance, the tasks registered on it by name, and (embedded mode) its in-process consumer."""

    def __init__(self, huey: Huey, guard: RedisGuard | None = None) -> None:
        self.huey = huey
        self._guard = guard if isinstance(huey, RedisHuey) else None
        self._tasks: dict[str, TaskWrapper] = {}
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings, guard: RedisGuard | None = None) -> JobQueue:
        """The queue for `settings` (`build_huey`); `guard` is the `queue` circuit breaker of a Redis queue."""
        return cls(build_huey(settings), guard)

    def add(self, task: TaskWrapper) -> TaskWrapper:
        """Register a task (by its Huey name) so it can be enqueued by name; returns it (usable as a decorator)."""
        self._tasks[task.name] = task
        return task

    def task(self, name: str) -> TaskWrapper:
        """The registered task called `name`. Raises `UnknownTask`."""
        try:
            return self._tasks[name]
        except KeyError:
            raise UnknownTask(f"no task {name!r} is registered (tasks.register_tasks)") from None

    @property
    def task_names(self) -> list[str]:
        """Names of the registered tasks, sorted."""
        return sorted(self._tasks)

    def enqueue(self, name: str, *args: Any) -> Result | None:
        """Enqueue task `name` with `args`; returns Huey's result handle (None in immediate mode, and None when
        Redis fails or its circuit is open: the work is then left to the sweepers, which re-enqueue stored
        deliveries and queued mail — issue 13 §3). Raises `UnknownTask`."""
        task = self.task(name)
        if self._guard is None:
            return task(*args)
        return self._guard.call(lambda: task(*args), lambda: None)

    def pending_count(self) -> int:
        """Tasks waiting in the queue."""
        return int(self.huey.pending_count())

    def start_consumer(self, workers: int) -> Consumer:
        """Start Huey's consumer inside this process: `workers` threads, the periodic scheduler, stale locks
        flushed. The SIGINT/SIGTERM/SIGHUP handlers of the host (uvicorn) are saved and restored, because
        `Consumer.start()` installs its own. Idempotent: returns the running consumer if there is one."""
        with self._lock:
            if self._consumer is not None:
                return self._consumer
            consumer = self.huey.create_consumer(
                workers=workers, worker_type="thread", periodic=True, flush_locks=True,
                # Idle polling of the SQLite queue tops out at 0.2 s, so points land on live pages within 1 s even
                # after a quiet spell (bench/live_push_bench.py measures it); an idle poll is one indexed read.
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
            self._consumer = consumer
            _log.info("huey.embedded_consumer.started", workers=consumer.workers)
            return consumer

    def stop_consumer(self) -> None:
        """Stop the in-process consumer gracefully (waits for running tasks). No-op when none is running."""
        with self._lock:
            consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=True)
            _log.info("huey.embedded_consumer.stopped")

    @property
    def consumer_running(self) -> bool:
        """True while the in-process consumer started by `start_consumer` is running."""
        return self._consumer is not None
