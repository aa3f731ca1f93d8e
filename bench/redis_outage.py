"""Redis outage drill (issue 13 §3 "Done when"; issue 12 §3 "correct and fast with Redis down").

    .venv/bin/python -m bench.redis_outage [--quick]

The production topology on this machine: the real app (`ENV=prod`) and a separate Huey worker on a private
`redis-server` (`app.cli.devserver.running_redis`) and a fresh SQLite database. Three members (one per phase)
with a password and the real Fitbit days of three dataset members (shifted so the last is yesterday,
America/New_York), credited through signed webhooks, so every board has standings. Then, over HTTP as a client would:

1. Redis up: sign-in and every leaderboard period (`GET /api/v1/leaderboards/{period}`);
2. Redis killed (connections refused): the same — the first request of each Redis use pays its timeout, the rest
   run on the fallbacks;
3. Redis frozen (SIGSTOP: connections accepted, nothing answered): the same;
4. Redis back (restarted on the same port): a new signed webhook → its live `points` message on Redis pub/sub,
   i.e. live updates resume without restarting anything.

Figures: seconds per sign-in and per board read in each phase (max and median), and the seconds from the webhook
POST to the live message after Redis returned. Target: every sign-in and read under 1 s with Redis down.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from app.adapters.terra.signature import sign  # noqa: E402
from app.cli.devserver import child_system, running_app, running_redis, running_worker  # noqa: E402
from app.cli.fitbit_dataset import daily_payload, dumps, local_midnight, read_daily  # noqa: E402
from app.settings import load_settings  # noqa: E402
from app.system import System  # noqa: E402
from domain.accounts.members import connect_tracker, create_member  # noqa: E402
from domain.shared.calendar import platform_day  # noqa: E402
from domain.shared.types import utcnow  # noqa: E402

WORK = ROOT / "var" / "bench" / "redis_outage"
SECRET = "bench-redis-outage-signing-secret"
PASSWORD = "bench-outage-password-1"
PERIODS = ("daily", "weekly", "monthly", "alltime")
TARGET_S = 1.0


def _signed(body: bytes, trace: str, day: date) -> dict[str, str]:
    ordering = int(local_midnight(day + timedelta(days=1)).timestamp() * 1000)
    return {"Content-Type": "application/json", "terra-signature": sign(SECRET, body), "X-Terra-Trace-Id": trace,
            "X-Terra-Ordering-Timestamp": str(ordering)}


def _wait_processed(system: System, count: int, timeout: float = 180) -> None:
    """Poll the database until `count` deliveries are processed or ignored (the worker is another process)."""
    deadline = time.monotonic() + timeout
    while True:
        with system.db.engine.connect() as conn:
            done = conn.execute(sa.text("SELECT COUNT(*) FROM webhook_deliveries "
                                        "WHERE status IN ('processed', 'ignored')")).scalar_one()
        if done >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {count} deliveries processed in {timeout} s")
        time.sleep(0.2)


def _phase(client: httpx.Client, email: str, rounds: int) -> dict[str, Any]:
    """`rounds` × (sign in, read every period); seconds of each request, statuses that were not 200."""
    logins: list[float] = []
    reads: dict[str, list[float]] = {period: [] for period in PERIODS}
    errors: list[str] = []
    token = None
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        logins.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors.append(f"login {response.status_code}")
            continue
        token = response.json()["access_token"]
        for period in PERIODS:
            started = time.perf_counter()
            board = client.get(f"/api/v1/leaderboards/{period}", headers={"Authorization": f"Bearer {token}"})
            reads[period].append(time.perf_counter() - started)
            if board.status_code != 200 or not board.json().get("entries"):
                errors.append(f"{period} {board.status_code}")
    every = logins + [s for samples in reads.values() for s in samples]
    return {
        "sign_in_s": {"max": round(max(logins), 3), "median": round(statistics.median(logins), 3)},
        "boards_s": {period: {"max": round(max(s), 3), "median": round(statistics.median(s), 3)}
                     for period, s in reads.items() if s},
        "slowest_s": round(max(every), 3), "errors": errors,
        "all_under_target": not errors and max(every) < TARGET_S,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """The drill (module docstring); 4 rounds per phase (3 with `quick`): one member per phase and at most 12
    sign-ins a minute from this client, inside the sign-in limits (5 per account and 20 per IP per minute)."""
    rounds = 3 if quick else 4
    load_before = os.getloadavg()
    every_row = read_daily(load_settings().fitbit_data_dir)
    dataset_ids = sorted({row.id for row in every_row})[:3]  # one member per phase: the 5/min per-account limit
    with running_redis(WORK / "redis") as rds:
        overrides = {"ENV": "prod", "REDIS_URL": rds.url, "TERRA_SIGNING_SECRET": SECRET, "HUEY_EMBEDDED": "false",
                     "STORAGE_SECRET": "bench-redis-outage-storage-secret", "PUBLIC_BASE_URL": "http://127.0.0.1",
                     "TRUSTED_HOSTS": "127.0.0.1,localhost"}
        with running_app(WORK / "app", env_overrides=overrides) as app, running_worker(app), \
                child_system(app) as system:
            yesterday = platform_day(utcnow()) - timedelta(days=1)
            members: list[tuple[str, str, uuid.UUID]] = []  # (email, terra user id, user id)
            sent = 0
            with httpx.Client(base_url=app.base_url, timeout=30) as client:
                for dataset_id in dataset_ids:
                    rows = [row for row in every_row if row.id == dataset_id]
                    email = f"outage-{uuid.uuid4().hex[:8]}@bench.fittrack.test"
                    terra_user = f"terra-outage-{uuid.uuid4().hex[:8]}"
                    with system.uow() as uow:
                        user = create_member(uow, email=email, password_hash=system.passwords.hash(PASSWORD),
                                             display_name=f"Outage Drill {dataset_id[-4:]}",
                                             date_of_birth=date(1988, 5, 1), state_code="NY", biological_sex="F",
                                             fitness_level="INT")
                        connect_tracker(uow, user_id=user.id, provider="FITBIT", terra_user_id=terra_user)
                    members.append((email, terra_user, user.id))
                    shift = yesterday - max(row.activity_date for row in rows)
                    for row in rows:
                        day = row.activity_date + shift
                        body = dumps(daily_payload(terra_user, "outage", replace(row, activity_date=day)))
                        client.post("/webhooks/terra", content=body, headers=_signed(body, str(uuid.uuid4()), day))
                        sent += 1
                _wait_processed(system, sent)

                up = _phase(client, members[0][0], rounds)
                rds.kill()
                killed = _phase(client, members[1][0], rounds)
                rds.start()
                rds.freeze()
                try:
                    frozen = _phase(client, members[2][0], rounds)
                finally:
                    rds.thaw()

                # Redis back: a new webhook's live message arrives on Redis pub/sub
                listener = redis.Redis.from_url(rds.url).pubsub(ignore_subscribe_messages=True)
                listener.subscribe("fittrack:points")
                time.sleep(load_settings().redis_circuit_reset_seconds + 0.5)  # the circuits' reset time
                day = yesterday
                _email, terra_user, user_id = members[0]
                last = max((row for row in every_row if row.id == dataset_ids[0]), key=lambda row: row.activity_date)
                bumped = replace(last, activity_date=day, total_steps=last.total_steps + 2_000)
                body = dumps(daily_payload(terra_user, "outage-back", bumped))
                started = time.perf_counter()
                client.post("/webhooks/terra", content=body, headers=_signed(body, str(uuid.uuid4()), day))
                resumed_s: float | None = None
                while time.perf_counter() - started < 30:
                    message = listener.get_message(timeout=1.0)
                    if message and str(user_id) in message["data"].decode():
                        resumed_s = time.perf_counter() - started
                        break
                listener.close()
    return {
        "rounds": rounds, "deliveries": sent, "target_s": TARGET_S,
        "redis_up": up, "redis_killed": killed, "redis_frozen": frozen,
        "live_resumed_after_restart_s": round(resumed_s, 3) if resumed_s is not None else None,
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def markdown(result: dict[str, Any]) -> str:
    """The summary table for BENCH.md."""
    lines = ["# Redis outage drill (issue 13 §3)", "",
             f"Production topology (ENV=prod, separate worker, private redis-server), {result['rounds']} rounds per "
             f"phase; load {result['load_before']} → {result['load_after']}.", "",
             "| phase | sign-in max / median (s) | slowest board read (s) | errors | every request < 1 s |",
             "| --- | --- | --- | --- | --- |"]
    for key, label in (("redis_up", "Redis up"), ("redis_killed", "Redis killed"), ("redis_frozen", "Redis frozen")):
        phase = result[key]
        slowest_board = max((b["max"] for b in phase["boards_s"].values()), default=None)
        lines.append(f"| {label} | {phase['sign_in_s']['max']} / {phase['sign_in_s']['median']} | {slowest_board} | "
                     f"{len(phase['errors'])} | {'yes' if phase['all_under_target'] else 'NO'} |")
    resumed = result["live_resumed_after_restart_s"]
    shown = f"{resumed:.2f} s" if resumed is not None else "NOT received"
    lines += ["", "Before (issue 13): login and leaderboards answered 500 with Redis down; a frozen Redis added 5 s. "
              f"Live update after Redis returned: {shown}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(json.dumps(result, indent=2))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
