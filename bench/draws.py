"""Sweepstakes benchmarks: a 1,000,000-ticket draw (issue 12 §5, §8; issue 6 §9), and ticket purchase throughput
under concurrency (issue 6 §9).

    .venv/bin/python -m bench.draws [--quick] [--purchases] [--out bench-results]
    .venv/bin/python -m bench --only draws [--quick]          # through the runner (make bench)

1. **Draw**, on SQLite (a file under `var/bench/`) and on PostgreSQL (a fresh database on the local server), each
   behind its own `System` (`bench.support.bench_system`): 20,000 members, one open drawing (5 prize units in 3
   ranks) and 1,000,000 tickets (`--quick`: 5,000 and 100,000) bulk-inserted with Core. Then, through the real
   services, in child processes so that memory is the draw's own:
   - close + execute under `tracemalloc` (peak Python allocations; rolled back);
   - close (`domain.sweepstakes.drawings.close_drawing`: the list streamed in ticket-number order through a
     server-side cursor, hashed and written to the downloadable file, as `tasks.drawings.run_step` does) and execute
     (`execute_drawing`: re-hash, lazy partial Fisher–Yates, winners, fulfillments, notifications), timed and
     committed, with the process's peak RSS (`VmHWM` of /proc/self/status) and its RSS before the draw; then a
     replay;
   - the public API through FastAPI's test client: the results JSON (page 1 and the last page; page=10^30 must be a
     4xx problem), the ticket-list download (the file written at close, then re-streamed from the database after
     deleting it), its SHA-256 against the ETag and the published hash, If-None-Match → 304, and
     `app.cli.verify_draw` on the results + the file;
   - the pure recipe `domain.sweepstakes.recipe.draw` on the same list in memory, which must agree.
2. **Purchases** (`--purchases`): 8 threads buy tickets through `domain.sweepstakes.tickets.purchase` (each in its
   own unit of work, with its after-commit effects; 1–3 tickets, random members of 200) until 600 purchases are
   done, on SQLite and on PostgreSQL: purchases/s, tickets/s, latency p50/p95, and a consistency check.

`run(quick)` / `markdown(result)` are the `python -m bench` interface (figures beside the issue 12 §5 targets and the
figures measured before). This module's own CLI writes `bench-results/draws.json` and `bench-results/draws.md`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
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


class _Rollback(Exception):
    pass


def _status_mib(field_name: str) -> float:
    """A memory figure of this process from /proc/self/status (`VmRSS` now, `VmHWM` its peak), in MiB. `VmHWM`
    belongs to this program's own address space: unlike `ru_maxrss`, which Linux carries over `execve` from the
    forking parent (the bench process with its 1,000,000 generated rows), it is the child's own peak."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def _phase(database_url: str, drawing_id: str, work: str, mode: str) -> dict[str, Any]:
    """Child process (`--phase`): close + execute `drawing_id` as the scheduler does (the close writes the ticket-list
    file while it hashes, `tasks.drawings.run_step`). `mode="time"`: wall times, committed, with the process's peak
    RSS (`VmHWM`) and its RSS before the draw; `mode="memory"`: the same under `tracemalloc` (peak Python
    allocations), rolled back."""
    from app.adapters.ticket_lists import TicketListFiles

    system = bench_system(database_url, Path(work))
    drawing = uuid.UUID(drawing_id)
    files = TicketListFiles.under(system.settings.media_dir)
    out: dict[str, Any] = {"rss_before_mib": round(_status_mib("VmRSS"), 1)}
    try:
        if mode == "memory":
            tracemalloc.start()
            try:
                with files.writer(drawing) as sink, system.uow() as session:
                    drawings.close_drawing(session, drawing, sink=sink)
                    drawings.execute_drawing(session, drawing)
                    raise _Rollback
            except _Rollback:
                pass
            out["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
            return out
        started, cpu = time.perf_counter(), time.process_time()
        with files.writer(drawing) as sink, system.uow() as session:
            backend = _backend_pid(session)
            server = _server_cpu(backend)
            drawings.close_drawing(session, drawing, sink=sink)
            out["close_server_cpu_seconds"] = round(_server_cpu(backend) - server, 2)
        out["close_seconds"] = round(time.perf_counter() - started, 2)
        out["close_cpu_seconds"] = round(time.process_time() - cpu, 2)
        started, cpu = time.perf_counter(), time.process_time()
        with system.uow() as session:
            backend = _backend_pid(session)
            server = _server_cpu(backend)
            outcome = drawings.execute_drawing(session, drawing)
            out["execute_server_cpu_seconds"] = round(_server_cpu(backend) - server, 2)
        out["execute_seconds"] = round(time.perf_counter() - started, 2)
        out["execute_cpu_seconds"] = round(time.process_time() - cpu, 2)
        out["winners"] = [w.ticket_number for w in outcome.winners]
        started = time.perf_counter()
        with system.uow() as session:
            again = drawings.execute_drawing(session, drawing)
        out["replay_seconds"] = round(time.perf_counter() - started, 3)
        assert again.replayed and again.winners == outcome.winners
        out["peak_rss_mib"] = round(_status_mib("VmHWM"), 1)
        out["ru_maxrss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return out
    finally:
        system.close()


def _backend_pid(session: Any) -> int | None:
    """The PostgreSQL backend process serving `session` (None on SQLite: the database runs in this process)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return int(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar())


def _server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by the local PostgreSQL backend `pid` (/proc/<pid>/stat); 0 without
    one or when it cannot be read (a server on another machine)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def _child(database_url: str, drawing_id: uuid.UUID, work: Path, mode: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.draws", "--phase", mode, "--url", database_url,
                           "--drawing", str(drawing_id), "--work", str(work)],
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} phase failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, time.perf_counter() - started


def bench_draw(dialect: str, ticket_count: int, member_count: int) -> dict[str, Any]:
    """Part 1 on one database (module docstring)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.adapters.ticket_lists import TicketListFiles
    from app.api import api_router
    from app.cli import verify_draw
    from app.web.problems import install_problem_handlers

    rng = random.Random(6)
    system, cleanup = _fresh("draw", dialect)
    engine = system.db.engine
    out: dict[str, Any] = {"tickets": ticket_count, "members": member_count}
    drawing_id: uuid.UUID | None = None
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
        url = system.settings.database_url
        work = ROOT / "var" / "bench" / "draw-jobs"

        out["load_at_draw"] = [round(x, 2) for x in os.getloadavg()]
        out.update(_child(url, drawing_id, work, "memory"))  # rolled back: the drawing is still open
        out.update(_child(url, drawing_id, work, "time"))
        out["load_after_draw"] = [round(x, 2) for x in os.getloadavg()]
        out["close_execute_seconds"] = round(out["close_seconds"] + out["execute_seconds"], 2)

        # the pure recipe on the same list in memory (for comparison) and the engine's winners by the recipe
        with system.read() as reader:
            drawing = drawings.get_drawing(reader, drawing_id)
            units = len(drawings.prize_units(drawings.prizes_of(reader, drawing_id)))
            in_memory = drawings.entries(reader, drawing_id)
        assert drawing.server_seed_hex is not None and drawing.ticket_list_hash is not None
        started = time.perf_counter()
        recomputed = recipe.draw(bytes.fromhex(drawing.server_seed_hex), drawing_id, in_memory, units)
        out["pure_recipe_seconds"] = round(time.perf_counter() - started, 2)
        out["recipe_agrees"] = [e.ticket_number for e in recomputed.winners] == out["winners"]
        in_memory.clear()

        # the public API: results pages, the ticket-list file (warm: written at close; cold: re-streamed), verify
        api = FastAPI()
        install_problem_handlers(api)
        api.include_router(api_router)
        api.state.system = system
        base = f"/api/v1/drawings/{drawing_id}"
        with TestClient(api) as client:
            first, seconds = _timed(lambda: client.get(f"{base}/results"))
            assert first.status_code == 200, first.text
            out["results_page_seconds"] = round(seconds, 3)
            out["results_page_kib"] = round(len(first.content) / 1024, 1)
            pages = -(-ticket_count // drawings.TICKETS_MAX_LIMIT)
            last, seconds = _timed(lambda: client.get(f"{base}/results",
                                                      params={"page": pages, "limit": drawings.TICKETS_MAX_LIMIT}))
            assert last.status_code == 200 and len(last.json()["tickets"]) > 0, last.text
            out["results_last_page_seconds"] = round(seconds, 3)
            huge = client.get(f"{base}/results", params={"page": 10**30})
            out["huge_page_status"] = huge.status_code
            listing, seconds = _timed(lambda: client.get(f"{base}/ticket-list"))
            assert listing.status_code == 200, listing.text
            out["download_warm_seconds"] = round(seconds, 2)
            out["download_mib"] = round(len(listing.content) / 2**20, 1)
            out["download_sha256_is_hash"] = (hashlib.sha256(listing.content).hexdigest()
                                              == drawing.ticket_list_hash == listing.headers["etag"].strip('"'))
            out["not_modified_status"] = client.get(f"{base}/ticket-list",
                                                    headers={"If-None-Match": listing.headers["etag"]}).status_code
            TicketListFiles.under(system.settings.media_dir).path(drawing_id, drawing.ticket_list_hash).unlink()
            cold, seconds = _timed(lambda: client.get(f"{base}/ticket-list"))
            assert cold.content == listing.content
            out["download_cold_seconds"] = round(seconds, 2)
            report, seconds = _timed(lambda: verify_draw.verify(first.json(), listing.content))
            out["verify_seconds"] = round(seconds, 2)
            out["verified"] = report.ok
    finally:
        if drawing_id is not None:
            shutil.rmtree(TicketListFiles.under(system.settings.media_dir).root / str(drawing_id),
                          ignore_errors=True)
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


# issue 12 §5: targets and the figures measured before the work (issue text, "What was measured")
TARGETS: dict[str, dict[str, float]] = {"postgresql": {"close_execute_seconds": 5.0},
                                        "sqlite": {"close_execute_seconds": 10.0}}
PEAK_TARGET_MIB = 200.0
BEFORE: dict[str, dict[str, Any]] = {
    "postgresql": {"close_seconds": 14.1, "execute_seconds": 18.1, "close_execute_seconds": 32.2},
    "sqlite": {"close_seconds": 36.9, "execute_seconds": 17.5, "close_execute_seconds": 54.4},
}
BEFORE_PEAK_MIB = 274.0
BEFORE_RESULTS = "21–29 s, 45 MB in one response"


def run(quick: bool = False, *, purchases: bool = False,
        dialects: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    """`make bench` entry (issue 12 §5, §8): the draw part on SQLite and PostgreSQL with 1,000,000 tickets (100,000
    when `quick`) among 20,000 members (5,000), and ticket purchases under concurrency when `purchases`. JSON-able;
    records the load average before and after."""
    tickets_n, members_n = (100_000, 5_000) if quick else (1_000_000, 20_000)
    result: dict[str, Any] = {"machine": machine(), "quick": quick, "draw": {}, "purchases": {},
                              "command": f"python -m bench.draws{' --quick' if quick else ''}",
                              "load_before": os.getloadavg()}
    for dialect in dialects:
        try:
            result["draw"][dialect] = bench_draw(dialect, tickets_n, members_n)
        except Exception as exc:  # noqa: BLE001 - reported in the output
            result["draw"][dialect] = {"error": f"{type(exc).__name__}: {exc}"}
        print(dialect, "draw", result["draw"][dialect], file=sys.stderr, flush=True)
        if purchases:
            try:
                result["purchases"][dialect] = bench_purchases(dialect, 600, 8)
            except Exception as exc:  # noqa: BLE001
                result["purchases"][dialect] = {"error": f"{type(exc).__name__}: {exc}"}
    result["load_after"] = os.getloadavg()
    return result


def _mark(value: float | None, target: float | None) -> str:
    if value is None:
        return "–"
    if target is None:
        return f"{value}"
    return f"{value} {'✅' if value < target else '❌'}"


def markdown(result: dict[str, Any]) -> str:
    """The summary: each figure beside its issue 12 §5 target and the figure measured before."""
    m = result["machine"]
    load = " / ".join(f"{x:.2f}" for x in result.get("load_before", ()))
    load_after = " / ".join(f"{x:.2f}" for x in result.get("load_after", ()))
    lines = ["# A 1,000,000-ticket draw (issue 12 §5)", "", f"- date: {m['date']}", f"- machine: `{m['uname']}`",
             f"- nproc: {m['nproc']}, Python {m['python']}", f"- command: `{result['command']}`",
             f"- load average (1 / 5 / 15 min): {load} before, {load_after} after", ""]
    draws = result.get("draw", {})
    for name, d in draws.items():
        if "error" in d:
            lines += [f"## {name}: error", "", f"`{d['error'][:400]}`", ""]
            continue
        target = TARGETS.get(name, {}).get("close_execute_seconds")
        before = BEFORE.get(name, {})
        peak_growth = round(d["peak_rss_mib"] - d["rss_before_mib"], 1)
        loads = f"load average {' / '.join(map(str, d.get('load_at_draw', [])))} before the draw, " \
                f"{' / '.join(map(str, d.get('load_after_draw', [])))} after"
        lines += [f"## {name}: {d['tickets']:,} tickets, {d['members']:,} members ({loads})", "",
                  "| figure | measured | target | before |", "| --- | --- | --- | --- |",
                  f"| close (stream in number order, hash, write the file) | {d['close_seconds']} s | – | "
                  f"{before.get('close_seconds', '–')} s |",
                  f"| execute (re-hash, lazy Fisher–Yates, winners, fulfillments) | {d['execute_seconds']} s | – | "
                  f"{before.get('execute_seconds', '–')} s |",
                  f"| **close + execute** | **{_mark(d['close_execute_seconds'], target)} s** | < {target} s | "
                  f"{before.get('close_execute_seconds', '–')} s |",
                  f"| peak memory, Python allocations (tracemalloc, close + execute) | "
                  f"{_mark(d['tracemalloc_peak_mib'], PEAK_TARGET_MIB)} MiB | < {PEAK_TARGET_MIB:.0f} MB | "
                  f"{BEFORE_PEAK_MIB:.0f} MB |",
                  f"| peak RSS of the close + execute process (VmHWM) | "
                  f"{_mark(d['peak_rss_mib'], PEAK_TARGET_MIB)} MiB (of which {d['rss_before_mib']} MiB before "
                  f"the draw: interpreter and imports; growth {peak_growth} MiB) | < {PEAK_TARGET_MIB:.0f} MB | – |",
                  f"| CPU time, close + execute: the draw process (load-independent) | {d.get('close_cpu_seconds')}"
                  f" + {d.get('execute_cpu_seconds')} s | – | – |",
                  f"| CPU time, close + execute: its PostgreSQL backend | {d.get('close_server_cpu_seconds')} + "
                  f"{d.get('execute_server_cpu_seconds')} s | – | – |",
                  f"| replay of a completed draw | {d['replay_seconds']} s | – | – |",
                  f"| results JSON, page 1 (100 lines) | {d['results_page_seconds']} s, {d['results_page_kib']} KiB "
                  f"| paginated | {BEFORE_RESULTS} |",
                  f"| results JSON, last page (1,000 lines) | {d['results_last_page_seconds']} s | paginated | – |",
                  f"| results with page=10^30 | HTTP {d['huge_page_status']} | 4xx problem | – |",
                  f"| ticket-list download, file written at close | {d['download_warm_seconds']} s, "
                  f"{d['download_mib']} MiB | a file | in the JSON |",
                  f"| ticket-list download, re-streamed from the database | {d['download_cold_seconds']} s | – | – |",
                  f"| download SHA-256 = ETag = published hash | {d['download_sha256_is_hash']} | True | – |",
                  f"| If-None-Match → | HTTP {d['not_modified_status']} | 304 | – |",
                  f"| `verify_draw` on results + file | {d['verified']} in {d['verify_seconds']} s | True | – |",
                  f"| pure recipe in memory (`recipe.draw`), agrees with the engine | {d['pure_recipe_seconds']} s, "
                  f"{d['recipe_agrees']} | – | – |",
                  f"| load of the bench data (not part of the draw) | {d['load_seconds']} s | – | – |", ""]
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
    parser.add_argument("--quick", action="store_true", help="100,000 tickets instead of 1,000,000")
    parser.add_argument("--purchases", action="store_true", help="also the purchase-concurrency part (issue 6 §9)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database instead of both")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--phase", choices=["time", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--drawing", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        phase = _phase(args.url, args.drawing, args.work, args.phase)
        print(json.dumps(phase))
        return phase
    result = run(quick=args.quick, purchases=args.purchases,
                 dialects=(args.only,) if args.only else ("sqlite", "postgresql"))
    if args.only:
        result["command"] += f" --only {args.only}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "draws.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (args.out / "draws.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
