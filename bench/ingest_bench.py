"""Webhook ingest throughput end to end and replay wall time (issue 2 §16).

    .venv/bin/python -m bench.ingest_bench [--payloads 2000] [--members 200] [--concurrency 8] [--skip-replay]

(a) Ingest: the real app (`python app/main.py`, embedded Huey consumer) on a fresh, migrated SQLite file under
`var/bench/`; `--members` members with FITBIT connections are created directly in its database; then `--payloads`
signed Terra `daily` webhooks (distinct members × days, distinct trace ids) are POSTed over `--concurrency` httpx
clients. Measured: HTTP acknowledgement rate and latency, and the end-to-end rate = payloads ÷ time from the first
POST until every delivery is processed (processing marks the delivery in the same transaction that posts its points,
so "processed" means "points in the ledger"). In the same run and against the same server, the same number of
requests to a bare endpoint (`GET /health/live`) with the same concurrency gives the ratio.
(b) Replay: a fresh database and app, then the full real-data replay (`app.cli.replay.run_replay`); its wall time.

Results: `bench-results/ingest.json` (+ the markdown summary written by `bench/__main__.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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

RESULTS = ROOT / "bench-results"
WORK = ROOT / "var" / "bench"
SECRET = "bench-signing-secret"


@dataclass
class AppServer:
    base_url: str
    database_url: str
    log_path: Path
    system: System  # this process's System on the app's settings (its database, queue, signing secret)


@contextlib.contextmanager
def app_server(name: str) -> Iterator[AppServer]:
    """A fresh migrated SQLite database and the real app serving it (subprocess, `ENV=dev`), stopped on exit, with a
    System in this process on the same settings (`app.cli.devserver.child_system`) for the duration."""
    workdir = WORK / name
    shutil.rmtree(workdir, ignore_errors=True)
    overrides = {"ENV": "dev", "TERRA_SIGNING_SECRET": SECRET}
    with running_app(workdir, env_overrides=overrides) as app, child_system(app) as system:
        yield AppServer(app.base_url, app.env["DATABASE_URL"], app.log_path, system)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
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


def _create_members(system: System, count: int) -> list[str]:
    """`count` members with FITBIT connections, directly in the database; returns their Terra user ids."""
    from domain.accounts.members import connect_tracker, create_member

    terra_ids = []
    with system.uow() as session:
        for i in range(count):
            user = create_member(
                session, email=f"bench-{i:05d}@bench.fittrack.test", password_hash="!bench-no-login",
                display_name=f"Bench {i}", date_of_birth=date(1990, 1, 1 + i % 28), state_code="CA",
                biological_sex="M" if i % 2 else "F", fitness_level="INT",
            )
            terra_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{i}"))
            connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id=terra_id)
            terra_ids.append(terra_id)
    return terra_ids


def _delivery_counts(system: System, trace_ids: list[str]) -> dict[str, int]:
    from app.cli.replay import delivery_statuses

    return delivery_statuses(system, trace_ids)


def bench_ingest(payloads: int = 2000, members: int = 200, concurrency: int = 8, timeout: float = 600) -> dict:
    """(a): end-to-end webhook ingest rate next to a bare endpoint on the same server."""
    with app_server("ingest") as server:
        terra_ids = _create_members(server.system, members)
        days_each = -(-payloads // members)
        first_day = date(2016, 4, 12)
        requests, trace_ids = [], []
        for n in range(payloads):
            member, offset = n % members, n // members
            day = first_day + timedelta(days=offset % days_each)
            steps = 3_000 + (n * 7919) % 12_000
            row = DailyRow(id=str(member), activity_date=day, total_steps=steps, total_distance_km=steps * 0.00075,
                           very_active_minutes=n % 40, fairly_active_minutes=n % 25, lightly_active_minutes=120,
                           sedentary_minutes=700, calories=2000)
            body = dumps(daily_payload(terra_ids[member], f"bench-{member}", row))
            trace = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-ingest:{n}"))
            trace_ids.append(trace)
            ordering = int(local_midnight(day + timedelta(days=1)).timestamp() * 1000)
            requests.append({"method": "POST", "url": f"{server.base_url}/webhooks/terra", "content": body,
                             "sign": True, "headers": {"Content-Type": "application/json", "X-Terra-Trace-Id": trace,
                                                       "X-Terra-Ordering-Timestamp": str(ordering)}})
        # warm-up: a few bare requests so both measurements start with a warm server
        asyncio.run(_fire([{"method": "GET", "url": f"{server.base_url}/health/live", "headers": {}}] * 50, 4))

        started = time.perf_counter()
        send_s, latencies, failures = asyncio.run(_fire(requests, concurrency))
        deadline = time.monotonic() + timeout
        while True:
            counts = _delivery_counts(server.system, trace_ids)
            if not counts.get("received") and sum(counts.values()) >= payloads - failures:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        e2e_s = time.perf_counter() - started
        with server.system.db.engine.connect() as conn:
            earned = conn.execute(sa.text("SELECT COALESCE(SUM(points_earned), 0) FROM users")).scalar_one()
            entries = conn.execute(sa.text("SELECT COUNT(*) FROM point_transactions")).scalar_one()

        bare = [{"method": "GET", "url": f"{server.base_url}/health/live", "headers": {}}] * payloads
        bare_s, bare_lat, bare_fail = asyncio.run(_fire(bare, concurrency))

    e2e_rate = payloads / e2e_s
    bare_rate = payloads / bare_s
    return {
        "payloads": payloads, "members": members, "concurrency": concurrency,
        "webhook_http": {"seconds": round(send_s, 2), "per_second": round(payloads / send_s, 1),
                         "non_200": failures, **_percentiles(latencies)},
        "end_to_end": {"seconds": round(e2e_s, 2), "payloads_per_second": round(e2e_rate, 1),
                       "delivery_status": counts, "ledger_entries": int(entries), "points_earned": int(earned)},
        "bare_endpoint": {"path": "GET /health/live", "seconds": round(bare_s, 2),
                          "per_second": round(bare_rate, 1), "non_200": bare_fail, **_percentiles(bare_lat)},
        "ratio_end_to_end_vs_bare": round(e2e_rate / bare_rate, 4),
        "ratio_webhook_ack_vs_bare": round((payloads / send_s) / bare_rate, 4),
    }


def bench_replay(concurrency: int = 8) -> dict:
    """(b): full real-data replay wall time on a fresh database."""
    from app.cli.replay import run_replay

    with app_server("replay") as server:
        summary = run_replay(server.system, server.base_url, concurrency=concurrency, progress=False,
                             done_marker=None)
    return summary.as_dict()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--payloads", type=int, default=2000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-replay", action="store_true")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"ingest": bench_ingest(args.payloads, args.members, args.concurrency)}
    print(f"ingest: {json.dumps(result['ingest'])}", flush=True)
    if not args.skip_replay:
        result["replay"] = bench_replay(args.concurrency)
        print(f"replay: {json.dumps(result['replay'])}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
