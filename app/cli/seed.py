"""Full demo seed (`python -m app.cli.seed`, `make db-seed`; PRODUCT.md §9 "Synthetic demo data", issue 3 item 3).

In `ENV=dev` and `ENV=test` it creates, if missing:
- the demo accounts `admin@demo.fittrack.test` / `demo-admin-pass` (role admin) and `member@demo.fittrack.test` /
  `demo-member-pass` (role user, tier F-30-39-INT, opted into OPEN, two trackers, 30 days of activity);
- 3 admins, 15 premium and 50 regular members in all (the demo accounts count among them; others use password
  `demo-seed-pass`, or `demo-admin-pass` for admins, emails `…@seed.fittrack.test`). Every one of the 30 tier codes has
  at least one member with activity, and OPEN-only members (sex not stated) fill the 31st board;
- 60 tracker connections: 54 members with a primary tracker, 6 of them with a second one; 11 members have none;
- 30 days of Terra `daily` payloads per connected member (primary tracker) and 500+ workout sessions as Terra
  `activity` payloads over the last 30 days, a few reported by both trackers (cross-device duplicates);
- the sweepstakes demo (`app.cli.seed_sweepstakes`): 5 sponsors, 15 drawings in every status and type, 20 prizes,
  200+ tickets bought with points or claimed free, 10 fulfillments in every status.

Activity goes through the real path: payloads applied with `domain.tracking.ingest.apply_event`, which credits points
through the ledger (1,000+ `earn` entries), one unit of work per member (`system.uow()`: after each commit the
effects run as for a webhook — the Redis boards when configured, live `points` messages); ticket purchases are ledger
`spend` entries. Past drawings send no emails (`app.cli.seed_sweepstakes`, "No emails for the past").
Deterministic (Faker and `random` seeded with `SEED`; for a given platform day the same members, activity, points and
tickets — only database ids differ between fresh databases) and idempotent: existing members are skipped, the
sweepstakes demo is written once.
In `ENV=prod` it refuses and creates nothing. Each distinct password is hashed once (Argon2id at 64 MiB is slow).
Shows a progress bar and a summary table when run from a terminal.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from faker import Faker
from sqlmodel import Session, col, select

from app.cli.fitbit_dataset import DailyRow, daily_payload, local_midnight
from app.cli.seed_sweepstakes import SeedEntrant, seed_sweepstakes
from app.settings import load_settings
from app.system import System, build_system
from domain.accounts import tiers
from domain.accounts.members import connect_tracker, create_member, get_member_by_email
from domain.models import (
    Activity,
    DailySummary,
    Drawing,
    PointTransaction,
    Prize,
    PrizeFulfillment,
    Profile,
    Sponsor,
    Ticket,
    TrackerConnection,
    User,
)
from domain.shared.calendar import platform_day
from domain.shared.enums import LeaderboardPrivacy, Role, UserStatus
from domain.shared.uow import UnitOfWork
from domain.tracking.ingest import apply_event

SEED = 20160412
DAYS = 30
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@demo.fittrack.test", "demo-admin-pass"
MEMBER_EMAIL, MEMBER_PASSWORD = "member@demo.fittrack.test", "demo-member-pass"
POPULATION_PASSWORD = "demo-seed-pass"
POPULATION_DOMAIN = "seed.fittrack.test"
ADMINS, PREMIUM, REGULAR = 3, 15, 50  # PRODUCT.md §9 (the demo accounts count among these)
OPEN_ONLY = 5  # members who do not state their sex (OPEN board only)
EXTRA_CONNECTED = 19  # members beyond the 35 board-covering ones who connect a tracker (54 in all)
SECOND_TRACKERS = 6  # connected members with a second tracker (incl. the demo member) → 60 connections
STATES = ("CA", "TX", "WA", "IL", "PA", "OH", "GA", "NC", "MI", "CO", "AZ", "MA", "VA", "NJ", "OR", "MN")
PROVIDERS = ("FITBIT", "GARMIN", "OURA", "POLAR")
BRACKET_AGES = {"18-29": (19, 29), "30-39": (30, 39), "40-49": (40, 49), "50-59": (50, 59), "60+": (60, 74)}
# Extra members beyond one per tier, weighted towards the popular tiers: (sex or None, bracket, level, how many).
EXTRA_TIERS: tuple[tuple[str | None, str, str, int], ...] = (
    ("F", "30-39", "INT", 6), ("F", "30-39", "ADV", 3), ("M", "30-39", "INT", 4), ("M", "18-29", "ADV", 3),
    ("F", "40-49", "BEG", 3), ("M", "50-59", "INT", 3), ("F", "18-29", "ADV", 3), ("M", "60+", "BEG", 3),
    (None, "30-39", "INT", 2),
)
STEP_BASE = {"BEG": 5_000, "INT": 8_500, "ADV": 12_500}
VIGOROUS_MAX = {"BEG": 10, "INT": 25, "ADV": 50}
MODERATE_MAX = {"BEG": 20, "INT": 35, "ADV": 45}
WORKOUTS = {"BEG": (7, 9), "INT": (9, 11), "ADV": (11, 13)}  # sessions over the 29 past days (min, max)
WORKOUT_SLOTS = (6, 12, 18)  # local start hours; sessions last at most 75 minutes, so slots never overlap
# Terra ActivityType codes (notes/terra.md) with names and a cadence range in steps/min (None: no steps).
WORKOUT_TYPES: tuple[tuple[int, str, tuple[int, int] | None], ...] = (
    (8, "Morning Run", (150, 172)), (1, "Bike Ride", None), (7, "Brisk Walk", (100, 118)),
    (80, "Strength Training", None), (100, "Yoga", None), (114, "HIIT", None), (35, "Hike", (88, 110)),
    (82, "Swim", None), (25, "Elliptical", None),
)


@dataclass(frozen=True)
class MemberSpec:
    email: str
    password: str
    display_name: str
    date_of_birth: date
    state_code: str
    biological_sex: str | None
    fitness_level: str
    role: str = Role.user.value
    open_tier_opt_in: bool = False
    leaderboard_privacy: str = LeaderboardPrivacy.visible.value
    provider: str | None = "FITBIT"  # primary tracker (None: no tracker, no activity)
    second_provider: str | None = None

    @property
    def activity(self) -> bool:
        return self.provider is not None


@dataclass(frozen=True)
class Workout:
    """One synthetic workout session as a Terra `activity` record (aware UTC times)."""

    summary_id: str
    start: datetime
    duration_seconds: int
    activity_type: int
    name: str
    steps: int | None
    calories: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_seconds)


@dataclass
class SeedResult:
    refused: bool = False
    created: list[str] = field(default_factory=list)
    skipped: int = 0
    payloads_applied: int = 0
    activities_applied: int = 0
    points_credited: int = 0
    sweepstakes_created: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _birthday(today: date, age: int, rng: random.Random) -> date:
    """A date of birth giving exactly `age` on `today` (birthday 1–300 days ago)."""
    try:
        anniversary = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - age, day=28)
    return anniversary - timedelta(days=rng.randint(1, 300))


def _tier_slots(rng: random.Random) -> list[tuple[str | None, str, str]]:
    """(sex, bracket, level) for the 64 members after the demo member: the 29 tiers the demo member does not cover,
    5 OPEN-only members, then 30 extras (popular tiers); the first 35 + EXTRA_CONNECTED get a tracker."""
    covering = [(s, b, lv) for s in tiers.SEXES for b in tiers.AGE_BRACKETS for lv in tiers.FITNESS_LEVELS
                if (s, b, lv) != ("F", "30-39", "INT")]
    open_only = [(None, rng.choice(tiers.AGE_BRACKETS), rng.choice(tiers.FITNESS_LEVELS)) for _ in range(OPEN_ONLY)]
    extras = [(s, b, lv) for s, b, lv, count in EXTRA_TIERS for _ in range(count)]
    rng.shuffle(extras)
    return covering + open_only + extras


def member_specs(today: date) -> list[MemberSpec]:
    """Every seeded account (admins first, then the demo member, then the population), deterministic for a given
    `today` (Faker/random seeded with `SEED`): 3 admins, 15 premium, 50 regular members (PRODUCT.md §9)."""
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    privacy = [LeaderboardPrivacy.visible.value] * 7 + [LeaderboardPrivacy.initials.value] * 2 + [
        LeaderboardPrivacy.hidden.value]

    def email_for(first: str, last: str, tag: str) -> str:
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        return f"{local}.{tag}@{POPULATION_DOMAIN}"

    specs = [MemberSpec(ADMIN_EMAIL, ADMIN_PASSWORD, "Demo Admin", _birthday(today, 41, rng), "CA", None, "BEG",
                        role=Role.admin.value, provider=None)]
    for n in range(2, ADMINS + 1):
        first, last = fake.first_name(), fake.last_name()
        specs.append(MemberSpec(
            email_for(first, last, f"admin{n}"), ADMIN_PASSWORD, f"{first} {last}",
            _birthday(today, rng.randint(28, 55), rng), rng.choice(STATES), None, "BEG", role=Role.admin.value,
            provider=None))
    specs.append(MemberSpec(MEMBER_EMAIL, MEMBER_PASSWORD, "Demo Member", _birthday(today, 34, rng), "CO", "F", "INT",
                            open_tier_opt_in=True, provider="FITBIT", second_provider="GARMIN"))

    slots = _tier_slots(rng)
    connected = len(tiers.ALL_TIERS) - 1 + OPEN_ONLY + EXTRA_CONNECTED
    premium = set(rng.sample(range(len(slots)), PREMIUM))
    second = set(rng.sample(range(connected), SECOND_TRACKERS - 1))
    for i, (sex, bracket, level) in enumerate(slots):
        first = fake.first_name_female() if sex == "F" else fake.first_name_male() if sex == "M" else fake.first_name()
        last = fake.last_name()
        lo, hi = BRACKET_AGES[bracket]
        provider = rng.choice(PROVIDERS)
        secondary = rng.choice([p for p in PROVIDERS if p != provider])
        specs.append(MemberSpec(
            email=email_for(first, last, f"{i + 1:02d}"), password=POPULATION_PASSWORD,
            display_name=f"{first} {last}", date_of_birth=_birthday(today, rng.randint(lo, hi), rng),
            state_code=rng.choice(STATES), biological_sex=sex, fitness_level=level,
            role=Role.premium.value if i in premium else Role.user.value,
            open_tier_opt_in=sex is None or rng.random() < 0.5, leaderboard_privacy=rng.choice(privacy),
            provider=provider if i < connected else None, second_provider=secondary if i in second else None,
        ))
    return specs


def synthetic_days(spec: MemberSpec, today: date, now: datetime) -> list[DailyRow]:
    """30 days of plausible daily totals ending `today` (today's totals scaled to the part of the day elapsed)."""
    rng = random.Random(f"{SEED}:{spec.email}")
    base = STEP_BASE[spec.fitness_level] * (1.15 if spec.email == MEMBER_EMAIL else 1.0)
    elapsed = max(0.05, min(1.0, (now - local_midnight(today)).total_seconds() / 86_400))
    rows = []
    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        scale = elapsed if day == today else 1.0
        steps = int(min(max(rng.gauss(base, base * 0.35), 300), 30_000) * scale)
        vigorous = int(rng.randint(0, VIGOROUS_MAX[spec.fitness_level]) * scale)
        moderate = int(rng.randint(0, MODERATE_MAX[spec.fitness_level]) * scale)
        light = int(rng.randint(90, 300) * scale)
        sedentary = int((1440 - 480 - vigorous - moderate - light) * scale)
        rows.append(DailyRow(
            id=spec.email, activity_date=day, total_steps=steps, total_distance_km=round(steps * 0.00075, 2),
            very_active_minutes=vigorous, fairly_active_minutes=moderate, lightly_active_minutes=light,
            sedentary_minutes=max(sedentary, 0), calories=int((1_600 + steps * 0.045) * scale),
        ))
    return rows


def _summary_id(email: str, provider: str, k: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fittrack-seed:{email}:{provider}:workout:{k}"))


def synthetic_workouts(spec: MemberSpec, today: date) -> tuple[list[Workout], list[Workout]]:
    """Workout sessions on the 29 days before `today`: (primary tracker's, second tracker's). The second tracker
    reports 3 of the primary's sessions again (same type, overlapping, slightly shorter, fewer metrics: cross-device
    duplicates, PRODUCT.md §4) plus one session of its own. At most one session per slot, so none overlap."""
    if spec.provider is None:
        return [], []
    rng = random.Random(f"{SEED}:{spec.email}:workouts")
    lo, hi = WORKOUTS[spec.fitness_level]
    slots = rng.sample([(offset, hour) for offset in range(1, DAYS) for hour in WORKOUT_SLOTS], rng.randint(lo, hi))
    primary = []
    for k, (offset, hour) in enumerate(sorted(slots, key=lambda s: (-s[0], s[1]))):
        code, name, cadence = rng.choice(WORKOUT_TYPES)
        start = local_midnight(today - timedelta(days=offset)) + timedelta(hours=hour, minutes=rng.randint(0, 40))
        minutes = rng.randint(15, 75)
        steps = rng.randint(*cadence) * minutes if cadence else None
        primary.append(Workout(_summary_id(spec.email, spec.provider, k), start, minutes * 60, code, name, steps,
                               minutes * rng.randint(6, 12)))
    secondary: list[Workout] = []
    if spec.second_provider:
        for k, original in enumerate(rng.sample(primary, 3)):
            shift = rng.randint(1, 3)
            secondary.append(Workout(
                _summary_id(spec.email, spec.second_provider, k), original.start + timedelta(minutes=shift),
                max(original.duration_seconds - 60 * (shift + rng.randint(1, 3)), 600), original.activity_type,
                original.name, None, original.calories - 20))
        taken = set(slots)
        offset, hour = rng.choice([(o, h) for o in range(1, DAYS) for h in WORKOUT_SLOTS if (o, h) not in taken])
        start = local_midnight(today - timedelta(days=offset)) + timedelta(hours=hour, minutes=5)
        secondary.append(Workout(_summary_id(spec.email, spec.second_provider, 3), start, 45 * 60, 82, "Pool Swim",
                                 None, 380))
    return primary, secondary


def activity_payload(terra_user_id: str, reference_id: str, workout: Workout, provider: str) -> dict[str, Any]:
    """A Terra `activity` webhook body (shape of Terra's official example) for one workout session."""
    record: dict[str, Any] = {
        "metadata": {
            "name": workout.name, "summary_id": workout.summary_id, "type": workout.activity_type,
            "start_time": workout.start.isoformat(), "end_time": workout.end.isoformat(), "upload_type": 1,
        },
        "active_durations_data": {"activity_seconds": workout.duration_seconds},
        "calories_data": {"total_burned_calories": float(workout.calories)},
    }
    if workout.steps is not None:
        record["distance_data"] = {"summary": {"steps": workout.steps,
                                               "distance_meters": round(workout.steps * 0.8, 1)}}
    emitted = workout.end + timedelta(minutes=7)
    return {
        "type": "activity", "version": "2022-03-16",
        "user": {"user_id": terra_user_id, "provider": provider, "reference_id": reference_id, "active": True,
                 "scopes": "activity,heartrate,profile",
                 "last_webhook_update": emitted.astimezone(UTC).isoformat(timespec="microseconds")},
        "data": [record],
    }


def seed_terra_user_id(email: str, provider: str | None = None) -> str:
    """The Terra user id of a seeded connection (the primary tracker's when `provider` is None)."""
    name = f"fittrack-seed:{email}" if provider is None else f"fittrack-seed:{email}:{provider}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _member_events(spec: MemberSpec, user_id: uuid.UUID, today: date, now: datetime) -> list[tuple[datetime, dict]]:
    """Every payload for one member in the order a live system would receive them: (emitted at, body)."""
    assert spec.provider is not None
    primary_id = seed_terra_user_id(spec.email)
    events: list[tuple[datetime, dict]] = []
    for row in synthetic_days(spec, today, now):
        emitted = min(local_midnight(row.activity_date + timedelta(days=1)), now)
        events.append((emitted, daily_payload(primary_id, str(user_id), row, emitted_at=emitted,
                                              provider=spec.provider)))
    primary, secondary = synthetic_workouts(spec, today)
    for workout in primary:
        events.append((workout.end + timedelta(minutes=7),
                       activity_payload(primary_id, str(user_id), workout, spec.provider)))
    if spec.second_provider:
        second_id = seed_terra_user_id(spec.email, spec.second_provider)
        for workout in secondary:
            events.append((workout.end + timedelta(minutes=19),
                           activity_payload(second_id, str(user_id), workout, spec.second_provider)))
    events.sort(key=lambda item: item[0])
    return events


def _create_member(session: UnitOfWork, spec: MemberSpec, password_hash: str, today: date, now: datetime,
                   clock: Callable[[], datetime], result: SeedResult) -> None:
    user = create_member(
        session, email=spec.email, password_hash=password_hash, display_name=spec.display_name,
        date_of_birth=spec.date_of_birth, state_code=spec.state_code, biological_sex=spec.biological_sex,
        fitness_level=spec.fitness_level, role=spec.role, status=UserStatus.active.value,
        open_tier_opt_in=spec.open_tier_opt_in, leaderboard_privacy=spec.leaderboard_privacy, clock=clock,
    )
    if spec.provider is None:
        return
    connect_tracker(session, user_id=user.id, provider=spec.provider, terra_user_id=seed_terra_user_id(spec.email),
                    is_primary=True, clock=clock)
    if spec.second_provider:
        connect_tracker(session, user_id=user.id, provider=spec.second_provider, is_primary=False, clock=clock,
                        terra_user_id=seed_terra_user_id(spec.email, spec.second_provider))
    for emitted, payload in _member_events(spec, user.id, today, now):
        outcome = apply_event(session, payload, ordering_ts=int(emitted.timestamp() * 1000), clock=clock)
        result.payloads_applied += 1
        result.activities_applied += payload["type"] == "activity"
        result.points_credited += sum(change.credited for change in outcome.points_changes)


def seed_counts(session: Session) -> dict[str, int]:
    """What the database holds, as the summary table shows it (rows per table, plus per role/status breakdowns and
    `boards populated`: how many of the 31 leaderboards have at least one non-admin member; `… statuses`/`… types`:
    how many distinct values occur)."""
    def count(model: Any, *where: Any) -> int:
        return int(session.exec(select(sa.func.count()).select_from(model).where(*where)).one())

    counts = {
        "admins": count(User, User.role == Role.admin.value),
        "premium members": count(User, User.role == Role.premium.value),
        "regular members": count(User, User.role == Role.user.value),
    }
    boards: Counter[str] = Counter()
    for tier_code, opt_in in session.exec(select(Profile.tier_code, Profile.open_tier_opt_in).join(
            User, col(User.id) == col(Profile.user_id)).where(User.role != Role.admin.value)).all():
        boards.update(tiers.boards_for(tier_code, opt_in))
    counts["boards populated"] = sum(1 for code in tiers.BOARD_CODES if boards[code])
    counts["tracker connections"] = count(TrackerConnection)
    counts["daily summaries"] = count(DailySummary)
    counts["activities"] = count(Activity)
    counts["ledger entries"] = count(PointTransaction)
    counts["earn entries"] = count(PointTransaction, PointTransaction.transaction_type == "earn")
    counts["spend entries"] = count(PointTransaction, PointTransaction.transaction_type == "spend")
    counts["sponsors"] = count(Sponsor)
    counts["drawings"] = count(Drawing)
    counts["drawing statuses"] = int(session.exec(select(sa.func.count(sa.distinct(col(Drawing.status))))).one())
    counts["drawing types"] = int(session.exec(select(sa.func.count(sa.distinct(col(Drawing.drawing_type))))).one())
    counts["prizes"] = count(Prize)
    counts["tickets"] = count(Ticket)
    counts["free entries"] = count(Ticket, Ticket.is_free_entry.is_(True))  # type: ignore[attr-defined]
    counts["fulfillments"] = count(PrizeFulfillment)
    counts["fulfillment statuses"] = int(session.exec(
        select(sa.func.count(sa.distinct(col(PrizeFulfillment.status))))).one())
    return counts


def _entrants(session: Session, specs: list[MemberSpec]) -> tuple[list[SeedEntrant], uuid.UUID | None]:
    """The seeded non-admin members present in the database (spec order) and the demo admin's id."""
    entrants: list[SeedEntrant] = []
    admin_id = None
    for spec in specs:
        user = get_member_by_email(session, spec.email)
        if user is None:
            continue
        if spec.email == ADMIN_EMAIL:
            admin_id = user.id
        if spec.role != Role.admin.value:
            entrants.append(SeedEntrant(user.id, spec.email, spec.state_code, spec.display_name, spec.activity))
    return entrants, admin_id


def seed(
    system: System,
    *,
    clock: Callable[[], datetime] | None = None,
    out: Callable[[str], None] = print,
    progress: bool | None = None,
) -> SeedResult:
    """Create the demo accounts, population and sweepstakes demo if missing (see module docstring) in `system`'s
    database; return what it did, with `counts` from the database afterwards. `clock` (default `system.clock`) is
    "now" for the generated data. `progress` (default: when printing to a terminal) shows a rich progress bar and
    summary table; otherwise `out` receives one summary line. Passwords are hashed with `system.passwords`.

    Refuses (returns `refused=True`, writes nothing) when `system.settings.env` is prod."""
    clock = clock or system.clock
    result = SeedResult()
    if not system.settings.demo_accounts_enabled:
        result.refused = True
        out("seed: ENV=prod — refusing to create demo accounts; nothing written")
        return result
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    show = progress if progress is not None else (out is print and console.is_terminal)
    started = time.monotonic()
    now = clock()
    today = platform_day(now)
    specs = member_specs(today)
    hashes: dict[str, str] = {}
    columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show, transient=False) as bar:
        task = bar.add_task("members", total=len(specs))
        for spec in specs:
            with system.uow() as uow:
                if get_member_by_email(uow, spec.email) is not None:
                    result.skipped += 1
                else:
                    if spec.password not in hashes:
                        hashes[spec.password] = system.passwords.hash(spec.password)
                    _create_member(uow, spec, hashes[spec.password], today, now, clock, result)
                    result.created.append(spec.email)
            bar.advance(task)
        sweep = bar.add_task("sweepstakes", total=1)
        with system.read() as session:
            entrants, admin_id = _entrants(session, specs)
        done = seed_sweepstakes(system, entrants=entrants, admin_id=admin_id, now=now, seed=SEED, clock=clock,
                                on_total=lambda n: bar.update(sweep, total=n), advance=lambda: bar.advance(sweep))
        result.sweepstakes_created = done.created
        bar.update(sweep, completed=bar.tasks[sweep].total)
    with system.read() as session:
        result.counts = seed_counts(session)
    result.seconds = round(time.monotonic() - started, 2)
    summary = (f"seed: {len(result.created)} members created, {result.skipped} already present, "
               f"{result.payloads_applied} payloads applied ({result.activities_applied} activities), "
               f"{result.points_credited} points credited, sweepstakes "
               f"{'created' if result.sweepstakes_created else 'already present'} ({result.seconds} s)")
    if out is print:
        from rich.table import Table

        table = Table(title="FitTrack demo data", show_header=True, header_style="bold")
        table.add_column("what")
        table.add_column("count", justify="right")
        for name, value in result.counts.items():
            table.add_row(name, f"{value:,}")
        console.print(table)
    out(summary)
    return result


def main() -> int:
    """`python -m app.cli.seed`: seed the database of the configured settings (`load_settings()`)."""
    system = build_system(load_settings())
    try:
        seed(system)
    finally:
        system.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
