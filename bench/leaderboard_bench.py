"""Leaderboard read latency with many members in one tier (issue 2 §16), from the database and from Redis.

    .venv/bin/python -m bench.leaderboard_bench [--members 100000] [--reads 200] [--postgres] [--seconds 25]

Builds a fresh SQLite file under `var/bench/` (and, with `--postgres`, a fresh `fittrack_bench` database on the local
server), each behind its own `System` (`bench.support.bench_system`), holding N members in tier M-30-39-INT with a
month (April 2016) of `daily_point_totals` (each member active on 0–12 random days, points in steps of 10 so that ties
are common, reached-at times rounded to the minute so that equal times occur too) and consistent
`users.points_earned` / `points_earned_at` / `active_days`. Rows are written with SQLAlchemy Core executemany in
batches, not the ORM.

Then, per source (database, Redis db 2) and period (daily, weekly, monthly, all-time), it times
`domain.competition.leaderboards.get_board` (top 100 + the viewer's ±10, one fresh session per read, as the API does)
for random viewers: `--reads` reads, or fewer when a database period exceeds `--seconds` (at least 10 reads). The Redis
copy is built first with `app.adapters.leaderboard_store.rebuild_board` (its time is reported). Results go to
`bench-results/leaderboard.json` and `bench-results/leaderboard.md` with the machine's details.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.adapters.leaderboard_store import RedisBoardStore, rebuild_board  # noqa: E402
from app.system import System  # noqa: E402
from bench.support import bench_system  # noqa: E402
from domain.competition.leaderboards import get_board  # noqa: E402
from domain.models import DailyPointTotal, Profile, User, metadata  # noqa: E402
from domain.shared.enums import Period  # noqa: E402

TIER = "M-30-39-INT"
MONTH_START = date(2016, 4, 1)
MONTH_DAYS = 30
READ_DAY = date(2016, 4, 27)  # a Wednesday: its week (04-25..05-01) straddles the month end
REDIS_URL = "redis://127.0.0.1:6379/2"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "fittrack_bench"
BATCH = 5000


# ------------------------------------------------------------------------------------------------ data
def generate(members: int, seed: int = 42) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for users, profiles and daily_point_totals (deterministic for a seed)."""
    rng = random.Random(seed)
    created = datetime(2016, 3, 1, tzinfo=UTC)
    users, profiles, totals = [], [], []
    for n in range(members):
        uid = uuid.UUID(int=rng.getrandbits(128), version=4)
        k = rng.randint(0, 12)
        days = sorted(rng.sample(range(MONTH_DAYS), k))
        earned, last = 0, None
        for d in days:
            day = MONTH_START + timedelta(days=d)
            points = rng.randrange(10, 1001, 10)
            reached = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                hours=4 + rng.randint(0, 23), minutes=rng.randint(0, 59))
            totals.append({"user_id": uid, "platform_day": day, "points": points, "deserved": points,
                           "breakdown": None, "reached_at": reached, "updated_at": reached})
            earned += points
            last = reached if last is None or reached > last else last
        users.append({"id": uid, "email": f"bench-{n}@bench.fittrack.test", "password_hash": "x", "role": "user",
                      "status": "active", "point_balance": earned, "points_earned": earned,
                      "points_earned_at": last, "active_days": len(days), "failed_logins": 0, "version": 1,
                      "created_at": created, "updated_at": created})
        profiles.append({"user_id": uid, "display_name": f"Bench Member {n}", "date_of_birth": date(1985, 1, 1),
                         "state_code": "CA", "biological_sex": "M", "fitness_level": "INT", "tier_code": TIER,
                         "open_tier_opt_in": False, "goals": None, "timezone": "America/New_York",
                         "leaderboard_privacy": rng.choice(["visible", "visible", "initials", "hidden"]),
                         "created_at": created, "updated_at": created})
    return users, profiles, totals


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), BATCH):
        yield rows[i:i + BATCH]


def load(engine: Engine, users: list[dict[str, Any]], profiles: list[dict[str, Any]],
         totals: list[dict[str, Any]]) -> float:
    """Create the schema and bulk-insert the rows (Core executemany); returns seconds taken."""
    started = time.perf_counter()
    metadata.create_all(engine)
    with engine.begin() as conn:
        tables = (User.__table__, Profile.__table__, DailyPointTotal.__table__)  # type: ignore[attr-defined]
        for table, rows in zip(tables, (users, profiles, totals), strict=True):
            for chunk in _chunks(rows):
                conn.execute(table.insert(), chunk)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
        elif engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------------ timing
def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]

    return {"reads": len(ordered), "p50_ms": round(pick(0.50) * 1000, 2), "p95_ms": round(pick(0.95) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def time_reads(read: Callable[[uuid.UUID], Any], viewers: list[uuid.UUID], budget_s: float) -> dict[str, float]:
    read(viewers[0])  # warm-up (caches, prepared plans)
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for viewer in viewers:
        started = time.perf_counter()
        board = read(viewer)
        samples.append(time.perf_counter() - started)
        assert board.me is not None and board.me.user_id == viewer and len(board.entries) == 100
        if len(samples) >= 10 and time.perf_counter() > deadline:
            break
    return percentiles(samples)


def bench_source(system: System, store: RedisBoardStore | None, viewers: list[uuid.UUID],
                 budget_s: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for period in Period:
        def read(viewer: uuid.UUID, period: Period = period) -> Any:
            with system.read() as session:
                return get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer, store=store)

        results[period.value] = time_reads(read, viewers, budget_s)
        print(f"    {period.value:8s} {results[period.value]}", flush=True)
    return results


def check_same(system: System, store: RedisBoardStore, viewers: list[uuid.UUID]) -> bool:
    """Spot-check that Redis and the database return identical boards."""
    with system.read() as session:
        for period in Period:
            for viewer in viewers[:3]:
                a = get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer)
                b = get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer, store=store)
                if a != b:
                    return False
    return True


