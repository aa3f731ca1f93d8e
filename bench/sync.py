"""Cost of the 15-minute Terra sync per connection (issue 5 "Done when"), measured on 1,000 connections.

    .venv/bin/python -m bench.sync [--connections 1000] [--concurrency 4] [--database-url sqlite:///...]

A fresh, migrated database (SQLite under `var/bench/sync/` by default; `--database-url` for PostgreSQL) behind one
`System` (`bench.support.bench_system`) with
`--connections` members, each with a FITBIT connection bound to a user of the local Terra stand-in
(`tests/terra_sim`, in-process through httpx's ASGITransport, so no network), whose answers are the real Fitbit
dataset (33 people, cycled) shifted to end yesterday. Then, exactly as the periodic task does it:

1. claim the due connections (`domain.tracking.connections.claim_due`, one query + one update) — timed;
2. `app.services.terra_sync.sync_connection` for each, `--concurrency` at a time (the Huey workers), twice:
   - **backfill**: the first sync of a new connection (30 days of `/daily` + `/activity`, points recomputed);
   - **steady**: the regular 15-minute poll afterwards (the last sync's day minus 2 days until today).

Reported per phase: Terra requests per connection (counted by the stand-in: every HTTP request it received), wall
milliseconds per connection (phase wall time ÷ connections — the throughput cost), and the p50 / p95 latency of one
connection's sync. Results: `bench-results/sync.json` and `bench-results/sync.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from app.system import System

RESULTS = ROOT / "bench-results"
WORK = ROOT / "var" / "bench" / "sync"
SIM_URL = "http://terra-sim.bench"


def _prepare_system(database_url: str | None) -> System:
    """The bench's System on a fresh migrated database (default: a new SQLite file under `WORK`), no Redis."""
    from bench.support import bench_system, migrate

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    system = bench_system(database_url or f"sqlite:///{WORK / 'sync.db'}", WORK)
    migrate(system)
    return system


def _create_connections(system: System, count: int, sim: Any) -> list[uuid.UUID]:
    """`count` members, each with a FITBIT connection to a new stand-in user; returns the connection ids."""
    from domain.accounts.members import connect_tracker, create_member

    ids: list[uuid.UUID] = []
    persons = sim.dataset.persons
    with system.uow() as session:
        for i in range(count):
            user = create_member(
                session, email=f"sync-{i:05d}@bench.fittrack.test", password_hash="!bench-no-login",
                display_name=f"Sync {i}", date_of_birth=date(1990, 1, 1 + i % 28), state_code="CA",
                biological_sex="M" if i % 2 else "F", fitness_level="INT",
            )
            sim_user = sim.create_user(provider="FITBIT", reference_id=str(user.id), person=persons[i % len(persons)])
            ids.append(connect_tracker(session, user_id=user.id, provider="FITBIT",
                                       terra_user_id=sim_user.user_id).id)
    return ids


def _stats(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "max_ms": round(ordered[-1], 1),
            "mean_ms": round(statistics.fmean(ordered), 1)}


async def _phase(system: System, name: str, ids: list[uuid.UUID], make_client: Any, sim: Any,
                 concurrency: int) -> dict[str, Any]:
    from app.services.terra_sync import sync_connection

    requests_before = len(sim.requests)
    semaphore = asyncio.Semaphore(concurrency)
    reports: list[Any] = []

    async with make_client() as client:
        async def one(connection_id: uuid.UUID) -> None:
            async with semaphore:
                reports.append(await sync_connection(system, connection_id, client))

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in ids))
        wall = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for report in reports:
        outcomes[report.outcome] = outcomes.get(report.outcome, 0) + 1
    terra_requests = len(sim.requests) - requests_before
    return {
        "phase": name, "connections": len(ids), "concurrency": concurrency, "outcomes": outcomes,
        "wall_seconds": round(wall, 2), "ms_per_connection": round(wall * 1000 / len(ids), 2),
        "terra_requests": terra_requests, "requests_per_connection": round(terra_requests / len(ids), 3),
        "days_per_connection": round(sum(r.days for r in reports) / len(ids), 2),
        "activities_per_connection": round(sum(r.activities for r in reports) / len(ids), 2),
        "points_credited": sum(r.credited for r in reports),
        "latency": _stats([r.ms for r in reports]),
    }


def run(connections: int = 1000, concurrency: int = 2, database_url: str | None = None,
        quick: bool = False) -> dict[str, Any]:
    """Sync `connections` tracker connections (100 with `quick`) against the Terra stand-in, `concurrency` at a
    time; figures as in `markdown`."""
    if quick:
        connections = min(connections, 100)
    load = os.getloadavg()
    system = _prepare_system(database_url)
    try:
        return _run(system, connections, concurrency, load)
    finally:
        system.close()


def _run(system: System, connections: int, concurrency: int, load: tuple[float, float, float]) -> dict[str, Any]:
    import httpx
    import structlog

    from app.adapters.terra.client import TerraClient
    from domain.tracking.connections import claim_due
    from tests.terra_sim import SimConfig, create_app

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # warnings only: no per-sync logs
    config = SimConfig(data_webhook_days=0)
    sim_app = create_app(config)
    sim = sim_app.state.sim

    def make_client() -> TerraClient:
        return TerraClient(base_url=SIM_URL, dev_id=config.dev_id, api_key=config.api_key,
                           transport=httpx.ASGITransport(app=sim_app), circuit=None)

    started = time.perf_counter()
    ids = _create_connections(system, connections, sim)
    setup_seconds = time.perf_counter() - started

    claim_started = time.perf_counter()
    with system.uow() as session:
        claimed = claim_due(session, datetime.now(UTC), limit=connections)
    claim_ms = (time.perf_counter() - claim_started) * 1000
    assert set(claimed) == set(ids), (len(claimed), connections)  # all of them due, nothing else

    backfill = asyncio.run(_phase(system, "backfill (first sync, 30 days)", claimed, make_client, sim, concurrency))
    steady = asyncio.run(_phase(system, "steady (15-minute poll, 2-day overlap)", claimed, make_client, sim,
                                concurrency))
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": system.settings.database_url.split(":", 1)[0],
        "connections": connections, "setup_seconds": round(setup_seconds, 1),
        "claim": {"connections": len(claimed), "ms": round(claim_ms, 1)},
        "phases": [backfill, steady],
        "machine": {"nproc": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_at_start": [round(x, 2) for x in load]},
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Terra sync cost per connection ({result['connections']} connections, {result['database']})", "",
        f"- date: {result['date']}; command: `.venv/bin/python -m bench.sync`; nproc {result['machine']['nproc']}, "
        f"load average at start {result['machine']['load_average_at_start']}",
        "- Terra: the local stand-in in-process (ASGITransport, no network), real Fitbit data shifted to yesterday",
        f"- claiming the due connections (one query + one update): {result['claim']['ms']} ms for "
        f"{result['claim']['connections']}", "",
        "| phase | requests / connection | ms / connection (wall ÷ n) | p50 ms | p95 ms | days / conn | "
        "workouts / conn | concurrency | outcomes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in result["phases"]:
        lines.append(f"| {p['phase']} | {p['requests_per_connection']} | {p['ms_per_connection']} | "
                     f"{p['latency']['p50_ms']} | {p['latency']['p95_ms']} | {p['days_per_connection']} | "
                     f"{p['activities_per_connection']} | {p['concurrency']} | {p['outcomes']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2, help="syncs at a time (default: HUEY_WORKERS default)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file under var/bench/sync")
    args = parser.parse_args(argv)
    result = run(args.connections, args.concurrency, args.database_url)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sync.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "sync.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
