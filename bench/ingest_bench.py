"""Webhook ingest end to end ÷ a bare endpoint, in both topologies, the late-upload recompute, the real-data replay
(issue 12 §4, §8; issue 2 §16).

    .venv/bin/python -m bench.ingest_bench [--quick] [--only embedded,production] [--skip-replay]
    .venv/bin/python -m bench --only ingest [--quick]          # the runner (`make bench`) calls `run` / `markdown`

Per topology, on a fresh database:
- `embedded`: the real app (`python app/main.py`, `ENV=dev`) on a migrated SQLite file under `var/bench/`, its Huey
  consumer inside the app process (SqliteHuey, `HUEY_WORKERS` threads);
- `production`: the app with `ENV=prod` on a fresh PostgreSQL database (`fittrack_bench_ingest` on the local server,
  `BENCH_PG_ADMIN_URL`) and Redis (`BENCH_REDIS_URL`, else `TEST_REDIS_URL` db 5, else redis://127.0.0.1:6379/5;
  flushed first), and one separate `huey_consumer app.worker.huey -w 4 -k thread` process doing the work.

(a) End to end: `members` members with FITBIT connections are created directly in the database; `payloads` signed
Terra `daily` webhooks (distinct members × days, distinct trace ids) are POSTed over `concurrency` httpx clients.
Measured: the acknowledgement rate and latency, and the end-to-end rate = payloads ÷ time from the first POST until
every delivery is processed (processing marks the delivery in the same transaction that posts its points, so
"processed" means "points in the ledger"). Then the same number of `GET /health/live` requests with the same
concurrency against the same server gives the bare rate and the ratio. Task time: Huey's own "executed in" log lines of
`process_webhook_delivery` in the consumer's log (p50 / p95).
(b) Late upload: in this process, on the same database (a `System` on the app's settings), `late_members` members each
get days 2–10 of a qualifying streak; then day 1 arrives late, so its processing (`tasks.webhooks.run_delivery`)
recomputes all 10 days. Timed per delivery (p50 / p95) and its SQL statements counted (SQLAlchemy event listener):
in total and SELECTs per table — each table of the days' data is read once, not per day per streak step.
(c) Replay (full run only): a fresh database and app, then the real-data replay (`app.cli.replay.run_replay`).

`run(quick)` returns everything (JSON-able, with the load average before and after); `markdown(result)` is the summary
table, each figure beside its issue-12 target and the figure measured before (issue 12 text). Results:
`bench-results/ingest.json` (+ BENCH.md from `bench/__main__.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app.adapters.terra.signature import sign  # noqa: E402
from app.cli.devserver import child_system, running_app, running_worker  # noqa: E402
from app.cli.fitbit_dataset import DailyRow, daily_payload, dumps, local_midnight  # noqa: E402
from app.system import System  # noqa: E402

RESULTS = ROOT / "bench-results"
WORK = ROOT / "var" / "bench"
SECRET = "bench-signing-secret"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "fittrack_bench_ingest"
WORKER_THREADS = 4
FIRST_DAY = date(2016, 4, 12)
STREAK_DAYS = 10
TOPOLOGIES = ("embedded", "production")

# Issue 12 §4: targets and the figures measured before the work.
TARGETS = {"embedded": 0.25, "production": 0.35}
BEFORE_RATIO = {"embedded": 0.149, "production": 0.072}
BEFORE_TASK_P50_MS = {"embedded": 48.0, "production": 281.0}
BEFORE_LATE_P50_MS = 155.0  # "a late upload recomputes up to 10 days at ~10 queries each (155 ms p50)"
# Measured on the code before the batched recompute (commit 541b049, tests/domain/test_recompute_batched.py's
# scenario): applying the late day ran 159 statements; SELECTs per table below.
BEFORE_LATE_STATEMENTS = 159
BEFORE_LATE_READS = {"daily_summaries": 12, "activities": 10, "review_items": 10, "daily_point_totals": 20,
                     "users": 21, "tracker_connections": 21, "point_transactions": 20}
SIZES = {False: {"payloads": 2000, "members": 200, "late_members": 40},
         True: {"payloads": 300, "members": 60, "late_members": 10}}


def redis_url() -> str:
    """The Redis database this benchmark flushes and uses: `BENCH_REDIS_URL`, else db 5 of `TEST_REDIS_URL`'s
    server, else redis://127.0.0.1:6379/5."""
    if os.environ.get("BENCH_REDIS_URL"):
        return os.environ["BENCH_REDIS_URL"]
    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return re.sub(r"/\d+$", "", base) + "/5"