def run_database(label: str, system: System, rows: tuple[list, list, list], viewers: list[uuid.UUID],
                 client: redis.Redis, reads_budget: float) -> dict[str, Any]:
    print(f"[{label}] loading {len(rows[0]):,} members, {len(rows[2]):,} daily totals ...", flush=True)
    load_s = load(system.db.engine, *rows)
    print(f"[{label}] loaded in {load_s:.1f} s; database reads:", flush=True)
    db_results = bench_source(system, None, viewers, reads_budget)
    client.flushdb()
    rebuild_s = {}
    with system.read() as session:
        for period in Period:
            started = time.perf_counter()
            rebuild_board(session, client, TIER, period, READ_DAY)
            rebuild_s[period.value] = round(time.perf_counter() - started, 2)
    store = RedisBoardStore(client)
    print(f"[{label}] Redis rebuilt {rebuild_s} s; Redis reads:", flush=True)
    redis_results = bench_source(system, store, viewers, reads_budget)
    same = check_same(system, store, viewers)
    redis_memory = client.info("memory").get("used_memory_human")
    client.flushdb()
    return {"load_seconds": round(load_s, 1), "database": db_results, "redis": redis_results,
            "redis_rebuild_seconds": rebuild_s, "redis_used_memory": redis_memory, "redis_equals_database": same}


# ------------------------------------------------------------------------------------------------ report
def machine() -> dict[str, Any]:
    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "unavailable"

    cpu_model = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu_model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name"))
    return {"uname": cmd("uname", "-a"), "cpu_count": os.cpu_count(), "cpu_model": cpu_model,
            "python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version, "sqlalchemy": sa.__version__,
            "redis_server": cmd("redis-server", "--version"), "platform": platform.platform()}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Leaderboard read latency",
        "",
        f"{result['members']:,} members in one tier ({TIER}), {result['daily_totals']:,} `daily_point_totals` rows "
        f"(April 2016); `get_board` top 100 + the viewer's ±10 for random viewers, read day {READ_DAY}. "
        f"Run at {result['ran_at']} (total {result['wall_seconds']} s).",
        "",
        "| database | source | period | reads | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for db_name, run in result["databases"].items():
        for source in ("database", "redis"):
            for period, r in run[source].items():
                lines.append(f"| {db_name} | {source} | {period} | {r['reads']} | {r['p50_ms']} | {r['p95_ms']} | "
                             f"{r['max_ms']} |")
    lines += ["", "| database | bulk load s | Redis rebuild s (per period) | Redis memory | Redis = database |",
              "| --- | ---: | --- | --- | --- |"]
    for db_name, run in result["databases"].items():
        lines.append(f"| {db_name} | {run['load_seconds']} | {run['redis_rebuild_seconds']} | "
                     f"{run['redis_used_memory']} | {run['redis_equals_database']} |")
    m = result["machine"]
    lines += ["", "Machine:", "", f"- `{m['uname']}`", f"- CPUs: {m['cpu_count']} ({m['cpu_model']})",
              f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}",
              f"- {m['redis_server']}"]
    if "postgres_version" in result:
        lines.append(f"- {result['postgres_version']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=200, help="reads per source and period")
    parser.add_argument("--seconds", type=float, default=15.0, help="time budget per source and period")
    parser.add_argument("--postgres", action="store_true", help="also run on the local PostgreSQL server")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows = generate(args.members)
    viewers = [u["id"] for u in random.Random(7).sample(rows[0], min(args.reads, len(rows[0])))]
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    client.ping()
    result: dict[str, Any] = {"members": args.members, "daily_totals": len(rows[2]), "read_day": READ_DAY.isoformat(),
                              "ran_at": datetime.now(UTC).isoformat(timespec="seconds"), "databases": {},
                              "machine": machine()}

    sqlite_path = ROOT / "var" / "bench" / f"leaderboard-{args.members}.db"
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    work = sqlite_path.parent / "leaderboard-jobs"
    system = bench_system(f"sqlite:///{sqlite_path}", work)
    try:
        result["databases"]["sqlite"] = run_database("sqlite", system, rows, viewers, client, args.seconds)
    finally:
        system.close()

    if args.postgres:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_BENCH_DB}"')
            result["postgres_version"] = conn.exec_driver_sql("SELECT version()").scalar()
        system = bench_system(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}", work)
        try:
            result["databases"]["postgresql"] = run_database("postgresql", system, rows, viewers, client,
                                                             args.seconds)
        finally:
            system.close()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            admin.dispose()

    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "leaderboard.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "leaderboard.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
