"""Replay of the real Fitbit data through the real webhook path (issue 2, deliverable 14; PRODUCT.md §9).

Run: `python -m app.cli.replay [--base-url http://127.0.0.1:8080] [--data-dir DIR] [--concurrency 8]` against a running
app that uses the same `DATABASE_URL` (this process builds its own `System` from the same settings to create the
members and watch the deliveries; `run_replay(system, ...)` takes one).

1. Members. For each of the 33 users of `dailyActivity_merged.csv` a member `fitbit-<Id>@replay.fittrack.test`,
   password **`replay-member-pass`** (the same for all), status active, created directly in the app's database
   (idempotent), with a FITBIT tracker connection whose Terra user id is `uuid5(NAMESPACE_URL, "fitbit:<Id>")`.
   Synthetic demographics are derived from the Id `n = int(Id)` (deterministic, documented in README):
   - biological sex: `M` if n is odd, else `F`;
   - date of birth: year `1988 + (n // 5) % 6 - 10 * ((n // 7) % 2)` (so ages 30–39 or 40–49 in the mid-2020s),
     month `1 + (n // 11) % 12`, day `1 + (n // 13) % 28`;
   - fitness level: `("BEG", "INT", "INT", "ADV")[(n // 3) % 4]`;
   - state: `REPLAY_STATES[n % 10]` (none of the excluded NY, FL, RI); open-tier opt-in when n % 3 == 0;
   - display name `Fitbit <last 4 digits of Id>`; leaderboard privacy visible.
   This spreads the 33 members over 12 tiers (e.g. 1503960366 → F-30-39-INT).
2. Webhooks. Member-days are sent in date order (concurrency N, each member-day's payloads strictly in sequence):
   for a day with hourly data, first running totals after hours 9, 13 and 18 (hourly steps summed, capped at the
   day's TotalSteps; minutes, distance and calories = floor(final × fraction of the day's hourly steps)), then the
   final totals. Every payload is a signed Terra `daily` body (`app.cli.fitbit_dataset.daily_payload`) POSTed to
   `{base}/webhooks/terra` with `X-Terra-Signature` (t = now), a deterministic `X-Terra-Trace-Id`
   (uuid5 of member, date and sequence) and `X-Terra-Ordering-Timestamp` (unix ms of the end of the hour the total
   covers; the final total at the next midnight), so a second run sends identical ids and the app dedups them.
3. It waits until the app has processed every delivery (no `webhook_deliveries` row of this run still `received`),
   prints a summary (payloads sent, accepted, duplicates, points credited, wall time), writes `var/replay.done`, and
   exits non-zero if any payload was refused or failed. Running it again changes no balance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import select

from app.adapters.terra.signature import sign
from app.cli.fitbit_dataset import DailyRow, daily_payload, dumps, local_midnight, read_daily, read_hourly
from app.settings import VAR, load_settings
from app.system import System, build_system
from domain.accounts.members import connect_tracker, create_member, get_member_by_email
from domain.models import User, WebhookDelivery
from domain.shared.enums import DeliveryStatus, Role, UserStatus

REPLAY_PASSWORD = "replay-member-pass"
REPLAY_EMAIL_DOMAIN = "replay.fittrack.test"
REPLAY_STATES = ("CA", "TX", "WA", "IL", "PA", "OH", "GA", "NC", "CO", "MA")
INTRADAY_HOURS = (9, 13, 18)
DONE_MARKER = VAR / "replay.done"


def replay_email(fitbit_id: str) -> str:
    return f"fitbit-{fitbit_id}@{REPLAY_EMAIL_DOMAIN}"


def terra_user_id(fitbit_id: str) -> str:
    """The Terra user id of a replayed Fitbit user: uuid5(NAMESPACE_URL, "fitbit:<Id>")."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fitbit:{fitbit_id}"))


@dataclass(frozen=True)
class Demographics:
    biological_sex: str
    date_of_birth: date
    fitness_level: str
    state_code: str
    open_tier_opt_in: bool
    display_name: str


