"""Sweepstakes benchmarks (issue 6 §9): a 1,000,000-ticket draw, and ticket purchase throughput under concurrency.

    .venv/bin/python -m bench.draws [--tickets 1000000] [--members 20000] [--purchases 600] [--threads 8]
                                    [--skip-postgres] [--out bench-results]

1. **Draw**: a fresh database (SQLite file under `var/bench/`, then a fresh `fittrack_bench_draws` database on the local
   PostgreSQL server) behind its own `System` (`bench.support.bench_system`) with `--members` members, one open drawing
   (5 prize units in 3 ranks) and `--tickets` tickets bulk-inserted (Core executemany). Then, through the real services:
   - `domain.sweepstakes.drawings.close_drawing` (reads and hashes the frozen list): wall time;
   - `domain.sweepstakes.drawings.execute_drawing` once under `tracemalloc` (peak Python memory; that unit of work is
     rolled back) and once timed without it (committed): re-hash check, recipe draw, winners marked, fulfillments,
     notifications and winner emails created (the `WinAwarded` policy, as in production);
   - `domain.sweepstakes.drawings.results` (the public JSON including the 1,000,000-line ticket list): wall time;
   - the pure recipe `domain.sweepstakes.recipe.draw` on the same entries in memory, for comparison;
   plus the process's peak RSS (`resource.getrusage`).
2. **Purchases**: `--threads` threads buy tickets through `domain.sweepstakes.tickets.purchase` (each in its own
   unit of work, `system.uow()`, with its after-commit effects; 1–3 tickets, random members of 200) until
   `--purchases` purchases are done, on SQLite and on PostgreSQL: purchases/s, tickets/s, latency p50/p95, and a
   consistency check (numbers 1..n contiguous, balances = funding − spends).

Results: `bench-results/draws.json` and `bench-results/draws.md` with the machine's details.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.system import System  # noqa: E402
from bench.support import bench_system  # noqa: E402
from domain.models import Drawing, Prize, Profile, Ticket, User, metadata  # noqa: E402
from domain.points import ledger  # noqa: E402
from domain.shared.enums import TransactionType  # noqa: E402
from domain.sweepstakes import drawings, recipe, tickets  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "fittrack_bench_draws"
BATCH = 20_000
BUYERS = 200
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _users(count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users, profiles = [], []
    for n in range(count):
        uid = uuid.UUID(int=rng.getrandbits(128), version=4)
        users.append({"id": uid, "email": f"draw-bench-{n}@bench.fittrack.test", "password_hash": "x",
                      "role": "user", "status": "active", "point_balance": 0, "points_earned": 0,
                      "active_days": 0, "failed_logins": 0, "version": 1, "created_at": CREATED,
                      "updated_at": CREATED})
        profiles.append({"user_id": uid, "display_name": f"Bench Member {n}", "date_of_birth": date(1985, 1, 1),
                         "state_code": "CA", "biological_sex": "F", "fitness_level": "INT", "tier_code": None,
                         "open_tier_opt_in": True, "goals": None, "timezone": "America/New_York",
                         "leaderboard_privacy": "visible", "created_at": CREATED, "updated_at": CREATED})
    return users, profiles


def _insert(engine: Engine, table: sa.Table, rows: list[dict[str, Any]] | Iterator[list[dict[str, Any]]]) -> None:
    chunks = (rows[i:i + BATCH] for i in range(0, len(rows), BATCH)) if isinstance(rows, list) else rows
    with engine.begin() as conn:
        for chunk in chunks:
            conn.execute(table.insert(), chunk)


def _open_drawing(session: Any, now: datetime, cost: int = 10) -> Drawing:
    """An open drawing (server seed and commitment as `open_drawing` stores them) with 5 prize units in 3 ranks."""
    seed = recipe.new_server_seed()
    drawing = Drawing(drawing_type="monthly", name="Bench drawing", ticket_cost_points=cost,
                      open_time=now - timedelta(days=1), sales_close=now + timedelta(days=1),
                      drawing_time=now + timedelta(days=1, minutes=5), eligibility={}, status="open",
                      rules_text="Bench rules", rules_version=1, server_seed_hex=seed.hex(),
                      seed_commitment=recipe.seed_commitment(seed), rules_frozen_at=now)
    session.add(drawing)
    session.flush()
    for rank, quantity, kind in ((1, 1, "physical"), (2, 2, "physical"), (3, 2, "digital")):
        session.add(Prize(drawing_id=drawing.id, prize_rank=rank, name=f"Prize {rank}", value_usd=100.0 * (4 - rank),
                          quantity=quantity, fulfillment_type=kind))
    session.flush()
    return drawing


def _fresh(name: str, dialect: str) -> tuple[System, Any]:
    """A System on a fresh database (schema created; its queue in `var/bench/<name>-jobs/`) and a cleanup callable."""
    work = ROOT / "var" / "bench" / f"{name}-jobs"
    shutil.rmtree(work, ignore_errors=True)
    if dialect == "sqlite":
        path = ROOT / "var" / "bench" / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        system = bench_system(f"sqlite:///{path}", work)
        metadata.create_all(system.db.engine)

        def cleanup() -> None:
            system.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(work, ignore_errors=True)

        return system, cleanup
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    db_name = f"{PG_BENCH_DB}_{name.replace('-', '_')}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
    system = bench_system(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{db_name}", work)
    metadata.create_all(system.db.engine)

    def drop() -> None:
        system.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)

    return system, drop


def bench_draw(dialect: str, ticket_count: int, member_count: int) -> dict[str, Any]:
    """Part 1 on one database (module docstring)."""
    rng = random.Random(6)
    system, cleanup = _fresh("draw", dialect)
    engine = system.db.engine
    out: dict[str, Any] = {"tickets": ticket_count, "members": member_count}
    try:
        users, profiles = _users(member_count, rng)
        started = time.perf_counter()
        _insert(engine, User.__table__, users)  # type: ignore[attr-defined]
        _insert(engine, Profile.__table__, profiles)  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        with system.uow() as session:
            drawing_id = _open_drawing(session, now).id
        ids = [u["id"] for u in users]

        def ticket_rows() -> Iterator[list[dict[str, Any]]]:
            for start in range(1, ticket_count + 1, BATCH):
                yield [{"id": uuid.uuid4(), "drawing_id": drawing_id, "user_id": ids[rng.randrange(member_count)],
                        "ticket_number": n, "purchase_transaction_id": None, "is_free_entry": False,
                        "is_winner": False, "prize_id": None, "created_at": now}
                       for n in range(start, min(start + BATCH, ticket_count + 1))]

        _insert(engine, Ticket.__table__, ticket_rows())  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.execute(sa.update(Drawing.__table__).where(  # type: ignore[attr-defined]
                Drawing.__table__.c.id == drawing_id).values(total_tickets=ticket_count))  # type: ignore[attr-defined]
            conn.exec_driver_sql("ANALYZE")
        out["load_seconds"] = round(time.perf_counter() - started, 2)

        started = time.perf_counter()
        with system.uow() as session:
            drawings.close_drawing(session, drawing_id)
        out["close_seconds"] = round(time.perf_counter() - started, 2)

        class Rollback(Exception):
            pass

        tracemalloc.start()
        try:
            with system.uow() as session:
                drawings.execute_drawing(session, drawing_id)
                raise Rollback
        except Rollback:
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["execute_peak_mib"] = round(peak / 2**20, 1)

        started = time.perf_counter()
        with system.uow() as session:
            outcome = drawings.execute_drawing(session, drawing_id)
        out["execute_seconds"] = round(time.perf_counter() - started, 2)
        out["winners"] = [w.ticket_number for w in outcome.winners]

        started = time.perf_counter()
        with system.uow() as session:
            again = drawings.execute_drawing(session, drawing_id)
        out["replay_seconds"] = round(time.perf_counter() - started, 3)
        assert again.replayed and again.winners == outcome.winners

        started = time.perf_counter()
        with system.read() as reader:
            public = drawings.results(reader, drawing_id).as_json()  # the API's JSON body
            entries = drawings.entries(reader, drawing_id)
        out["results_seconds"] = round(time.perf_counter() - started, 2)
        out["results_json_mib"] = round(len(json.dumps(public)) / 2**20, 1)

        started = time.perf_counter()
        recomputed = recipe.draw(bytes.fromhex(public["server_seed"]), drawing_id, entries, public["units"])
        out["pure_recipe_seconds"] = round(time.perf_counter() - started, 2)
        assert [e.ticket_number for e in recomputed.winners] == out["winners"]
        out["verified"] = True
    finally:
        cleanup()
    return out


def _latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50_ms": round(pick(0.5) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


def bench_purchases(dialect: str, purchases: int, threads: int) -> dict[str, Any]:
    """Part 2 on one database (module docstring)."""
    rng = random.Random(7)
    system, cleanup = _fresh("purchases", dialect)
    engine = system.db.engine
    out: dict[str, Any] = {"purchases": purchases, "threads": threads, "members": BUYERS}
    try:
        users, profiles = _users(BUYERS, rng)
        _insert(engine, User.__table__, users)  # type: ignore[attr-defined]
        _insert(engine, Profile.__table__, profiles)  # type: ignore[attr-defined]
        ids = [u["id"] for u in users]
        funding = 10_000
        with system.uow() as session:
            for user_id in ids:
                ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=funding,
                            idempotency_key=f"fund:{user_id}", platform_day=date(2026, 1, 5))
            drawing_id = _open_drawing(session, datetime.now(UTC)).id
        counter = iter(range(purchases))
        lock = threading.Lock()
        samples: list[float] = []
        errors: list[str] = []

        def worker(seed: int) -> None:
            local = random.Random(seed)
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                begin = time.perf_counter()
                try:
                    with system.uow() as session:
                        tickets.purchase(session, user_id=ids[local.randrange(BUYERS)], drawing_id=drawing_id,
                                         quantity=1 + local.randrange(3), idempotency_key=f"bench-{n}")
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    samples.append(time.perf_counter() - begin)

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - started
        with system.read() as reader:
            numbers = [n for (n,) in reader.execute(sa.select(Ticket.ticket_number).where(  # type: ignore[call-overload]
                Ticket.drawing_id == drawing_id).order_by(Ticket.ticket_number)).all()]
            spent = sum(funding - user.point_balance
                        for user in reader.execute(sa.select(User)).scalars().all())
        out.update(wall_seconds=round(wall, 2), ok_purchases=len(samples), errors=len(errors),
                   error_examples=errors[:3], tickets=len(numbers),
                   purchases_per_second=round(len(samples) / wall, 1), tickets_per_second=round(len(numbers) / wall, 1),
                   latency=_latency(samples) if samples else {},
                   consistent=numbers == list(range(1, len(numbers) + 1)) and spent == 10 * len(numbers))
    finally:
        cleanup()
    return out


def machine() -> dict[str, Any]:
    return {"uname": " ".join(platform.uname()), "nproc": os.cpu_count(), "python": sys.version.split()[0],
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = ["# Sweepstakes benchmarks (issue 6 §9)", "", f"- date: {m['date']}", f"- machine: `{m['uname']}`",
             f"- nproc: {m['nproc']}, Python {m['python']}", f"- command: `{result['command']}`",
             f"- peak RSS of the whole run: {result.get('peak_rss_mib')} MiB", ""]
    draws = result.get("draw", {})
    if draws:
        lines += [f"## Drawing with {next(iter(draws.values())).get('tickets', 0):,} tickets", "",
                  "| database | load | close (hash) | execute | execute peak (tracemalloc) | replay | results JSON "
                  "| pure recipe | verified |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, d in draws.items():
            if "error" in d:
                lines.append(f"| {name} | error: {d['error'][:120]} |")
                continue
            lines.append(f"| {name} | {d['load_seconds']} s | {d['close_seconds']} s | {d['execute_seconds']} s | "
                         f"{d['execute_peak_mib']} MiB | {d['replay_seconds']} s | {d['results_seconds']} s "
                         f"({d['results_json_mib']} MiB) | {d['pure_recipe_seconds']} s | {d['verified']} |")
        lines.append("")
    buys = result.get("purchases", {})
    if buys:
        lines += ["## Ticket purchases under concurrency (`domain.sweepstakes.tickets.purchase`, "
                  "one write transaction each)", "",
                  "| database | threads | purchases | tickets | purchases/s | tickets/s | p50 | p95 | errors | "
                  "consistent |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for name, b in buys.items():
            if "error" in b:
                lines.append(f"| {name} | error: {b['error'][:120]} |")
                continue
            lat = b["latency"]
            lines.append(f"| {name} | {b['threads']} | {b['ok_purchases']} | {b['tickets']} | "
                         f"{b['purchases_per_second']} | {b['tickets_per_second']} | {lat.get('p50_ms')} ms | "
                         f"{lat.get('p95_ms')} ms | {b['errors']} | {b['consistent']} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.draws", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--purchases", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-draw", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)
    dialects = ["sqlite"] if args.skip_postgres else ["sqlite", "postgresql"]
    result: dict[str, Any] = {"machine": machine(), "draw": {}, "purchases": {},
                              "command": " ".join(["python -m bench.draws", *(argv or sys.argv[1:])])}
    for dialect in dialects:
        if not args.skip_draw:
            try:
                result["draw"][dialect] = bench_draw(dialect, args.tickets, args.members)
            except Exception as exc:  # noqa: BLE001 - reported in the output
                result["draw"][dialect] = {"error": f"{type(exc).__name__}: {exc}"}
            print(dialect, "draw", result["draw"][dialect], flush=True)
        try:
            result["purchases"][dialect] = bench_purchases(dialect, args.purchases, args.threads)
        except Exception as exc:  # noqa: BLE001
            result["purchases"][dialect] = {"error": f"{type(exc).__name__}: {exc}"}
        print(dialect, "purchases", result["purchases"][dialect], flush=True)
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "draws.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (args.out / "draws.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