@dataclass
class AppServer:
    base_url: str
    log_paths: list[Path]  # the logs holding the task lines (the app's; the worker's in production)
    system: System  # this process's System on the app's settings (its database, queue, Redis, signing secret)


def _fresh_pg_database() -> str:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{PG_DB}"')
    admin.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DB}"


def _drop_pg_database() -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    admin.dispose()


@contextlib.contextmanager
def app_server(name: str, topology: str = "embedded") -> Iterator[AppServer]:
    """A fresh database and the real app serving it in `topology` (see the module docstring), stopped on exit, with
    a System in this process on the same settings (`app.cli.devserver.child_system`) for the duration."""
    workdir = WORK / name
    shutil.rmtree(workdir, ignore_errors=True)
    overrides = {"ENV": "dev", "TERRA_SIGNING_SECRET": SECRET}
    if topology == "embedded":
        with running_app(workdir, env_overrides=overrides) as app, child_system(app) as system:
            yield AppServer(app.base_url, [app.log_path], system)
        return
    url = redis_url()
    redis.Redis.from_url(url).flushdb()
    overrides.update({"ENV": "prod", "DATABASE_URL": _fresh_pg_database(), "REDIS_URL": url,
                      "STORAGE_SECRET": "bench-storage-secret-" + uuid.uuid4().hex})
    try:
        with (running_app(workdir, env_overrides=overrides) as app,
              running_worker(app, workers=WORKER_THREADS) as worker_log, child_system(app) as system):
            yield AppServer(app.base_url, [worker_log], system)
    finally:
        _drop_pg_database()


def _percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds of `samples` (seconds)."""
    if not samples:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49] * 1000, 2), "p95_ms": round(q[94] * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


async def _fire(requests: list[dict[str, Any]], concurrency: int) -> tuple[float, list[float], int]:
    """Send `requests` (dicts for httpx.request) over `concurrency` clients. Returns (seconds, latencies, non-200s)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for req in requests:
        queue.put_nowait(req)
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        async with httpx.AsyncClient(timeout=60) as client:
            while not queue.empty():
                req = dict(queue.get_nowait())
                if req.pop("sign", False):
                    req["headers"] = {**req["headers"], "X-Terra-Signature": sign(SECRET, req["content"])}
                started = time.perf_counter()
                resp = await client.request(**req)
                latencies.append(time.perf_counter() - started)
                failures += resp.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, failures


def _create_members(system: System, count: int, tag: str = "bench") -> list[str]:
    """`count` members with FITBIT connections, directly in the database; returns their Terra user ids."""
    from domain.accounts.members import connect_tracker, create_member

    terra_ids = []
    with system.uow() as session:
        for i in range(count):
            user = create_member(
                session, email=f"{tag}-{i:05d}@bench.fittrack.test", password_hash="!bench-no-login",
                display_name=f"Bench {tag} {i}", date_of_birth=date(1990, 1, 1 + i % 28), state_code="CA",
                biological_sex="M" if i % 2 else "F", fitness_level="INT",
            )
            terra_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}:{i}"))
            connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id=terra_id)
            terra_ids.append(terra_id)
    return terra_ids


def _body(terra_id: str, member: int, day: date, steps: int, n: int) -> bytes:
    row = DailyRow(id=str(member), activity_date=day, total_steps=steps, total_distance_km=steps * 0.00075,
                   very_active_minutes=n % 40, fairly_active_minutes=n % 25, lightly_active_minutes=120,
                   sedentary_minutes=700, calories=2000)
    return dumps(daily_payload(terra_id, f"bench-{member}", row))


