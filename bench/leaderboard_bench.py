"""Leaderboard read latency at 100,000 members in one tier (issue 12 §3, §8), from PostgreSQL, SQLite and Redis.

    .venv/bin/python -m bench.leaderboard_bench [--quick] [--members N] [--reads 200] [--no-postgres]
    .venv/bin/python -m bench --only leaderboard [--quick]       (the runner calls `run(quick)` and `markdown`)

Builds a fresh, migrated SQLite file under `var/bench/` and a fresh `fittrack_bench` database on the local PostgreSQL
server, each behind its own `System` (`bench.support`), holding N members (100,000; 10,000 with `quick`) in tier
M-30-39-INT with a month (April 2016) of `daily_point_totals` (each member active on 0–12 random days, points in
steps of 10 so that ties are common, reached-at times rounded to the minute so that equal times occur too) and
consistent `users.points_earned` / `points_earned_at` / `active_days`. Rows are written with SQLAlchemy Core
executemany in batches; the standings projection is then built with `domain.competition.standings.rebuild` (timed)
and checked against the sources.

Then, per source and period (daily, weekly, monthly, all-time), it times `domain.competition.leaderboards.get_board`
(top 100 + the viewer's ±10, one fresh session per read, as the API does) for random viewers: the database
(projection), Redis (`app.adapters.leaderboard_store`, built first with `rebuild_board`), and Redis down (a store on a
closed port: reads fall back to the projection). Redis boards are compared with the database's. Redis:
`BENCH_REDIS_URL`, else `TEST_REDIS_URL`, else redis://127.0.0.1:6379/2 (the database is flushed).
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
from bench.support import bench_system, migrate  # noqa: E402
from domain.competition import standings  # noqa: E402
from domain.competition.leaderboards import get_board  # noqa: E402
from domain.models import DailyPointTotal, Profile, User  # noqa: E402
from domain.shared.enums import Period  # noqa: E402

TIER = "M-30-39-INT"
MONTH_START = date(2016, 4, 1)
MONTH_DAYS = 30
READ_DAY = date(2016, 4, 27)  # a Wednesday: its week (04-25..05-01) straddles the month end
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "fittrack_bench"
BATCH = 5000
DOWN_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every call fails at once

# issue 12 §3 targets (p95, ms) and the figures measured before (p50, ms, issue 12 text)
TARGET_P95_MS = {"postgresql": 50.0, "sqlite": 150.0, "redis": 5.0}
BEFORE_P50_MS = {"postgresql": "593–1,177", "sqlite": "834–4,182", "redis": "7.6–11"}


def redis_url() -> str:
    """The Redis the bench may flush: BENCH_REDIS_URL, else TEST_REDIS_URL, else db 2 of the default server."""
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/2"


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


def load(system: System, users: list[dict[str, Any]], profiles: list[dict[str, Any]],
         totals: list[dict[str, Any]]) -> dict[str, float]:
    """Migrate, bulk-insert the rows (Core executemany), build the standings projection, ANALYZE; seconds taken."""
    engine: Engine = system.db.engine
    started = time.perf_counter()
    migrate(system)
    with engine.begin() as conn:
        tables = (User.__table__, Profile.__table__, DailyPointTotal.__table__)  # type: ignore[attr-defined]
        for table, rows in zip(tables, (users, profiles, totals), strict=True):
            for chunk in _chunks(rows):
                conn.execute(table.insert(), chunk)
    loaded = time.perf_counter()
    with engine.begin() as conn:
        written = standings.rebuild(conn)
    built = time.perf_counter()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE board_standings")
    return {"load_s": round(loaded - started, 1), "projection_rebuild_s": round(built - loaded, 1),
            "projection_rows": written}


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
    """Spot-check that a store returns the same boards as the database (projection)."""
    with system.read() as session:
        for period in Period:
            for viewer in [None, *viewers[:5]]:
                a = get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer)
                b = get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer, store=store)
                if a != b:
                    return False
    return True


def reference_read(session: Any, period: Period, viewer: uuid.UUID) -> Any:
    """The board the way it was read before the projection (issue 12 text): every member numbered and counted with
    two window functions (`board_statement`, the definition)."""
    from domain.competition.leaderboards import assemble_board, board_statement

    rows = session.execute(board_statement(TIER, period, READ_DAY, viewer_id=viewer, limit=100, around=10)).all()
    return assemble_board(
        TIER, period, READ_DAY,
        [(int(r.board_rank), r.user_id, r.display_name, r.privacy, int(r.points), int(r.active_days)) for r in rows],
        int(rows[0].total_members) if rows else 0, viewer_id=viewer, limit=100, around=10)


def bench_reference(system: System, viewers: list[uuid.UUID], budget_s: float) -> dict[str, Any]:
    """The full-ranking query timed in the same run (the "before" side by side, same load): ≥ 3 reads a period."""
    results: dict[str, Any] = {}
    for period in Period:
        samples: list[float] = []
        deadline = time.perf_counter() + budget_s
        for viewer in viewers:
            started = time.perf_counter()
            with system.read() as session:
                reference_read(session, period, viewer)
            samples.append(time.perf_counter() - started)
            if len(samples) >= 3 and time.perf_counter() > deadline:
                break
        results[period.value] = percentiles(samples)
        print(f"    {period.value:8s} {results[period.value]}", flush=True)
    return results


def check_reference(system: System, viewers: list[uuid.UUID]) -> bool:
    """Spot-check the projection against the full ranking query (`board_statement`, the definition)."""
    with system.read() as session:
        for period in Period:
            for viewer in viewers[:3]:
                expected = reference_read(session, period, viewer)
                if expected != get_board(session, board=TIER, period=period, day=READ_DAY, viewer_id=viewer):
                    return False
    return True


def run_database(label: str, system: System, rows: tuple[list, list, list], viewers: list[uuid.UUID],
                 client: redis.Redis, budget: float) -> dict[str, Any]:
    print(f"[{label}] loading {len(rows[0]):,} members, {len(rows[2]):,} daily totals ...", flush=True)
    loaded = load(system, *rows)
    print(f"[{label}] {loaded}; database reads:", flush=True)
    db_results = bench_source(system, None, viewers, budget)
    same_as_reference = check_reference(system, viewers)
    print(f"[{label}] the full-ranking query (before), same run:", flush=True)
    reference = bench_reference(system, viewers, budget / 3)
    client.flushdb()
    rebuild_s = {}
    with system.read() as session:
        for period in Period:
            started = time.perf_counter()
            rebuild_board(session, client, TIER, period, READ_DAY)
            rebuild_s[period.value] = round(time.perf_counter() - started, 2)
    store = RedisBoardStore(client)
    print(f"[{label}] Redis rebuilt {rebuild_s} s; Redis reads:", flush=True)
    redis_results = bench_source(system, store, viewers, budget)
    same = check_same(system, store, viewers)
    redis_memory = client.info("memory").get("used_memory_human")
    client.flushdb()
    down = RedisBoardStore(redis.Redis.from_url(DOWN_REDIS_URL, decode_responses=True, socket_connect_timeout=0.2))
    print(f"[{label}] Redis down (falls back to the projection):", flush=True)
    down_results = bench_source(system, down, viewers, budget / 2)
    return {**loaded, "database": db_results, "full_ranking_query": reference, "redis": redis_results,
            "redis_down": down_results,
            "redis_rebuild_seconds": rebuild_s, "redis_used_memory": redis_memory, "redis_equals_database": same,
            "redis_down_equals_database": check_same(system, down, viewers),
            "projection_equals_full_ranking": same_as_reference}


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


def _worst(source: dict[str, Any], key: str) -> float:
    return max(r[key] for r in source.values())


def markdown(result: dict[str, Any]) -> str:
    """The summary table: each database × source's p50 / p95 for every period beside the issue-12 target and the
    figure measured before (issue 12 text)."""
    lines = [
        "# Leaderboard reads (issue 12 §3)",
        "",
        f"{result['members']:,} members in one tier ({TIER}), {result['daily_totals']:,} `daily_point_totals` rows "
        f"(April 2016); `get_board` top 100 + the viewer's ±10 for random viewers, read day {READ_DAY}, one session "
        f"per read. {'Quick run. ' if result.get('quick') else ''}Run at {result['ran_at']} (total "
        f"{result['wall_seconds']} s); load average before {result['load_before']}, after {result['load_after']}.",
        "",
        "`full ranking query` is the read before this work (`board_statement`: every member numbered and counted with "
        "window functions), timed in the same run under the same load; `before p50` is the issue's figure.",
        "",
        "| database | source | period | reads | p50 ms | p95 ms | target p95 | before p50 (issue) | same-run full "
        "ranking p50 | met |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for db_name, run in result["databases"].items():
        for source in ("database", "redis", "redis_down", "full_ranking_query"):
            if source not in run:
                continue
            kind = "redis" if source == "redis" else db_name
            target = TARGET_P95_MS[kind]
            for period, r in run[source].items():
                met = ("yes" if r["p95_ms"] < target else "**no**") if source != "full_ranking_query" else "—"
                old = run.get("full_ranking_query", {}).get(period, {}).get("p50_ms", "—")
                lines.append(f"| {db_name} | {source.replace('_', ' ')} | {period} | {r['reads']} | {r['p50_ms']} | "
                             f"{r['p95_ms']} | < {target:g} ms | {BEFORE_P50_MS[kind]} ms | {old} ms | {met} |")
    lines += ["", "| database | bulk load s | projection rebuild s (rows) | Redis rebuild s (per period) "
              "| Redis memory | projection = full ranking | Redis = database | Redis down = database |",
              "| --- | ---: | ---: | --- | --- | --- | --- | --- |"]
    for db_name, run in result["databases"].items():
        lines.append(f"| {db_name} | {run['load_s']} | {run['projection_rebuild_s']} ({run['projection_rows']:,}) | "
                     f"{run['redis_rebuild_seconds']} | {run['redis_used_memory']} | "
                     f"{run['projection_equals_full_ranking']} | {run['redis_equals_database']} | "
                     f"{run['redis_down_equals_database']} |")
    m = result["machine"]
    lines += ["", f"Machine: `{m['uname']}`; {m['cpu_count']} CPUs ({m['cpu_model']}); Python {m['python']}, "
              f"SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}; {m['redis_server']}"
              + (f"; {result['postgres_version']}" if result.get("postgres_version") else "") + ".",
              f"Command: `{result['command']}`."]
    return "\n".join(lines) + "\n"


def _loadavg() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def run(quick: bool = False, *, members: int | None = None, reads: int | None = None,
        seconds: float | None = None, postgres: bool = True, out: Path | None = None) -> dict[str, Any]:
    """Run the bench (see the module docstring) and return the JSON-able result; `quick` = 10,000 members and
    fewer reads. Also writes `bench-results/leaderboard.json` and `.md` (`out` to change the folder)."""
    members = members or (10_000 if quick else 100_000)
    reads = reads or (60 if quick else 200)
    budget = seconds or (5.0 if quick else 15.0)
    started = time.perf_counter()
    rows = generate(members)
    viewers = [u["id"] for u in random.Random(7).sample(rows[0], min(reads, len(rows[0])))]
    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    client.ping()
    result: dict[str, Any] = {
        "members": members, "daily_totals": len(rows[2]), "read_day": READ_DAY.isoformat(), "quick": quick,
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"), "databases": {}, "machine": machine(),
        "load_before": _loadavg(), "loadavg_before": list(os.getloadavg()),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    work = ROOT / "var" / "bench" / "leaderboard-jobs"
    sqlite_path = ROOT / "var" / "bench" / f"leaderboard-{members}.db"
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    if postgres:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_BENCH_DB}"')
            result["postgres_version"] = conn.exec_driver_sql("SELECT version()").scalar()
        system = bench_system(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}", work)
        try:
            result["databases"]["postgresql"] = run_database("postgresql", system, rows, viewers, client, budget)
        finally:
            system.close()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)')
            admin.dispose()
    system = bench_system(f"sqlite:///{sqlite_path}", work)
    try:
        result["databases"]["sqlite"] = run_database("sqlite", system, rows, viewers, client, budget)
    finally:
        system.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    client.close()
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    result["load_after"] = _loadavg()
    result["loadavg_after"] = list(os.getloadavg())
    folder = out or ROOT / "bench-results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "leaderboard.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (folder / "leaderboard.md").write_text(markdown(result))
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 members, fewer reads")
    parser.add_argument("--members", type=int)
    parser.add_argument("--reads", type=int, help="reads per source and period")
    parser.add_argument("--seconds", type=float, help="time budget per source and period")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite and Redis only")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = run(args.quick, members=args.members, reads=args.reads, seconds=args.seconds,
                 postgres=not args.no_postgres, out=args.out)
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
