"""Live push latency: a signed Terra `daily` webhook is POSTed → the live `points` event is published (issue 2:
open leaderboard pages update within 1 second of points landing).

    .venv/bin/python -m bench.live_push_bench [--samples 100] [--members 20] [--gap-max 0.5] [--skip-redis]
                                              [--skip-embedded]

Two topologies, real components only, each on a fresh migrated SQLite file under `var/bench/`:

(a) production (`redis_worker`): the app (`python app/main.py`, `app.cli.devserver.running_app`) with
    `REDIS_URL=redis://127.0.0.1:6379/4` (db 4 flushed first) and a separate
    `huey_consumer app.worker.huey -w 2 -k thread` process (`app.cli.devserver.running_worker`) doing the work. This
    process subscribes to the Redis channel `fittrack:points` (`app.adapters.pubsub.RedisPubSub`) in a background
    thread and timestamps every message on arrival; a sample ends at the first message for the member whose
    `points_earned` exceeds the value before the POST (Redis channels are server-wide, not per database: other
    processes' events for other members are ignored).
(b) embedded default (`embedded`): the app alone, no Redis (SqliteHuey, consumer threads inside the app, in-process
    pub/sub). The event never leaves that process, so a background thread polls the member's `users.points_earned`
    every 10 ms; a sample ends when it changes. The in-process publish follows that commit directly (the same task,
    after one read of the member's boards), so this slightly under-states the publish time.

`--members` members with FITBIT connections are created directly in the child's database, through a System in this
process on the child's settings (`app.cli.devserver.child_system`; `domain.accounts.members.create_member` /
`connect_tracker`). Samples are sent one at a time, round-robin over the
members: each is a new intraday running total (more steps, larger fraction of the day's minutes, later ordering
timestamp) for yesterday's platform day, so the member's points really change every time. Before each sample the bench
idles a random 0..`--gap-max` seconds (seeded) so that the queue consumers are caught at different points of their idle
polling. Then `--idle-samples` more follow, each after `--idle-seconds` of quiet (a sporadic webhook: by then the
embedded SqliteHuey consumer, which polls, has backed off to its longest interval, 1 s; RedisHuey blocks on BRPOP).
Three warm-up samples (another day) are not counted.

Per topology: latency p50/p95/max (ms) of POST → event, the fraction under 1,000 ms, events missed (none within
10 s; counted as over 1 s), and the webhook's HTTP acknowledgement latency. Results: `bench-results/live_push.json`
and `bench-results/live_push.md` (with the machine's details); `bench/__main__.py` adds a section to `BENCH.md`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import random
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import col  # noqa: E402

from app.adapters.pubsub import CHANNEL_PREFIX  # noqa: E402
from app.adapters.terra.signature import sign  # noqa: E402
from app.cli.devserver import AppProcess, child_system, running_app, running_worker  # noqa: E402
from app.cli.fitbit_dataset import DailyRow, daily_payload, dumps, local_midnight  # noqa: E402
from app.messages import TOPIC  # noqa: E402
from app.system import System  # noqa: E402
from bench.leaderboard_bench import machine  # noqa: E402
from domain.shared.calendar import platform_day  # noqa: E402

RESULTS = ROOT / "bench-results"
WORK = ROOT / "var" / "bench"
SECRET = "bench-live-signing-secret"
REDIS_URL = "redis://127.0.0.1:6379/4"  # this benchmark's own Redis database, flushed before use
TARGET_S = 1.0  # issue 2: open pages update within 1 second
EVENT_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.01
WARMUPS = 3
STEPS_PER_SAMPLE = 1_500  # running total grows by this per sample: +15 step points each time


# ------------------------------------------------------------------------------------------------ watchers
class RedisWatcher:
    """Subscribes to `fittrack:points` in a background thread; every message is queued with its arrival time
    (`time.perf_counter()`)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub()
        self._pubsub.subscribe(CHANNEL_PREFIX + TOPIC)
        deadline = time.monotonic() + 10
        while True:  # wait for the subscription confirmation: nothing published from here on is missed
            message = self._pubsub.get_message(timeout=1.0)
            if message is not None and message.get("type") == "subscribe":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no confirmation of the subscription to {CHANNEL_PREFIX + TOPIC} within 10 s")
        self._messages: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._user, self._baseline = "", 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-bench-redis", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message and message.get("type") == "message":
                arrived = time.perf_counter()
                self._messages.put((arrived, json.loads(message["data"])))

    def arm(self, user_id: uuid.UUID, baseline: int) -> None:
        self._user, self._baseline = str(user_id), baseline
        with contextlib.suppress(queue.Empty):
            while True:  # drop anything left from earlier samples
                self._messages.get_nowait()

    def wait(self, timeout: float) -> float | None:
        """Arrival time of the first event for the armed member with more points than the baseline, or None."""
        deadline = time.perf_counter() + timeout
        while (remaining := deadline - time.perf_counter()) > 0:
            try:
                arrived, payload = self._messages.get(timeout=remaining)
            except queue.Empty:
                return None
            if payload.get("user_id") == self._user and int(payload.get("points_earned") or 0) > self._baseline:
                return arrived
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pubsub.close()
        self._client.close()