def _ordering(day: date) -> int:
    return int(local_midnight(day + timedelta(days=1)).timestamp() * 1000)


TASK_LINE = re.compile(r"process_webhook_delivery: ([0-9a-f-]+)[^\n]*? executed in ([0-9.]+)s")


def task_seconds(log_paths: list[Path], offsets: list[int]) -> list[float]:
    """Durations (seconds) of `process_webhook_delivery` runs from Huey's "executed in" log lines written after
    `offsets` (byte positions) in `log_paths`, one per task id (the consumer may log each line twice: Huey's own
    handler and the app's JSON one)."""
    found: dict[str, float] = {}
    for path, offset in zip(log_paths, offsets, strict=True):
        if path.exists():
            with open(path, "rb") as log:
                log.seek(offset)
                text = log.read().decode("utf-8", errors="replace")
            found.update((m.group(1), float(m.group(2))) for m in TASK_LINE.finditer(text))
    return list(found.values())


def bench_end_to_end(server: AppServer, payloads: int, members: int, concurrency: int,
                     timeout: float = 900) -> dict[str, Any]:
    """(a): end-to-end webhook ingest rate next to a bare endpoint on the same server."""
    from app.cli.replay import delivery_statuses

    terra_ids = _create_members(server.system, members)
    days_each = -(-payloads // members)
    requests, trace_ids = [], []
    for n in range(payloads):
        member, offset = n % members, n // members
        day = FIRST_DAY + timedelta(days=offset % days_each)
        body = _body(terra_ids[member], member, day, 3_000 + (n * 7919) % 12_000, n)
        trace = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-ingest:{n}"))
        trace_ids.append(trace)
        requests.append({"method": "POST", "url": f"{server.base_url}/webhooks/terra", "content": body,
                         "sign": True, "headers": {"Content-Type": "application/json", "X-Terra-Trace-Id": trace,
                                                   "X-Terra-Ordering-Timestamp": str(_ordering(day))}})
    bare = [{"method": "GET", "url": f"{server.base_url}/health/live", "headers": {}}] * payloads
    asyncio.run(_fire(bare[:50], 4))  # warm-up: both measurements start with a warm server
    offsets = [p.stat().st_size if p.exists() else 0 for p in server.log_paths]

    started = time.perf_counter()
    send_s, latencies, failures = asyncio.run(_fire(requests, concurrency))
    deadline = time.monotonic() + timeout
    while True:
        counts = delivery_statuses(server.system, trace_ids)
        if not counts.get("received") and sum(counts.values()) >= payloads - failures:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    e2e_s = time.perf_counter() - started
    with server.system.db.engine.connect() as conn:
        earned = conn.execute(sa.text("SELECT COALESCE(SUM(points_earned), 0) FROM users")).scalar_one()
        entries = conn.execute(sa.text("SELECT COUNT(*) FROM point_transactions")).scalar_one()
    bare_s, bare_lat, bare_fail = asyncio.run(_fire(bare, concurrency))
    time.sleep(0.5)  # the consumer's last log lines
    tasks = task_seconds(server.log_paths, offsets)

    e2e_rate, bare_rate = payloads / e2e_s, payloads / bare_s
    return {
        "payloads": payloads, "members": members, "concurrency": concurrency,
        "webhook_http": {"seconds": round(send_s, 2), "per_second": round(payloads / send_s, 1),
                         "non_200": failures, **_percentiles(latencies)},
        "end_to_end": {"seconds": round(e2e_s, 2), "payloads_per_second": round(e2e_rate, 1),
                       "delivery_status": counts, "ledger_entries": int(entries), "points_earned": int(earned)},
        "bare_endpoint": {"path": "GET /health/live", "seconds": round(bare_s, 2),
                          "per_second": round(bare_rate, 1), "non_200": bare_fail, **_percentiles(bare_lat)},
        "task": {"runs_logged": len(tasks), **_percentiles(tasks)},
        "ratio_end_to_end_vs_bare": round(e2e_rate / bare_rate, 4),
        "ratio_webhook_ack_vs_bare": round((payloads / send_s) / bare_rate, 4),
    }


def _store_and_process(system: System, body: bytes, day: date) -> tuple[uuid.UUID, float]:
    """Store one delivery as the webhook route does (no enqueue) and process it here; returns its id and the
    processing time in seconds."""
    from app.web.webhooks import store_delivery
    from domain.tracking.terra_payloads import parse_event
    from tasks.webhooks import run_delivery

    text = body.decode()
    delivery_id = store_delivery(system, text, parse_event(json.loads(text)), str(uuid.uuid4()), _ordering(day), None)
    assert delivery_id is not None
    started = time.perf_counter()
    run_delivery(system, delivery_id)
    return delivery_id, time.perf_counter() - started


def bench_late_upload(system: System, members: int) -> dict[str, Any]:
    """(b): `members` members with a 9-day qualifying run (days 2–10); day 1 then arrives late and its processing
    recomputes all 10 days: time and SQL statements per late delivery."""
    terra_ids = _create_members(system, members, tag="late")
    days = [FIRST_DAY + timedelta(days=n) for n in range(STREAK_DAYS)]
    for m, terra_id in enumerate(terra_ids):
        for n, day in enumerate(days[1:], start=1):
            _store_and_process(system, _body(terra_id, m, day, 6_000 + n, n), day)
    statements: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    seconds, per_delivery, reads = [], [], Counter[str]()
    for m, terra_id in enumerate(terra_ids):
        statements.clear()
        sa.event.listen(system.db.engine, "before_cursor_execute", listen)
        try:
            _, elapsed = _store_and_process(system, _body(terra_id, m, days[0], 6_000, 0), days[0])
        finally:
            sa.event.remove(system.db.engine, "before_cursor_execute", listen)
        seconds.append(elapsed)
        per_delivery.append(len(statements))
        for statement in statements:
            match = re.match(r"\s*SELECT\s.*?\sFROM\s+(\w+)", statement, re.S | re.I)
            if match:
                reads[match.group(1)] += 1
    return {"members": members, "days_recomputed_each": STREAK_DAYS,
            **_percentiles(seconds),
            "statements_per_delivery": round(statistics.median(per_delivery), 1),
            "selects_per_table_per_delivery": {t: round(c / members, 2) for t, c in sorted(reads.items())}}


def bench_topology(topology: str, quick: bool, concurrency: int = 8) -> dict[str, Any]:
    """(a) and (b) on one topology."""
    size = SIZES[quick]
    with app_server(f"ingest-{topology}", topology) as server:
        result = bench_end_to_end(server, size["payloads"], size["members"], concurrency)
        result["late_upload"] = bench_late_upload(server.system, size["late_members"])
    result["topology"] = ("app + embedded SqliteHuey consumer, SQLite" if topology == "embedded" else
                          f"app (ENV=prod) + PostgreSQL + Redis + huey_consumer -w {WORKER_THREADS} -k thread")
    return result


def bench_replay(concurrency: int = 8) -> dict[str, Any]:
    """(c): full real-data replay wall time on a fresh database (embedded topology)."""
    from app.cli.replay import run_replay

    with app_server("replay") as server:
        summary = run_replay(server.system, server.base_url, concurrency=concurrency, progress=False,
                             done_marker=None)
    return summary.as_dict()


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def run(quick: bool = False, topologies: tuple[str, ...] = TOPOLOGIES, replay: bool | None = None) -> dict[str, Any]:
    """Every measurement of this module (see the docstring); `quick` = fewer payloads and members, no replay.
    Returns a JSON-able dict: per topology the end-to-end figures and the late upload, the replay, the load average
    before and after (1/5/15 min)."""
    result: dict[str, Any] = {"quick": quick, "load_before": _load(), "sizes": SIZES[quick], "topologies": {},
                              "worker_threads": WORKER_THREADS}
    for topology in topologies:
        result["topologies"][topology] = bench_topology(topology, quick)
        print(f"ingest {topology}: {json.dumps(result['topologies'][topology])}", flush=True)
    if replay if replay is not None else not quick:
        result["replay"] = bench_replay()
    result["load_after"] = _load()
    return result


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return str(value)


def markdown(result: dict[str, Any]) -> str:
    """The summary table: each figure per topology beside its issue-12 target and the figure measured before."""
    tops = result["topologies"]
    lines = ["# Ingest (issue 12 §4)", "",
             f"{'Quick run' if result.get('quick') else 'Full run'}: {result['sizes']['payloads']} signed `daily` "
             f"webhooks over {next(iter(tops.values()))['concurrency'] if tops else '?'} clients, "
             f"{result['sizes']['members']} members; late upload on {result['sizes']['late_members']} members. "
             f"Load average before {result['load_before']}, after {result.get('load_after')}.", "",
             "| figure | topology | measured | target | before |", "| --- | --- | ---: | ---: | ---: |"]
    for name, r in tops.items():
        late = r["late_upload"]
        ratio = r["ratio_end_to_end_vs_bare"]
        met = "met" if ratio >= TARGETS[name] else "NOT met"
        lines += [
            f"| end to end ÷ bare endpoint | {name} | **{_fmt(ratio)}** ({met}) | ≥ {TARGETS[name]} | "
            f"{BEFORE_RATIO[name]} |",
            f"| end to end, payloads/s (bare /health/live) | {name} | {r['end_to_end']['payloads_per_second']} "
            f"({r['bare_endpoint']['per_second']}) | — | — |",
            f"| webhook ack p50 / p95 ms | {name} | {r['webhook_http']['p50_ms']} / {r['webhook_http']['p95_ms']} | "
            "— | — |",
            f"| task p50 / p95 ms (Huey log, {r['task']['runs_logged']} runs) | {name} | {r['task']['p50_ms']} / "
            f"{r['task']['p95_ms']} | — | {BEFORE_TASK_P50_MS[name]} (p50) |",
            f"| late upload (10 days recomputed) p50 / p95 ms | {name} | {late['p50_ms']} / {late['p95_ms']} | — | "
            f"{BEFORE_LATE_P50_MS} (p50) |",
            f"| late upload: SQL statements per delivery | {name} | {late['statements_per_delivery']} | — | "
            f"~10 per day ({BEFORE_LATE_STATEMENTS} for the 10 days) |",
        ]
        reads = late["selects_per_table_per_delivery"]
        data = ", ".join(f"{t} {reads.get(t, 0)}" for t in ("daily_summaries", "activities", "review_items",
                                                            "daily_point_totals"))
        before = ", ".join(f"{t} {BEFORE_LATE_READS[t]}" for t in ("daily_summaries", "activities", "review_items",
                                                                  "daily_point_totals"))
        lines.append(f"| late upload: SELECTs per table | {name} | {data} | each day's data read once | {before} |")
    if "replay" in result:
        rep = result["replay"]
        lines += ["", f"Real-data replay (embedded): {rep.get('payloads_sent')} payloads, "
                  f"{rep.get('member_days')} member-days, wall {rep.get('wall_seconds')} s, ok = {rep.get('ok')}."]
    lines += ["", "SELECTs per table count every read of the late delivery's processing (its after-commit effects "
              "included); daily_summaries includes ingest's look-up of the uploaded day's stored summary before the "
              "engine's one range read.",
              f"Task times are Huey's own `executed in` log lines of the consumer "
              f"(production: `huey_consumer -w {WORKER_THREADS}`)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(TOPOLOGIES))
    parser.add_argument("--skip-replay", action="store_true")
    args = parser.parse_args(argv)
    topologies = tuple(t for t in args.only.split(",") if t)
    result = run(args.quick, topologies, replay=False if args.skip_replay else None)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
