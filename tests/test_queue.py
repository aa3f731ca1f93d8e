"""The Huey queue: the embedded SqliteHuey consumer runs tasks in-process; with REDIS_URL a real `huey_consumer`
process runs them from RedisHuey (Redis db 1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

import tasks  # noqa: F401  (registers every task)
from app import jobs
from app.settings import ROOT, get_settings
from tasks.system import ping

REDIS_URL = "redis://127.0.0.1:6379/1"


def test_embedded_consumer_runs_a_task_and_keeps_signal_handlers() -> None:
    def marker(signum, frame):  # type: ignore[no-untyped-def]
        return None

    previous = signal.signal(signal.SIGTERM, marker)
    try:
        consumer = jobs.start_embedded_consumer(workers=2)
        try:
            assert jobs.start_embedded_consumer() is consumer  # idempotent
            assert signal.getsignal(signal.SIGTERM) is marker  # the host's handlers are restored
            assert Path(jobs.huey.storage.filename) == get_settings().huey_sqlite_path  # this test's own queue
            assert ping().get(blocking=True, timeout=10) == "pong"
        finally:
            jobs.stop_embedded_consumer()
        assert not jobs.embedded_consumer_running()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_build_huey_picks_the_backend_from_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from huey import RedisHuey, SqliteHuey

    assert isinstance(jobs.build_huey(get_settings()), SqliteHuey)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    get_settings.cache_clear()
    assert isinstance(jobs.build_huey(get_settings()), RedisHuey)


def test_redis_huey_task_runs_on_a_real_huey_consumer_process() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()  # db 1 is this suite's own
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))}
    env.update(REDIS_URL=REDIS_URL, PYTHONPATH=str(ROOT))
    consumer_bin = Path(sys.executable).parent / "huey_consumer"
    consumer = subprocess.Popen(
        [str(consumer_bin), "tasks.huey", "-w", "1", "-k", "thread", "-n", "-m", "0.5"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        started = time.monotonic()
        producer = subprocess.run(
            [sys.executable, "-c",
             "from tasks.system import ping; import tasks; "
             "print(type(tasks.huey).__name__, ping().get(blocking=True, timeout=30))"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
        assert producer.returncode == 0, producer.stderr
        assert producer.stdout.split() == ["RedisHuey", "pong"]
        assert time.monotonic() - started < 60
    finally:
        consumer.send_signal(signal.SIGINT)  # graceful stop
        try:
            output, _ = consumer.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            consumer.kill()
            output, _ = consumer.communicate()
    assert "tasks.system.ping" in output  # the consumer registered and executed our task
    assert "Traceback" not in output
