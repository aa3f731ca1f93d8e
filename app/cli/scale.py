"""FitTrack scaled out on one machine (issue 12 §6; `make scale`, README "Scale-out") — a development, test and
benchmark launcher, not used by the app itself.

    python -m app.cli.scale [--port 8080] [--instances 2] [--workers 2] [--seed]

starts, and stops on Ctrl-C (SIGINT/SIGTERM):
- HAProxy (Debian's `haproxy`; `deploy/haproxy.cfg`: cookie-sticky, websocket-aware, health-checked on
  `/health/live`) on `--port`, in front of
- `--instances` NiceGUI web instances (`python app/main.py`, each on its own free port), with NiceGUI's per-user
  storage in Redis (`NICEGUI_REDIS_URL`), one `STORAGE_SECRET` and one JWT key pair, so a member can move between
  instances without signing in again;
- `--workers` Huey consumers without the periodic schedule (`huey_consumer app.worker.huey -n`, as `make worker`
  with `-n`) and one scheduler consumer (the periodic tasks run exactly once);
- on PostgreSQL (`DATABASE_URL`, default the local server's `fittrack_scale` database, created if missing and
  migrated) and Redis (`REDIS_URL`, default `redis://127.0.0.1:6379/1`).

`running_topology(...)` is the same as a context manager, for the browser tests (tests/browser/test_scale_out.py)
and the load benchmark (bench/load_bench.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.cli.devserver import AppProcess, child_env, free_port, migrate, settings_of
from app.settings import ROOT

HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
SERVERS_MARKER = "    # servers (app/cli/scale.py replaces the lines below with one per instance)\n"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fittrack_scale"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
STOP_TIMEOUT_S = 20.0
POLL_S = 0.2


@dataclass
class Topology:
    """A running scaled-out FitTrack: `base_url` (HAProxy), the web `instances` (index i is HAProxy's server
    `web{i+1}`, the value of the FTSERVER cookie), the consumers' log files, the shared environment `env` and the
    `workdir` holding every log."""

    base_url: str
    instances: list[AppProcess]
    consumer_logs: list[Path]
    env: dict[str, str]
    workdir: Path
    haproxy_log: Path
    _processes: list[tuple[subprocess.Popen[bytes], int]] = field(default_factory=list, repr=False)

    def server_name(self, index: int) -> str:
        """HAProxy's name (and FTSERVER cookie value) of instance `index`: `web1`, `web2`, …"""
        return f"web{index + 1}"

    def instance_named(self, name: str) -> AppProcess:
        """The instance HAProxy calls `name` (`web1`, …)."""
        return self.instances[int(name.removeprefix("web")) - 1]

    def stop_instance(self, index: int) -> None:
        """Stop web instance `index` (SIGTERM, as an orchestrator would; killed after 20 s)."""
        _stop(self.instances[index].process, signal.SIGTERM)

    def consumer_log_text(self) -> str:
        """Everything the consumers (workers and scheduler) logged so far."""
        return "".join(path.read_text(encoding="utf-8", errors="replace") for path in self.consumer_logs
                       if path.exists())


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def haproxy_config(servers: int) -> str:
    """`deploy/haproxy.cfg` with one `server webN "${FITTRACK_WEBN}" check cookie webN` line per instance."""
    text = HAPROXY_TEMPLATE.read_text()
    head = text[: text.index(SERVERS_MARKER) + len(SERVERS_MARKER)]
    lines = "".join(f'    server web{n} "${{FITTRACK_WEB{n}}}" check cookie web{n}\n' for n in range(1, servers + 1))
    return head + lines


