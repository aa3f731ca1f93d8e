"""Start FitTrack as a real subprocess (`python app/main.py`) on a free port with its own temporary database, for
browser tests and the screenshot script. The child gets a clean environment: no pytest/NiceGUI test variables
(they would switch `ui.run` into test mode, notes/nicegui.md §2.4), its own storage, JWT keys and Huey files."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary (/usr/bin/chromium is a shell wrapper)
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SIGNING_SECRET = "browser-test-signing-secret"
_TEST_VARIABLES = ("PYTEST_CURRENT_TEST", "NICEGUI_USER_SIMULATION", "NICEGUI_SCREEN_TEST_PORT", "REDIS_URL")


@dataclass
class Server:
    """A running app: its base URL, environment (for direct DB access) and log file."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(workdir: Path, port: int) -> dict[str, str]:
    """Environment for the child: ENV=test, a SQLite file, temp paths; test-only variables removed."""
    env = {k: v for k, v in os.environ.items() if k not in _TEST_VARIABLES}
    env.update({
        "ENV": "test", "APP_HOST": "127.0.0.1", "APP_PORT": str(port),
        "DATABASE_URL": f"sqlite:///{workdir / 'app.db'}",
        "HUEY_SQLITE_PATH": str(workdir / "huey.db"),
        "JWT_PRIVATE_KEY_PATH": str(workdir / "jwt_private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(workdir / "jwt_public.pem"),
        "NICEGUI_STORAGE_PATH": str(workdir / "nicegui-storage"),
        "TERRA_SIGNING_SECRET": SIGNING_SECRET, "PASSWORD_HASH_FAST": "1", "LOG_LEVEL": "INFO",
    })
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Create the schema in the child's database (the app itself expects a migrated database)."""
    from app.db import create_db_engine
    from tests.support.schema import create_schema

    engine = create_db_engine(env["DATABASE_URL"])
    create_schema(engine)
    engine.dispose()


@contextlib.contextmanager
def running_app(workdir: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """Start the app, wait until `/health/live` answers, yield it; terminate it afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = server_env(workdir, port)
    prepare_database(env)
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, str(ROOT / "app" / "main.py")], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", env, log_path, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited with {process.returncode}:\n{server.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.base_url + "/health/live", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start within {timeout} s:\n{server.log()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def child_database(server: Server) -> Iterator[None]:
    """Point this process's settings and engine at the child's database (to create test members directly)."""
    from app import db
    from app.settings import get_settings

    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update({k: server.env[k] for k in ("DATABASE_URL", "ENV", "PASSWORD_HASH_FAST",
                                                 "TERRA_SIGNING_SECRET")})
    get_settings.cache_clear()
    db.reset_engine()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        db.reset_engine()
