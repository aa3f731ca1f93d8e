"""Run FitTrack in a child process — a development and test utility, not used by the app itself.

`running_app(workdir)` starts the real app (`python app/main.py`) on a free 127.0.0.1 port with its own SQLite
database, Huey file, JWT keys and NiceGUI storage under `workdir`, waits until `GET /health/live` answers, yields an
`AppProcess` and stops the process afterwards. The child gets a clean environment: no pytest/NiceGUI test variables
(they would switch `ui.run` into test mode, notes/nicegui.md §2.4) and no `REDIS_URL` unless the caller passes one.
`running_worker(app)` adds a separate `huey_consumer app.worker.huey` process with the app's environment (the
production topology when the app has `REDIS_URL`). `child_system(app)` builds, in this process, a `System` on the
child's settings (its database, queue, Redis and secrets), to create rows directly or watch what the child does.
Used by tests/integration/test_replay.py, tests/browser/server.py, scripts/screenshots.py, bench/ingest_bench.py and
bench/live_push_bench.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.settings import ROOT, Settings
from app.system import System, build_system

_REMOVED_VARIABLES = ("PYTEST_CURRENT_TEST", "NICEGUI_USER_SIMULATION", "NICEGUI_SCREEN_TEST_PORT", "REDIS_URL")
_LOG_TAIL_CHARS = 3000
_POLL_INTERVAL_S = 0.2
_STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class AppProcess:
    """A running app: `base_url` (`http://127.0.0.1:<port>`), the child's full environment `env` (e.g. its
    `DATABASE_URL`, for direct database access), `log_path` (its stdout and stderr) and the `process` itself."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        """Everything the app has written to stdout/stderr so far (undecodable bytes replaced)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it by binding to port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(workdir: Path, port: int, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for the child: a copy of `os.environ` without the pytest/NiceGUI test variables and
    `REDIS_URL`; `ENV=test`; `APP_HOST=127.0.0.1`, `APP_PORT=port`; `DATABASE_URL` (`workdir/app.db`),
    `HUEY_SQLITE_PATH`, `JWT_PRIVATE_KEY_PATH`, `JWT_PUBLIC_KEY_PATH` and `NICEGUI_STORAGE_PATH` under `workdir`;
    `DAY_CREDIT_WINDOW_DAYS=0` (the children replay the 2016 dataset); then `overrides` on top (they may set any of
    these, `REDIS_URL` included)."""
    env = {k: v for k, v in os.environ.items() if k not in _REMOVED_VARIABLES}
    env.update({
        "ENV": "test", "APP_HOST": "127.0.0.1", "APP_PORT": str(port),
        "DATABASE_URL": f"sqlite:///{workdir / 'app.db'}",
        "HUEY_SQLITE_PATH": str(workdir / "huey.db"),
        "JWT_PRIVATE_KEY_PATH": str(workdir / "jwt_private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(workdir / "jwt_public.pem"),
        "NICEGUI_STORAGE_PATH": str(workdir / "nicegui-storage"),
        "DAY_CREDIT_WINDOW_DAYS": "0",  # children replay the 2016 Fitbit dataset (issue 13 §2 window off)
    })
    env.update(overrides or {})
    return env


def migrate(env: Mapping[str, str]) -> None:
    """Run `alembic upgrade head` against the database of `env` (a child environment), in a subprocess.

    Raises `subprocess.CalledProcessError` (with the captured output) if the migration fails."""
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=dict(env), check=True,
                   capture_output=True)


def _wait_until_live(app: AppProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if app.process.poll() is not None:
            raise RuntimeError(f"the app exited with {app.process.returncode}:\n{app.log()[-_LOG_TAIL_CHARS:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(app.base_url + "/health/live", timeout=2.0).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start within {timeout} s:\n{app.log()[-_LOG_TAIL_CHARS:]}")
        time.sleep(_POLL_INTERVAL_S)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_app(workdir: Path, *, env_overrides: Mapping[str, str] | None = None, timeout: float = 90.0,
                prepare: Callable[[dict[str, str]], None] | None = migrate) -> Iterator[AppProcess]:
    """Start `python app/main.py` with `child_env(workdir, <free port>, env_overrides)`, wait until
    `GET /health/live` answers 200, yield the `AppProcess`; on exit terminate it (kill after 20 s).

    `workdir` is created if missing; the log is `workdir/app.log`. `prepare(env)` runs before the start to create
    the schema (default `migrate`; `None` skips it). `timeout` is in seconds. Raises `RuntimeError` with the tail of
    the log if the app exits or does not answer within `timeout`; whatever `prepare` raises propagates."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = child_env(workdir, free_port(), env_overrides)
    if prepare is not None:
        prepare(env)
    log_path = workdir / "app.log"
    with open(log_path, "wb") as log:  # the child holds its own handle
        process = subprocess.Popen([sys.executable, str(ROOT / "app" / "main.py")], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    app = AppProcess(f"http://127.0.0.1:{env['APP_PORT']}", env, log_path, process)
    try:
        _wait_until_live(app, timeout)
        yield app
    finally:
        _stop(process)


@contextlib.contextmanager
def running_worker(app: AppProcess, *, workers: int = 2) -> Iterator[Path]:
    """A separate `huey_consumer app.worker.huey -w <workers> -k thread -f` process with `app.env` (RedisHuey when the
    app has `REDIS_URL`; without it the worker would share the app's SQLite queue file). Its stdout and stderr go to
    `worker.log` next to the app's log; yields that path. On exit it is stopped with SIGINT (graceful: running tasks
    finish), killed after 20 s."""
    log_path = app.log_path.with_name("worker.log")
    consumer = Path(sys.executable).with_name("huey_consumer")
    with open(log_path, "wb") as log:  # the child holds its own handle
        process = subprocess.Popen([str(consumer), "app.worker.huey", "-w", str(workers), "-k", "thread", "-f"],
                                   cwd=ROOT, env=app.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield log_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def settings_of(env: Mapping[str, str]) -> Settings:
    """The settings a process with environment `env` (e.g. `AppProcess.env`) loads: each setting from its variable in
    `env`; a setting whose variable `env` lacks takes its default — not this process's value (the child never saw
    e.g. this process's `REDIS_URL`) — unless only the `.env` file sets it. Raises pydantic's ValidationError for a
    bad value."""
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        variable = name.upper()
        if variable in env:
            values[name] = env[variable]
        elif variable in os.environ:
            values[name] = field.get_default(call_default_factory=True)
    return Settings(**values)


@contextlib.contextmanager
def child_system(app: AppProcess) -> Iterator[System]:
    """A `System` in this process on the child's settings (`settings_of(app.env)`: its database, Huey queue, Redis,
    signing secret, JWT keys), with the tasks registered on it (jobs it enqueues — e.g. after-commit mail sends — land
    in the child's queue, for the child's consumer); closed on exit. Its own consumer is never started."""
    from tasks import register_tasks

    system = build_system(settings_of(app.env))
    register_tasks(system)
    try:
        yield system
    finally:
        system.close()


class RedisProcess:
    """A private `redis-server` (nothing persisted) on a free port, for outage drills: `freeze()` / `thaw()`
    (SIGSTOP / SIGCONT: a Redis that accepts connections but never answers), `kill()` and `start()` again on the
    same port (`url` stays valid). Use `running_redis(workdir)`."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING (at most `timeout` seconds; raises redis' error)."""
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    probe.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)  # the server's socket is not up yet: nothing to await
        finally:
            probe.close()

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel, nothing is answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after `freeze`."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Frozen for the block, thawed after it (also on error)."""
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def kill(self) -> None:
        """SIGKILL and wait: connections are refused until `start()`."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def running_redis(workdir: Path) -> Iterator[RedisProcess]:
    """A started `RedisProcess` under `workdir`, killed on exit."""
    server = RedisProcess(workdir)
    server.start()
    try:
        yield server
    finally:
        server.kill()