class LedgerWatcher:
    """Polls the armed member's `users.points_earned` every 10 ms in a background thread; records the time
    (`time.perf_counter()`) of the first poll that sees it differ from the baseline."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._armed = threading.Event()
        self._seen = threading.Event()
        self._stop = threading.Event()
        self._target: tuple[uuid.UUID, int] | None = None
        self._seen_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="live-bench-ledger", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from domain.models import User

        with self._engine.connect() as conn:
            while not self._stop.is_set():
                if not self._armed.wait(timeout=0.2) or self._target is None:
                    continue
                user_id, baseline = self._target
                value = conn.execute(sa.select(col(User.points_earned)).where(col(User.id) == user_id)).scalar_one()
                conn.rollback()  # end the read transaction so the next poll sees new commits
                if value != baseline:
                    self._seen_at = time.perf_counter()
                    self._armed.clear()
                    self._seen.set()
                    continue
                time.sleep(POLL_INTERVAL_S)

    def arm(self, user_id: uuid.UUID, baseline: int) -> None:
        self._seen.clear()
        self._seen_at = None
        self._target = (user_id, baseline)
        self._armed.set()

    def wait(self, timeout: float) -> float | None:
        seen = self._seen.wait(timeout)
        self._armed.clear()
        return self._seen_at if seen else None

    def close(self) -> None:
        self._stop.set()
        self._armed.set()
        self._thread.join(timeout=5)


# ------------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    terra_user_id: str


def _create_members(system: System, count: int) -> list[Member]:
    """`count` members with FITBIT connections, directly in the child's database (`system` on its settings)."""
    from domain.accounts.members import connect_tracker, create_member

    members = []
    with system.uow() as session:
        for i in range(count):
            user = create_member(
                session, email=f"live-{i:03d}@bench.fittrack.test", password_hash="!bench-no-login",
                display_name=f"Live {i}", date_of_birth=date(1990, 1, 1 + i % 28), state_code="CA",
                biological_sex="M" if i % 2 else "F", fitness_level="INT",
            )
            terra_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-live:{i}"))
            connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id=terra_id)
            members.append(Member(user.id, terra_id))
    return members


def _points_earned(system: System, user_id: uuid.UUID) -> int:
    from domain.models import User

    with system.db.engine.connect() as conn:
        return int(conn.execute(sa.select(col(User.points_earned)).where(col(User.id) == user_id)).scalar_one())


def _request(member: Member, day: date, update: int, updates: int) -> tuple[bytes, dict[str, str]]:
    """Body and headers (unsigned) of running total `update` (0-based, of `updates`) for `member` on `day`."""
    final_steps = STEPS_PER_SAMPLE * updates
    row = DailyRow(id=member.terra_user_id, activity_date=day, total_steps=final_steps,
                   total_distance_km=final_steps * 0.00075, very_active_minutes=20, fairly_active_minutes=30,
                   lightly_active_minutes=180, sedentary_minutes=700, calories=2200)
    fraction = (update + 1) / updates
    start = local_midnight(day)
    emitted = start + timedelta(hours=1 + 22 * fraction)
    body = dumps(daily_payload(member.terra_user_id, f"live-{member.terra_user_id[:8]}", row,
                               steps=STEPS_PER_SAMPLE * (update + 1), fraction=fraction, emitted_at=emitted))
    headers = {"Content-Type": "application/json", "X-Terra-Trace-Id": str(uuid.uuid4()),
               "X-Terra-Ordering-Timestamp": str(int(emitted.timestamp() * 1000))}
    return body, headers


