"""The Huey queue of a System (`app.adapters.jobs.JobQueue`): the embedded SqliteHuey consumer runs tasks in-process
on the System's own queue file; with `REDIS_URL` a real `huey_consumer app.worker.huey` process runs them from
RedisHuey (this xdist worker's Redis database)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from app.adapters import jobs
from app.cli.devserver import child_env, free_port
from app.settings import ROOT
from app.system import System, build_system
from tests.support.jobs import ensure_tasks
from tests.support.system import FAST_PASSWORDS, make_settings


def test_embedded_consumer_runs_a_task_and_keeps_signal_handlers(system: System) -> None:
    def marker(signum, frame):  # type: ignore[no-untyped-def]
        return None

    ensure_tasks(system)
    previous = signal.signal(signal.SIGTERM, marker)
    try:
        consumer = system.jobs.start_consumer(workers=2)
        try:
            assert system.jobs.start_consumer(workers=2) is consumer  # idempotent
            assert system.jobs.consumer_running
            assert signal.getsignal(signal.SIGTERM) is marker  # the host's handlers are restored
            huey = system.jobs.huey
            assert isinstance(huey, SqliteHuey)
            assert Path(huey.storage.filename) == system.settings.huey_sqlite_path  # this test's own queue
            result = system.jobs.enqueue("ping")
            assert result is not None and result.get(blocking=True, timeout=10) == "pong"
        finally:
            system.jobs.stop_consumer()
        assert not system.jobs.consumer_running
        system.jobs.stop_consumer()  # a no-op when none runs
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_build_huey_picks_the_backend_from_settings(system: System, system_factory: Callable[..., System],
                                                    redis_url: str) -> None:
    assert isinstance(jobs.build_huey(system.settings), SqliteHuey)
    assert isinstance(system.jobs.huey, SqliteHuey)
    with_redis = system_factory(redis_url=redis_url)
    assert isinstance(jobs.build_huey(with_redis.settings), RedisHuey)
    assert isinstance(with_redis.jobs.huey, RedisHuey)


def test_tasks_are_enqueued_by_name_only_once_registered(tmp_path: Path) -> None:
    """A System's queue knows no task until `tasks.register_tasks` ran (the test Systems register theirs when they
    are built; this one is built bare); registering twice changes nothing."""
    system = build_system(make_settings(tmp_path, f"sqlite:///{tmp_path / 'q.db'}"), passwords=FAST_PASSWORDS)
    with pytest.raises(jobs.UnknownTask, match="ping"):
        system.jobs.enqueue("ping")
    ensure_tasks(system)
    ensure_tasks(system)  # idempotent
    assert {"ping", "process_webhook_delivery", "send_outbox_message", "execute_drawing", "drawing_scheduler",
            "sync_due_connections", "backfill_connection", "audit_ledger"} <= set(system.jobs.task_names)
    system.jobs.enqueue("ping")
    assert system.jobs.pending_count() == 1
    system.close()


def test_redis_huey_task_runs_on_a_real_huey_consumer_process(tmp_path: Path, redis_url: str,
                                                              system_factory: Callable[..., System]) -> None:
    """`huey_consumer app.worker.huey` (what `make worker` runs) builds its own System from the environment; a
    producer System on the same Redis enqueues `ping` by name and gets the answer."""
    env = child_env(tmp_path, free_port(), {"REDIS_URL": redis_url})
    consumer_bin = Path(sys.executable).parent / "huey_consumer"
    consumer = subprocess.Popen(
        [str(consumer_bin), "app.worker.huey", "-w", "1", "-k", "thread", "-n", "-m", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        producer = ensure_tasks(system_factory(redis_url=redis_url))
        assert isinstance(producer.jobs.huey, RedisHuey)
        result = producer.jobs.enqueue("ping")
        assert result is not None and result.get(blocking=True, timeout=60) == "pong"
    finally:
        consumer.send_signal(signal.SIGINT)  # graceful stop
        try:
            output, _ = consumer.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            output, _ = consumer.communicate()
    assert "tasks.system.ping" in output  # the consumer registered and executed our task
    assert "Traceback" not in output