def demographics(fitbit_id: str) -> Demographics:
    """The synthetic, deterministic demographics of a replayed member (rule in the module docstring)."""
    n = int(fitbit_id)
    year = 1988 + (n // 5) % 6 - 10 * ((n // 7) % 2)
    return Demographics(
        biological_sex="M" if n % 2 else "F",
        date_of_birth=date(year, 1 + (n // 11) % 12, 1 + (n // 13) % 28),
        fitness_level=("BEG", "INT", "INT", "ADV")[(n // 3) % 4],
        state_code=REPLAY_STATES[n % len(REPLAY_STATES)],
        open_tier_opt_in=n % 3 == 0,
        display_name=f"Fitbit {fitbit_id[-4:]}",
    )


@dataclass(frozen=True)
class Delivery:
    """One webhook to send: raw body plus the deterministic headers."""

    body: bytes
    trace_id: str
    ordering_ts: int
    reference: str


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def day_deliveries(row: DailyRow, hourly: Sequence[tuple[int, int]] | None, reference_id: str,
                   intraday_hours: Sequence[int] = INTRADAY_HOURS) -> list[Delivery]:
    """The payloads for one member-day: intraday running totals (if hourly data exists) then the final totals.

    `reference_id` is the member's FitTrack user id (Terra's `user.reference_id`); `intraday_hours` the hours after
    which a running total is sent. Each payload's steps and minutes are ≥ the previous one's and ≤ the final ones."""
    terra_id = terra_user_id(row.id)
    reference = f"replay:{row.id}:{row.activity_date.isoformat()}"
    midnight = local_midnight(row.activity_date)
    out: list[Delivery] = []

    def add(seq: str, payload: dict, ordering: datetime) -> None:
        trace = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fittrack-replay:{row.id}:{row.activity_date}:{seq}"))
        out.append(Delivery(dumps(payload), trace, _ms(ordering), reference))

    if hourly:
        hour_total = sum(steps for _, steps in hourly)
        for hour in sorted(intraday_hours):
            cumulative = sum(steps for h, steps in hourly if h <= hour)
            fraction = (cumulative / hour_total) if hour_total else 0.0
            at = midnight + timedelta(hours=hour + 1)
            payload = daily_payload(terra_id, reference_id, row, steps=min(cumulative, row.total_steps),
                                    fraction=fraction, emitted_at=at)
            add(f"h{hour:02d}", payload, at)
    end = local_midnight(row.activity_date + timedelta(days=1))
    add("final", daily_payload(terra_id, reference_id, row, emitted_at=end), end)
    return out


def build_plan(rows: Sequence[DailyRow], hourly: dict[tuple[str, date], list[tuple[int, int]]],
               members: dict[str, uuid.UUID], intraday_hours: Sequence[int] = INTRADAY_HOURS) -> list[list[Delivery]]:
    """One delivery sequence per member-day, in (date, Id) order. `members` maps Fitbit Id → user id."""
    ordered = sorted(rows, key=lambda r: (r.activity_date, r.id))
    return [day_deliveries(r, hourly.get((r.id, r.activity_date)), str(members[r.id]), intraday_hours)
            for r in ordered]


def ensure_members(system: System, fitbit_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    """Create the replay members and their FITBIT connections if missing (idempotent), in one unit of work; the
    password is hashed with `system.passwords`. Returns {Id: user id}."""
    out: dict[str, uuid.UUID] = {}
    password_hash: str | None = None
    with system.uow() as session:
        for fid in fitbit_ids:
            user = get_member_by_email(session, replay_email(fid))
            if user is None:
                password_hash = password_hash or system.passwords.hash(REPLAY_PASSWORD)
                demo = demographics(fid)
                user = create_member(
                    session, email=replay_email(fid), password_hash=password_hash, display_name=demo.display_name,
                    date_of_birth=demo.date_of_birth, state_code=demo.state_code,
                    biological_sex=demo.biological_sex, fitness_level=demo.fitness_level, role=Role.user.value,
                    status=UserStatus.active.value, open_tier_opt_in=demo.open_tier_opt_in,
                )
            connect_tracker(session, user_id=user.id, provider="FITBIT", terra_user_id=terra_user_id(fid))
            out[fid] = user.id
    return out


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def delivery_statuses(system: System, trace_ids: Sequence[str]) -> dict[str, int]:
    """Count of stored deliveries per status among `trace_ids`."""
    counts: dict[str, int] = {}
    with system.read() as session:
        for chunk in _chunks(trace_ids):
            rows = session.exec(
                select(WebhookDelivery.status, sa.func.count())
                .where(WebhookDelivery.trace_id.in_(chunk))  # type: ignore[union-attr]
                .group_by(WebhookDelivery.status)
            ).all()
            for status, count in rows:
                counts[status] = counts.get(status, 0) + int(count)
    return counts


def points_earned_total(system: System, user_ids: Sequence[uuid.UUID]) -> int:
    """Σ points_earned (= Σ earn entries) of the given members."""
    with system.read() as session:
        value = session.exec(
            select(sa.func.coalesce(sa.func.sum(User.points_earned), 0)).where(User.id.in_(list(user_ids)))  # type: ignore[attr-defined]
        ).one()
    return int(value)


@dataclass
class ReplaySummary:
    members: int = 0
    member_days: int = 0
    payloads_sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    failed_processing: int = 0
    unprocessed: int = 0
    points_credited: int = 0
    points_earned_total: int = 0
    send_seconds: float = 0.0
    wall_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed_processing and not self.unprocessed and not self.errors

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


async def _send_all(base_url: str, plan: list[list[Delivery]], secret: str, concurrency: int,
                    summary: ReplaySummary, progress: bool) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    queue: asyncio.Queue[list[Delivery]] = asyncio.Queue()
    for seq in plan:
        queue.put_nowait(seq)
    total = sum(len(seq) for seq in plan)
    url = base_url.rstrip("/") + "/webhooks/terra"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    bar = Progress(TextColumn("[bold]replay[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), disable=not progress, transient=False)
    task = bar.add_task("send", total=total, rate="")
    started = time.monotonic()

    async def send(client: httpx.AsyncClient, d: Delivery) -> None:
        headers = {"Content-Type": "application/json", "X-Terra-Trace-Id": d.trace_id,
                   "X-Terra-Ordering-Timestamp": str(d.ordering_ts), "terra-reference": d.reference}
        last = ""
        for attempt in range(5):
            headers["X-Terra-Signature"] = sign(secret, d.body, int(time.time()))
            try:
                resp = await client.post(url, content=d.body, headers=headers)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    summary.accepted += 1
                    if resp.headers.get("content-type", "").startswith("application/json") and \
                            resp.json().get("status") == "duplicate":
                        summary.duplicates += 1
                    return
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code < 500 and resp.status_code != 429:
                    break
            await asyncio.sleep(0.2 * 2**attempt)
        summary.refused += 1
        if len(summary.errors) < 20:
            summary.errors.append(f"{d.trace_id}: {last}")

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            seq = queue.get_nowait()
            for d in seq:
                await send(client, d)
                summary.payloads_sent += 1
                elapsed = time.monotonic() - started
                bar.update(task, advance=1, rate=f"{summary.payloads_sent / elapsed:.0f}/s" if elapsed else "")

    with bar:
        async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0)) as client:
            await asyncio.gather(*(worker(client) for _ in range(max(1, concurrency))))


def wait_processed(system: System, trace_ids: Sequence[str], *, timeout: float, poll: float = 0.5,
                   progress: bool = False) -> dict[str, int]:
    """Poll until none of `trace_ids` is still `received` (or `timeout` seconds pass). Returns the status counts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    deadline = time.monotonic() + timeout
    bar = Progress(TextColumn("[bold]processing[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   disable=not progress)
    task = bar.add_task("process", total=len(trace_ids))
    with bar:
        while True:
            counts = delivery_statuses(system, trace_ids)
            waiting = counts.get(DeliveryStatus.received.value, 0)
            bar.update(task, completed=sum(counts.values()) - waiting)
            if not waiting or time.monotonic() > deadline:
                return counts
            time.sleep(poll)


def run_replay(
    system: System,
    base_url: str = "http://127.0.0.1:8080",
    *,
    data_dir: Path | None = None,
    concurrency: int = 8,
    progress: bool = True,
    process_timeout: float = 600.0,
    done_marker: Path | None = DONE_MARKER,
    intraday_hours: Sequence[int] = INTRADAY_HOURS,
) -> ReplaySummary:
    """Replay the dataset against the app at `base_url` (which must share `system`'s database; payloads are signed
    with `system.settings.terra_signing_secret`). Returns a summary; writes `done_marker` (JSON summary) only when
    everything was accepted and processed. `intraday_hours` chooses the running totals sent before each day's final
    totals (default after hours 9, 13 and 18)."""
    settings = system.settings
    data_dir = Path(data_dir or settings.fitbit_data_dir)
    wall = time.monotonic()
    rows = read_daily(data_dir)
    hourly = read_hourly(data_dir)
    fitbit_ids = sorted({r.id for r in rows})
    members = ensure_members(system, fitbit_ids)
    plan = build_plan(rows, hourly, members, intraday_hours)
    trace_ids = [d.trace_id for seq in plan for d in seq]
    summary = ReplaySummary(members=len(members), member_days=len(plan))
    earned_before = points_earned_total(system, list(members.values()))

    sent = time.monotonic()
    asyncio.run(_send_all(base_url, plan, settings.terra_signing_secret, concurrency, summary, progress))
    summary.send_seconds = round(time.monotonic() - sent, 2)

    counts = wait_processed(system, trace_ids, timeout=process_timeout, progress=progress)
    summary.unprocessed = counts.get(DeliveryStatus.received.value, 0)
    summary.failed_processing = counts.get(DeliveryStatus.failed.value, 0)
    summary.points_earned_total = points_earned_total(system, list(members.values()))
    summary.points_credited = summary.points_earned_total - earned_before
    summary.wall_seconds = round(time.monotonic() - wall, 2)
    if summary.ok and done_marker is not None:
        done_marker.parent.mkdir(parents=True, exist_ok=True)
        done_marker.write_text(json.dumps({**summary.as_dict(), "finished_at": datetime.now().astimezone().isoformat()},
                                          indent=2))
    return summary


def print_summary(summary: ReplaySummary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Fitbit replay (Furberg et al. 2016, Zenodo 10.5281/zenodo.53894)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in [
        ("members", summary.members), ("member-days", summary.member_days),
        ("payloads sent", summary.payloads_sent), ("accepted (HTTP 200)", summary.accepted),
        ("duplicates (acknowledged, not reprocessed)", summary.duplicates), ("refused", summary.refused),
        ("failed in processing", summary.failed_processing), ("still unprocessed", summary.unprocessed),
        ("points credited this run", summary.points_credited),
        ("points earned by replay members", summary.points_earned_total),
        ("send time (s)", summary.send_seconds), ("wall time (s)", summary.wall_seconds),
    ]:
        table.add_row(label, str(value))
    console = Console()
    console.print(table)
    for error in summary.errors:
        console.print(f"[red]error[/] {error}")
    console.print("[green]replay OK[/]" if summary.ok else "[red]replay FAILED[/]")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default=None, help="the running app (default http://127.0.0.1:$APP_PORT)")
    parser.add_argument("--data-dir", type=Path, default=None, help="Fitabase folder (default FITBIT_DATA_DIR)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for processing")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    system = build_system(load_settings())
    try:
        base_url = args.base_url or f"http://127.0.0.1:{system.settings.app_port}"
        summary = run_replay(system, base_url, data_dir=args.data_dir, concurrency=args.concurrency,
                             progress=not args.no_progress, process_timeout=args.timeout)
    finally:
        system.close()
    print_summary(summary)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