def haproxy_binary() -> str:
    """Path of Debian's `haproxy` (`/usr/sbin` is not always on PATH). Raises `RuntimeError` when missing
    (`make scale` installs it: `apt-get install haproxy`)."""
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
                                             if Path(p).exists()), None)
    if found is None:
        raise RuntimeError("haproxy is not installed: apt-get install haproxy (make scale does it)")
    return found


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database of `database_url` on its server if it does not exist yet."""
    import sqlalchemy as sa

    url = sa.make_url(database_url)
    if url.get_backend_name() != "postgresql" or not url.database:
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    finally:
        admin.dispose()


def _wait_live(url: str, process: subprocess.Popen[bytes], log_path: Path, deadline: float) -> None:
    while True:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            raise RuntimeError(f"{log_path.stem} exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/health/live", timeout=2.0).status_code == 200:
                return
        if time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
            raise RuntimeError(f"{url} did not answer /health/live in time:\n{tail}")
        time.sleep(POLL_S)


def _spawn(command: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:  # the child holds its own handle
        return subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)


@contextlib.contextmanager
def running_topology(workdir: Path, *, database_url: str, redis_url: str, instances: int = 2, workers: int = 2,
                     port: int | None = None, host: str = "127.0.0.1",
                     env_overrides: Mapping[str, str] | None = None,
                     prepare: Callable[[dict[str, str]], None] | None = migrate,
                     timeout: float = 90.0) -> Iterator[Topology]:
    """Start the scaled-out topology (see the module docstring) and yield it; stop everything on exit (web
    instances and HAProxy with SIGTERM, consumers with SIGINT — Huey's graceful stop).

    `workdir` gets the logs (`web1.log`, …, `worker1.log`, …, `scheduler.log`, `haproxy.log`), the rendered
    `haproxy.cfg`, the JWT key pair and NiceGUI's local files. The PostgreSQL database is created if missing;
    `prepare(env)` then creates the schema (default: `alembic upgrade head`; None skips it). `env_overrides` are
    settings for every process (e.g. `ENV`, `TERRA_SIGNING_SECRET`); `STORAGE_SECRET` is generated unless given.
    `port`: HAProxy's port (default a free one). `timeout`: seconds for everything to answer. Raises `RuntimeError`
    (with the log's tail) when a process exits or does not answer in time."""
    workdir.mkdir(parents=True, exist_ok=True)
    proxy_port = port or free_port()
    client_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    base_url = f"http://{client_host}:{proxy_port}"
    overrides = {"STORAGE_SECRET": secrets.token_urlsafe(32), "ENV": os.environ.get("ENV", "dev"),
                 "PUBLIC_BASE_URL": base_url, **(env_overrides or {}),
                 "DATABASE_URL": database_url, "REDIS_URL": redis_url, "NICEGUI_REDIS_URL": redis_url,
                 "HUEY_EMBEDDED": "false"}
    env = child_env(workdir, proxy_port, overrides)
    ensure_database(database_url)
    if prepare is not None:
        prepare(env)
    from app.system import build_system  # creates the shared JWT key pair once, before the instances race for it

    build_system(settings_of(env)).close()

    processes: list[tuple[subprocess.Popen[bytes], int]] = []
    apps: list[AppProcess] = []
    consumer_logs: list[Path] = []
    try:
        for n in range(1, instances + 1):
            app_port = free_port()
            app_env = {**env, "APP_HOST": "127.0.0.1", "APP_PORT": str(app_port),
                       "NICEGUI_STORAGE_PATH": str(workdir / f"web{n}-nicegui")}
            log_path = workdir / f"web{n}.log"
            process = _spawn([sys.executable, str(ROOT / "app" / "main.py")], app_env, log_path)
            processes.append((process, signal.SIGTERM))
            apps.append(AppProcess(f"http://127.0.0.1:{app_port}", app_env, log_path, process))
        consumer = str(Path(sys.executable).with_name("huey_consumer"))
        roles = [(f"worker{n}", ["-n"]) for n in range(1, workers + 1)] + [("scheduler", ["-f"])]
        for name, extra in roles:
            log_path = workdir / f"{name}.log"
            process = _spawn([consumer, "app.worker.huey", "-w", "2", "-k", "thread", *extra], env, log_path)
            processes.append((process, signal.SIGINT))
            consumer_logs.append(log_path)
        deadline = time.monotonic() + timeout
        for app in apps:
            _wait_live(app.base_url, app.process, app.log_path, deadline)

        config = workdir / "haproxy.cfg"
        config.write_text(haproxy_config(instances))
        proxy_env = {**os.environ, "HAPROXY_BIND": f"{host}:{proxy_port}",
                     **{f"FITTRACK_WEB{n}": app.base_url.removeprefix("http://") for n, app in enumerate(apps, 1)}}
        binary = haproxy_binary()
        subprocess.run([binary, "-c", "-q", "-f", str(config)], env=proxy_env, check=True, capture_output=True)
        haproxy_log = workdir / "haproxy.log"
        proxy = _spawn([binary, "-db", "-f", str(config)], proxy_env, haproxy_log)
        processes.append((proxy, signal.SIGTERM))
        _wait_live(base_url, proxy, haproxy_log, deadline)
        yield Topology(base_url, apps, consumer_logs, env, workdir, haproxy_log, processes)
    finally:
        for process, sig in reversed(processes):
            if process.poll() is None:
                process.send_signal(sig)
        for process, sig in reversed(processes):
            _stop(process, sig)


def _seed(env: Mapping[str, str]) -> None:
    """The demo seed (`python -m app.cli.seed`) on the topology's database, before the instances start."""
    migrate(env)
    subprocess.run([sys.executable, "-m", "app.cli.seed"], cwd=ROOT, env=dict(env), check=True)


def main(argv: list[str] | None = None) -> int:
    """`make scale`: run the topology until Ctrl-C. Exit status 0 after a clean stop."""
    parser = argparse.ArgumentParser(prog="python -m app.cli.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SCALE_PORT", "8080")),
                        help="HAProxy's port (default 8080, or SCALE_PORT)")
    parser.add_argument("--host", default="127.0.0.1", help="HAProxy's address (0.0.0.0: other machines too)")
    parser.add_argument("--instances", type=int, default=2, help="NiceGUI web instances (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="Huey workers besides the scheduler (default 2)")
    parser.add_argument("--database-url", default=os.environ.get("SCALE_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("SCALE_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "scale", help="logs and keys")
    parser.add_argument("--seed", action="store_true", help="run the demo seed first (not in ENV=prod)")
    args = parser.parse_args(argv)
    prepare: Callable[[dict[str, str]], None] = _seed if args.seed else migrate
    stop = {"now": False}

    def request_stop(_signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with running_topology(args.workdir, database_url=args.database_url, redis_url=args.redis_url,
                          instances=args.instances, workers=args.workers, port=args.port, host=args.host,
                          prepare=prepare, timeout=180.0) as topology:
        print(f"[scale] FitTrack on {topology.base_url} (HAProxy) → "
              + ", ".join(f"{topology.server_name(i)} {app.base_url}" for i, app in enumerate(topology.instances))
              + f"; {args.workers} workers + 1 scheduler; logs in {topology.workdir}. Ctrl-C stops everything.",
              flush=True)
        reported: set[str] = set()
        while not stop["now"]:
            dead = {app.log_path.stem for app in topology.instances if app.process.poll() is not None} - reported
            if dead:
                print(f"[scale] {', '.join(sorted(dead))} stopped; HAProxy sends their members to the others",
                      flush=True)
                reported |= dead
            if len(reported) == len(topology.instances):
                break
            time.sleep(0.5)
    print("[scale] stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
