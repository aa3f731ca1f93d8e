"""HTTP load with locust (issue 12 §1 "No collapse", §6 "Scale-out", §8): the member read mix — balance, today's
board, activities — against the real app.

    .venv/bin/python -m bench.load_bench [--quick]

1. Embedded default (one `python app/main.py`, SQLite, embedded Huey, default settings): a bare endpoint
   (`GET /health/live`) with 50 closed-loop clients, then the read mix with 50, 100 and 200 closed-loop clients (no
   think time: each client fires again as soon as it has its answer), with one extra client probing `/health/live`
   twice a second. Figures: errors, throughput, p50/p95, the probe's p95, and API/bare = read-mix req/s ÷ bare req/s
   at 50 clients.
2. Production topology (`app.cli.scale.running_topology`, what `make scale` runs): HAProxy → two NiceGUI instances on
   PostgreSQL + Redis, two Huey workers and a scheduler; 500 clients, each a member who reads again after a think time
   of `PROD_THINK` seconds (uniform), through HAProxy.

Each client is one bench member (created directly in the database, one signed Terra `daily` webhook each so boards and
activities hold data) with a Bearer token. locust runs as a subprocess (`bench/locust_member_reads.py`; it
monkey-patches the standard library with gevent, which must not leak into the other benchmarks of `python -m bench`);
its statistics are reset once every client has started (`--reset-stats`), so the figures are the steady state.

`run(quick)` → JSON-able dict (load averages included); `markdown(result)` → the table of figures beside the issue-12
targets and the figures measured before. Results: `bench-results/load.json` / `load.md` when run as a script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app.adapters.terra.signature import sign  # noqa: E402
from app.cli.devserver import child_system, running_app  # noqa: E402
from app.cli.fitbit_dataset import DailyRow, daily_payload, dumps, local_midnight  # noqa: E402
from app.system import System  # noqa: E402
from domain.shared.calendar import platform_day  # noqa: E402
from domain.shared.types import utcnow  # noqa: E402

RESULTS = ROOT / "bench-results"
WORK = ROOT / "var" / "bench" / "load"
LOCUSTFILE = ROOT / "bench" / "locust_member_reads.py"
SECRET = "bench-load-signing-secret"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379"
EMBEDDED_CLIENTS = (50, 100, 200)
PROD_CLIENTS = 500
PROD_THINK = (1.0, 5.0)  # seconds between one client's reads in the production run

TARGETS = {
    "embedded_200_errors": 0, "health_p95_ms": 1000, "api_bare_ratio_50": 0.5,
    "prod_500_p95_ms": 300, "prod_500_errors": 0,
}
BEFORE = {  # issue 12, "Collapse under load"
    "ratio_50": "0.24–0.28", "errors_50": "0 %", "errors_100": "86 %", "errors_200": "74 % (prod)",
    "errors_500": "100 %", "health": "silent > 5 min",
}


# --- data ------------------------------------------------------------------------------------------------------


def create_members(system: System, count: int, tag: str) -> list[tuple[uuid.UUID, str]]:
    """`count` members (one tier) with FITBIT connections, directly in the database: [(user id, Terra user id)]."""
    from domain.accounts.members import connect_tracker, create_member

    made = []
    with system.uow() as session:
        for i in range(count):
            user = create_member(
                session, email=f"load-{tag}-{i:04d}@bench.fittrack.test", password_hash="!bench-no-login",
                display_name=f"Load {i}", date_of_birth=date(1990, 1, 1 + i % 28), state_code="CA",
                biological_sex="M", fitness_level="INT",
            )
            terra_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-load:{tag}:{i}"))
            connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id=terra_id)
            made.append((user.id, terra_id))
    return made


def _webhook(terra_id: str, day: date, steps: int) -> tuple[bytes, dict[str, str]]:
    row = DailyRow(id=terra_id, activity_date=day, total_steps=steps, total_distance_km=steps * 0.00075,
                   very_active_minutes=20, fairly_active_minutes=30, lightly_active_minutes=180,
                   sedentary_minutes=700, calories=2200)
    emitted = local_midnight(day) + timedelta(hours=12)
    body = dumps(daily_payload(terra_id, f"load-{terra_id[:8]}", row, emitted_at=emitted))
    headers = {"Content-Type": "application/json", "X-Terra-Signature": sign(SECRET, body),
               "X-Terra-Trace-Id": str(uuid.uuid4()),
               "X-Terra-Ordering-Timestamp": str(int(emitted.timestamp() * 1000))}
    return body, headers


async def _post_all(base_url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int = 8) -> int:
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        async with httpx.AsyncClient(timeout=60) as client:
            while not queue.empty():
                body, headers = queue.get_nowait()
                response = await client.post(base_url + "/webhooks/terra", content=body, headers=headers)
                failures += response.status_code != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def give_activity(system: System, base_url: str, members: list[tuple[uuid.UUID, str]], timeout: float = 300) -> None:
    """One signed `daily` webhook per member for today (varied steps), through the app; waits until every member has
    points (the deliveries were processed). Raises `RuntimeError` on a refused webhook or a timeout."""
    from sqlmodel import col

    from domain.models import User

    today = platform_day(utcnow())
    requests = [_webhook(terra_id, today, 3_000 + 97 * i % 12_000) for i, (_, terra_id) in enumerate(members)]
    failures = asyncio.run(_post_all(base_url, requests))
    if failures:
        raise RuntimeError(f"{failures} bench webhooks were refused")
    ids = [user_id for user_id, _ in members]
    deadline = time.monotonic() + timeout
    while True:
        with system.db.engine.connect() as conn:
            done = conn.execute(sa.select(sa.func.count()).select_from(User)
                                .where(col(User.id).in_(ids), col(User.points_earned) > 0)).scalar_one()
        if done == len(ids):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {len(ids)} bench members got their points in {timeout} s")
        time.sleep(0.5)


def write_tokens(system: System, members: list[tuple[uuid.UUID, str]], path: Path) -> Path:
    """Access tokens of `members` (the app's own JWT keys) as a JSON list in `path`."""
    path.write_text(json.dumps([system.tokens.issue(user_id, "user")[0] for user_id, _ in members]))
    return path


# --- locust ------------------------------------------------------------------------------------------------------


def locust(host: str, users: list[str], clients: int, seconds: int, tokens: Path, prefix: Path,
           think: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """Run locust headless: `clients` clients of the user classes `users` (plus any `fixed_count` ones) against
    `host` for `seconds` after they have all started. Returns {request name: figures} from locust's CSV
    (`requests`, `failures`, `error_pct`, `rps`, `p50_ms`, `p95_ms`, `p99_ms`, `max_ms`), "Aggregated" included."""
    fixed = 1 if "HealthProbe" in users else 0
    env = {**os.environ, "FITTRACK_LOAD_TOKENS": str(tokens), "FITTRACK_LOAD_THINK": f"{think[0]},{think[1]}"}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *users, "--headless", "--host", host,
               "-u", str(clients + fixed), "-r", str(max(10, (clients + fixed) // 2)), "-t", f"{seconds + 4}s",
               "--reset-stats", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=seconds + 180)
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(f"locust wrote no statistics (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    figures: dict[str, Any] = {}
    with open(stats_file, newline="") as handle:
        for row in csv.DictReader(handle):
            requests = int(row["Request Count"])
            failures = int(row["Failure Count"])
            figures[row["Name"]] = {
                "requests": requests, "failures": failures,
                "error_pct": round(100 * failures / requests, 2) if requests else 0.0,
                "rps": round(float(row["Requests/s"]), 1), "p50_ms": _num(row["50%"]), "p95_ms": _num(row["95%"]),
                "p99_ms": _num(row["99%"]), "max_ms": _num(row["Max Response Time"]),
            }
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with open(failures_file, newline="") as handle:
            figures["failure_kinds"] = [f"{r['Name']}: {r['Error'][:160]} × {r['Occurrences']}"
                                        for r in csv.DictReader(handle)][:8]
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time (seconds) the process `pid` has used so far (/proc/<pid>/stat; Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _num(text: str) -> float | None:
    return None if text in ("", "N/A") else round(float(text), 1)


def _stage(figures: dict[str, Any], clients: int, think: tuple[float, float]) -> dict[str, Any]:
    reads = {name: v for name, v in figures.items() if name in ("balance", "daily board", "activities")}
    requests = sum(v["requests"] for v in reads.values())
    failures = sum(v["failures"] for v in reads.values())
    probe = figures.get("/health/live (probe)", {})
    aggregated = figures.get("Aggregated", {})
    return {
        "clients": clients, "think_s": list(think), "requests": requests, "failures": failures,
        "error_pct": round(100 * failures / requests, 2) if requests else None,
        "rps": round(sum(v["rps"] for v in reads.values()), 1),
        "p50_ms": aggregated.get("p50_ms"),
        "p95_ms": max((v["p95_ms"] or 0) for v in reads.values()) if reads else None,  # the slowest request kind
        "per_request": reads, "health_p95_ms": probe.get("p95_ms"), "health_max_ms": probe.get("max_ms"),
        "health_failures": probe.get("failures"), "failure_kinds": figures.get("failure_kinds", []),
    }


# --- the two topologies -------------------------------------------------------------------------------------------


def bench_embedded(seconds: int, members: int, clients: tuple[int, ...],
                   overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Stage 1 (see the module docstring); `overrides` are app settings (e.g. `{"WEB_THREADS": "8"}`)."""
    workdir = WORK / "embedded"
    shutil.rmtree(workdir, ignore_errors=True)
    env = {"ENV": "dev", "TERRA_SIGNING_SECRET": SECRET, **(overrides or {})}
    with running_app(workdir, env_overrides=env) as app, \
            child_system(app) as system:
        made = create_members(system, members, "e")
        give_activity(system, app.base_url, made)
        tokens = write_tokens(system, made, workdir / "tokens.json")
        pid = app.process.pid
        cpu, at = cpu_seconds(pid), time.monotonic()
        time.sleep(5)
        idle = (cpu_seconds(pid) - cpu) / (time.monotonic() - at)  # background CPU/s (Huey polling, timers)
        cpu, at = cpu_seconds(pid), time.monotonic()
        bare_figures = locust(app.base_url, ["Bare"], 50, seconds, tokens, workdir / "bare50")
        bare = {**bare_figures["bare /health/live"], "server_cpu_ms_per_request": _per_request(
            cpu_seconds(pid) - cpu - idle * (time.monotonic() - at), bare_figures)}
        stages = {}
        for n in clients:
            cpu, at = cpu_seconds(pid), time.monotonic()
            figures = locust(app.base_url, ["MemberReads", "HealthProbe"], n, seconds, tokens, workdir / f"reads{n}")
            stages[str(n)] = _stage(figures, n, (0.0, 0.0))
            stages[str(n)]["server_cpu_ms_per_request"] = _per_request(
                cpu_seconds(pid) - cpu - idle * (time.monotonic() - at), figures)
            time.sleep(2)  # let the previous clients' connections close
        settings = system.settings
        capacity = {"web_threads": settings.web_threads, "io_threads": settings.io_threads,
                    "db_pool_size": settings.capacity_pool_size,
                    "max_concurrent_requests": settings.max_concurrent_requests,
                    "admission_wait_seconds": settings.admission_wait_seconds}
        crashed = "Traceback" in app.log()
    first = stages[str(clients[0])]
    api_cpu, bare_cpu = first["server_cpu_ms_per_request"], bare["server_cpu_ms_per_request"]
    return {"members": members, "bare_50": bare, "stages": stages, "capacity": capacity,
            "idle_server_cpu_pct": round(100 * idle, 1),
            "api_bare_ratio_50": round(first["rps"] / bare["rps"], 2) if bare["rps"] else None,
            "api_bare_cpu_ratio_50": round(bare_cpu / api_cpu, 2) if api_cpu and bare_cpu else None,
            "traceback_in_log": crashed}


def _per_request(cpu_s: float, figures: dict[str, Any]) -> float | None:
    """Server CPU milliseconds per request over a locust run: the app process's CPU over the whole run (the clients'
    start-up included) less its idle background CPU, ÷ the requests counted after they all started — an upper bound,
    and a figure that, unlike req/s, hardly depends on what else the machine runs."""
    total = figures.get("Aggregated", {}).get("requests")
    return round(1000 * cpu_s / total, 2) if total else None


@contextlib.contextmanager
def _fresh_pg(name: str) -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def bench_prod(seconds: int, members: int, clients: int) -> dict[str, Any]:
    """Stage 2 (see the module docstring)."""
    import redis

    from app.cli.scale import running_topology

    workdir = WORK / "prod"
    shutil.rmtree(workdir, ignore_errors=True)
    redis_url = f"{REDIS_BASE_URL}/13"
    flush = redis.Redis.from_url(redis_url)
    flush.flushdb()
    flush.close()
    with _fresh_pg(f"fittrack_bench_load_{os.getpid()}") as database_url, \
            running_topology(workdir, database_url=database_url, redis_url=redis_url,
                             env_overrides={"ENV": "prod", "TERRA_SIGNING_SECRET": SECRET}, timeout=240) as topo, \
            child_system(topo.instances[0]) as system:
        made = create_members(system, members, "p")
        give_activity(system, topo.base_url, made)
        tokens = write_tokens(system, made, workdir / "tokens.json")
        stage = _stage(locust(topo.base_url, ["MemberReads", "HealthProbe"], clients, seconds, tokens,
                              workdir / f"reads{clients}", think=PROD_THINK), clients, PROD_THINK)
        crashed = any("Traceback" in app.log() for app in topo.instances)
    return {"members": members, "instances": 2, "workers": 2, "stage": stage, "traceback_in_log": crashed}


def run(quick: bool = False) -> dict[str, Any]:
    """Both topologies (quick: 10 s per stage, 100 members embedded and 20 s, 500 clients on 200 members in
    production; full: 30 s per stage, 200 and 500 members). Returns the figures and the load averages seen."""
    seconds = 10 if quick else 30
    started = time.monotonic()
    result: dict[str, Any] = {"quick": quick, "seconds_per_stage": seconds, "load_before": os.getloadavg(),
                              "locust": _locust_version()}
    result["embedded"] = bench_embedded(seconds, 100 if quick else 200, EMBEDDED_CLIENTS)
    result["load_mid"] = os.getloadavg()
    result["prod"] = bench_prod(20 if quick else 60, 200 if quick else 500, PROD_CLIENTS)
    result["load_after"] = os.getloadavg()
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def _ok(flag: bool | None) -> str:
    return "—" if flag is None else ("met" if flag else "**not met**")


def markdown(result: dict[str, Any]) -> str:
    """The summary: each figure beside its issue-12 target and the figure measured before (issue 12 §1, §6)."""
    e, p = result["embedded"], result["prod"]["stage"]
    stages = e["stages"]
    s200 = stages.get("200") or stages[max(stages, key=int)]
    load = " / ".join(f"{x:.2f}" for x in result["load_before"])
    lines = [
        "# HTTP load: the member read mix (locust)", "",
        f"Member read mix (balance, daily board, activities), locust {result['locust']}, "
        f"{result['seconds_per_stage']} s per stage after every client started; load average before "
        f"{load} (1/5/15 min), after {' / '.join(f'{x:.2f}' for x in result['load_after'])}. Embedded: one process, "
        f"SQLite, closed loop (no think time), {e['members']} members; capacity {e['capacity']}. Production: HAProxy → "
        f"2 instances, PostgreSQL + Redis, 2 workers + scheduler, {result['prod']['members']} members, think time "
        f"{p['think_s'][0]:g}–{p['think_s'][1]:g} s.", "",
        "| measure | now | target | before | |", "| --- | --- | --- | --- | --- |",
        f"| embedded, 50 clients: API ÷ bare (req/s) | {e['api_bare_ratio_50']} ({stages['50']['rps']} ÷ "
        f"{e['bare_50']['rps']}) | ≥ 0.5 | {BEFORE['ratio_50']} | "
        f"{_ok(e['api_bare_ratio_50'] is not None and e['api_bare_ratio_50'] >= 0.5)} |",
        f"| embedded, 50 clients: API ÷ bare by server CPU per request | {e.get('api_bare_cpu_ratio_50')} "
        f"({e['bare_50'].get('server_cpu_ms_per_request')} ms ÷ {stages['50'].get('server_cpu_ms_per_request')} ms) "
        f"| ≥ 0.5 | — | {_ok((e.get('api_bare_cpu_ratio_50') or 0) >= 0.5)} |",
    ]
    for n in sorted(stages, key=int):
        s = stages[n]
        before = {"50": BEFORE["errors_50"], "100": BEFORE["errors_100"], "200": BEFORE["errors_200"]}.get(n, "")
        target = "0 errors" if n == "200" else ""
        lines.append(f"| embedded, {n} clients: errors | {s['failures']} of {s['requests']} ({s['error_pct']} %), "
                     f"{s['rps']} req/s, p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms | {target} | {before} | "
                     f"{_ok(s['failures'] == 0) if n == '200' else ''} |")
    lines += [
        f"| embedded, 200 clients: `/health/live` p95 (probe) | {s200['health_p95_ms']} ms (max "
        f"{s200['health_max_ms']} ms) | < 1000 ms | {BEFORE['health']} | "
        f"{_ok(s200['health_p95_ms'] is not None and s200['health_p95_ms'] < 1000)} |",
        f"| production, {p['clients']} clients: read p95 | {p['p95_ms']} ms (p50 {p['p50_ms']} ms, {p['rps']} req/s) "
        f"| < 300 ms | — | {_ok(p['p95_ms'] is not None and p['p95_ms'] < 300)} |",
        f"| production, {p['clients']} clients: errors | {p['failures']} of {p['requests']} ({p['error_pct']} %) | 0 | "
        f"{BEFORE['errors_500']} | {_ok(p['failures'] == 0)} |",
        f"| production: `/health/live` p95 (probe) | {p['health_p95_ms']} ms | | | |", "",
    ]
    kinds = [k for s in [*stages.values(), p] for k in s.get("failure_kinds", [])]
    if kinds:
        lines += ["Failures seen:", "", *[f"- {k}" for k in kinds[:10]], ""]
    if e.get("traceback_in_log") or result["prod"].get("traceback_in_log"):
        lines += ["A server logged a traceback during the run (see var/bench/load/*/).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.load_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2, default=str))
    (RESULTS / "load.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