def stats(samples: Sequence[float | None]) -> dict[str, Any]:
    """p50/p95/max/mean in ms over the observed samples (nearest rank), the fraction of all samples under 1 s
    (a missed event counts as over) and the number missed."""
    seen = sorted(s for s in samples if s is not None)
    if not seen:
        return {"samples": len(samples), "missed": len(samples), "under_1s_fraction": 0.0}

    def pick(q: float) -> float:
        return seen[min(len(seen) - 1, max(0, round(q * (len(seen) - 1))))]

    return {"samples": len(samples), "missed": len(samples) - len(seen),
            "p50_ms": round(pick(0.50) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "max_ms": round(seen[-1] * 1000, 1), "min_ms": round(seen[0] * 1000, 1),
            "mean_ms": round(sum(seen) / len(seen) * 1000, 1),
            "under_1s_fraction": round(sum(s < TARGET_S for s in seen) / len(samples), 4)}


def run_samples(app: AppProcess, system: System, watcher: RedisWatcher | LedgerWatcher, members: list[Member],
                samples: int, gap_max: float, idle_samples: int = 0, idle_s: float = 0.0,
                seed: int = 11) -> dict[str, Any]:
    """Send `samples` running totals one at a time, each after a random 0..`gap_max` s pause (after `WARMUPS`
    uncounted ones), then `idle_samples` more, each after `idle_s` seconds of idling. Returns the statistics of the
    first group, with those of the second under `after_idle`."""
    rng = random.Random(seed)
    secret = app.env["TERRA_SIGNING_SECRET"]
    day = platform_day(datetime.now(UTC)) - timedelta(days=1)
    total = samples + idle_samples
    updates = -(-total // len(members))
    plan = [(members[i % len(members)], day, i // len(members), updates, rng.uniform(0, gap_max))
            for i in range(total)]
    for i in range(samples, total):
        plan[i] = (*plan[i][:4], idle_s)
    warmups = [(members[i % len(members)], day - timedelta(days=1), i, WARMUPS, 0.2) for i in range(WARMUPS)]
    latencies: list[float | None] = []
    acks: list[float] = []
    non_200 = 0
    with httpx.Client(base_url=app.base_url, timeout=30) as client:
        for n, (member, sample_day, update, updates_that_day, pause) in enumerate(warmups + plan):
            time.sleep(pause)
            body, headers = _request(member, sample_day, update, updates_that_day)
            headers["X-Terra-Signature"] = sign(secret, body)
            watcher.arm(member.user_id, _points_earned(system, member.user_id))
            started = time.perf_counter()
            response = client.post("/webhooks/terra", content=body, headers=headers)
            acked = time.perf_counter()
            seen_at = watcher.wait(EVENT_TIMEOUT_S)
            if n < WARMUPS:
                continue
            non_200 += response.status_code != 200
            acks.append(acked - started)
            latencies.append(None if seen_at is None else seen_at - started)
    ack = stats(acks[:samples])
    result = {**stats(latencies[:samples]),
              "webhook_ack": {k: ack[k] for k in ("p50_ms", "p95_ms", "max_ms") if k in ack},
              "non_200": non_200, "platform_day": day.isoformat(), "running_totals_per_member": updates}
    if idle_samples:
        result["after_idle"] = {**stats(latencies[samples:]), "idle_seconds": idle_s,
                                "latencies_ms": [None if s is None else round(s * 1000, 1)
                                                 for s in latencies[samples:]]}
    return result


@contextlib.contextmanager
def _app(name: str, overrides: dict[str, str]) -> Iterator[tuple[AppProcess, System]]:
    """The app on a fresh database, and a System in this process on its settings."""
    workdir = WORK / name
    shutil.rmtree(workdir, ignore_errors=True)
    env = {"ENV": "dev", "TERRA_SIGNING_SECRET": SECRET, **overrides}
    with running_app(workdir, env_overrides=env) as app, child_system(app) as system:
        yield app, system


def bench_redis_worker(samples: int, members: int, gap_max: float, idle_samples: int = 0, idle_s: float = 0.0,
                       redis_url: str = REDIS_URL) -> dict[str, Any]:
    """(a) The app with Redis and a separate huey_consumer; events observed on the Redis channel."""
    redis.Redis.from_url(redis_url).flushdb()
    with _app("live-redis", {"REDIS_URL": redis_url}) as (app, system), running_worker(app) as worker_log:
        people = _create_members(system, members)
        watcher = RedisWatcher(redis_url)
        try:
            result = run_samples(app, system, watcher, people, samples, gap_max, idle_samples, idle_s)
        finally:
            watcher.close()
    worker_text = worker_log.read_text(errors="replace")
    result["worker_processed"] = "process_webhook_delivery" in worker_text
    result["tracebacks"] = ("Traceback" in app.log()) + ("Traceback" in worker_text)
    return result


def bench_embedded(samples: int, members: int, gap_max: float, idle_samples: int = 0,
                   idle_s: float = 0.0) -> dict[str, Any]:
    """(b) The app alone (SqliteHuey, embedded consumer, in-process pub/sub); credited points observed in SQLite."""
    with _app("live-embedded", {}) as (app, system):
        people = _create_members(system, members)
        watcher = LedgerWatcher(system.db.engine)
        try:
            result = run_samples(app, system, watcher, people, samples, gap_max, idle_samples, idle_s)
        finally:
            watcher.close()
    result["tracebacks"] = int("Traceback" in app.log())
    return result


# ------------------------------------------------------------------------------------------------ report
TOPOLOGY_LABELS: dict[str, str] = {
    "redis_worker": "production: app + Redis + separate huey_consumer; event on Redis `fittrack:points`",
    "embedded": "embedded default: one app process, SqliteHuey, in-process pub/sub; points visible in SQLite",
}


def table(result: dict[str, Any]) -> list[str]:
    """Markdown table rows (header included) of the per-topology figures; shared with `bench/__main__.py`."""
    lines = ["| topology | samples | p50 ms | p95 ms | max ms | under 1 s | missed | webhook ack p50 / p95 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, r in result.get("topologies", {}).items():
        ack = r.get("webhook_ack", {})
        label = TOPOLOGY_LABELS.get(name, name)
        lines.append(f"| {label} | {r['samples']} | {r.get('p50_ms')} | {r.get('p95_ms')} | "
                     f"{r.get('max_ms')} | {r['under_1s_fraction'] * 100:.1f} % | {r['missed']} | "
                     f"{ack.get('p50_ms')} / {ack.get('p95_ms')} |")
        idle = r.get("after_idle")
        if idle:
            lines.append(f"| {name}, each after {idle['idle_seconds']} s idle | {idle['samples']} | "
                         f"{idle.get('p50_ms')} | {idle.get('p95_ms')} | {idle.get('max_ms')} | "
                         f"{idle['under_1s_fraction'] * 100:.1f} % | {idle['missed']} | |")
    return lines


def topology_markdown(result: dict[str, Any]) -> str:
    """The report of `main` (webhook → published event per topology)."""
    m = result["machine"]
    lines = [
        "# Live push latency (signed Terra `daily` POSTed → live `points` event published)", "",
        f"{result['samples']} samples per topology, sent one at a time after a random 0–{result['gap_max_s']} s idle "
        f"gap, round-robin over {result['members']} members (each sample a new intraday running total, so points "
        f"change every time); then {result['idle_samples']} more per topology, each after {result['idle_seconds']} s "
        f"of quiet. Target: under {int(TARGET_S * 1000):,} ms (issue 2). Run at {result['ran_at']} "
        f"(total {result['wall_seconds']} s).", "",
        *table(result), "",
        "In the embedded topology the event is in-process, so the end point is the credited points appearing in "
        "`users.points_earned` (polled every 10 ms); the in-process publish follows that commit directly.", "",
        "Machine:", "", f"- `{m['uname']}`", f"- CPUs: {m['cpu_count']} ({m['cpu_model']})",
        f"- Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}", f"- {m['redis_server']}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.live_push_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=100, help="samples per topology")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--gap-max", type=float, default=0.5, help="max idle seconds before each sample")
    parser.add_argument("--idle-samples", type=int, default=3, help="extra samples, each after a long idle")
    parser.add_argument("--idle-seconds", type=float, default=7.0, help="idle time before each --idle-samples one")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--skip-redis", action="store_true")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result: dict[str, Any] = {"samples": args.samples, "members": args.members, "gap_max_s": args.gap_max,
                              "idle_samples": args.idle_samples, "idle_seconds": args.idle_seconds,
                              "target_ms": int(TARGET_S * 1000),
                              "ran_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                              "topologies": {}}
    runs: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    if not args.skip_redis:
        runs.append(("redis_worker",
                     lambda: bench_redis_worker(args.samples, args.members, args.gap_max, args.idle_samples,
                                                args.idle_seconds, args.redis_url)))
    if not args.skip_embedded:
        runs.append(("embedded", lambda: bench_embedded(args.samples, args.members, args.gap_max, args.idle_samples,
                                                        args.idle_seconds)))
    for name, run in runs:
        result["topologies"][name] = run()
        print(f"{name}: {json.dumps(result['topologies'][name])}", flush=True)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "live_push.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "live_push.md").write_text(topology_markdown(result))
    print(topology_markdown(result))
    return result


# ------------------------------------------------------------------------------------------------ issue 12 runner
def run(quick: bool = False) -> dict[str, Any]:
    """`make bench` entry (issue 12 §2, §7, §8): the browser fan-out bench (`bench.live_fanout`: N open leaderboard
    pages in chromium — quick 10/25/50, full up to 1,000 as the machine holds — push → DOM change p50/p95, app CPU
    per push per page, RSS slope per page, cold first meaningful content), with `os.getloadavg()` before and after.
    The webhook → published-event latency per topology stays available as `python -m bench.live_push_bench`."""
    from bench import live_fanout

    return live_fanout.run(quick)


def markdown(result: dict[str, Any]) -> str:
    """The summary table of `run`: each figure beside its issue-12 target and the before figure (plus the topology
    table when `result` is a `main` result)."""
    from bench import live_fanout

    if "topologies" in result:
        return topology_markdown(result)
    return live_fanout.markdown(result)


if __name__ == "__main__":
    main()
