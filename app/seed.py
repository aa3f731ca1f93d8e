"""Demo seed (`python -m app.seed`; issue 2 deliverable 5, PRODUCT.md §9 "Synthetic demo data").

In `ENV=dev` and `ENV=test` it creates, if missing:
- `admin@demo.fittrack.test` / `demo-admin-pass` (role admin);
- `member@demo.fittrack.test` / `demo-member-pass` (role user, tier F-30-39-INT, opted into OPEN, 30 days of
  synthetic activity);
- a synthetic population of `POPULATION` members (password `demo-seed-pass`, emails `…@seed.fittrack.test`) over
  several tiers (including F-30-39-INT) and OPEN-only members, with mixed leaderboard privacy, each with a tracker
  connection and 30 days of activity ending today (platform days, America/New_York).

Activity goes through the real path: Terra `daily` payloads (`app.fitbit_dataset.daily_payload`, same shape as the
replay) applied with `domain.ingest.apply_event`, which credits points through the ledger. Deterministic (Faker and
`random` seeded with `SEED`) and idempotent: existing members are skipped. In `ENV=prod` it refuses and creates
nothing. Each distinct password is hashed once (Argon2id at 64 MiB is slow).
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from faker import Faker
from sqlalchemy.engine import Engine

from app.db import get_engine, write_session
from app.fitbit_dataset import DailyRow, daily_payload, local_midnight
from app.settings import Settings, get_settings
from domain.calendar import platform_day
from domain.enums import LeaderboardPrivacy, Role, UserStatus
from domain.ingest import apply_event
from domain.members import connect_tracker, create_member, get_member_by_email
from domain.types import utcnow

SEED = 20160412
POPULATION = 40
DAYS = 30
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@demo.fittrack.test", "demo-admin-pass"
MEMBER_EMAIL, MEMBER_PASSWORD = "member@demo.fittrack.test", "demo-member-pass"
POPULATION_PASSWORD = "demo-seed-pass"
POPULATION_DOMAIN = "seed.fittrack.test"
STATES = ("CA", "TX", "WA", "IL", "PA", "OH", "GA", "NC", "MI", "CO", "AZ", "MA", "VA", "NJ", "OR", "MN")
PROVIDERS = ("FITBIT", "GARMIN", "OURA", "POLAR")
BRACKET_AGES = {"18-29": (19, 29), "30-39": (30, 39), "40-49": (40, 49), "50-59": (50, 59), "60+": (60, 74)}
# (sex or None for OPEN-only, age bracket, fitness level, how many members)
POPULATION_TIERS: tuple[tuple[str | None, str, str, int], ...] = (
    ("F", "30-39", "INT", 8), ("F", "30-39", "ADV", 4), ("M", "30-39", "INT", 4), ("M", "18-29", "ADV", 4),
    ("F", "40-49", "BEG", 4), ("M", "50-59", "INT", 4), ("F", "18-29", "ADV", 4), ("M", "60+", "BEG", 4),
    (None, "30-39", "INT", 4),
)
STEP_BASE = {"BEG": 5_000, "INT": 8_500, "ADV": 12_500}
VIGOROUS_MAX = {"BEG": 10, "INT": 25, "ADV": 50}
MODERATE_MAX = {"BEG": 20, "INT": 35, "ADV": 45}


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
    provider: str = "FITBIT"
    activity: bool = True


@dataclass
class SeedResult:
    refused: bool = False
    created: list[str] = field(default_factory=list)
    skipped: int = 0
    payloads_applied: int = 0
    points_credited: int = 0
    seconds: float = 0.0


def _birthday(today: date, age: int, rng: random.Random) -> date:
    """A date of birth giving exactly `age` on `today` (birthday 1–300 days ago)."""
    try:
        anniversary = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - age, day=28)
    return anniversary - timedelta(days=rng.randint(1, 300))


def member_specs(today: date, population: int = POPULATION) -> list[MemberSpec]:
    """The demo accounts and the synthetic population, deterministic for a given `today` (Faker/random seeded)."""
    fake = Faker("en_US")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    specs = [
        MemberSpec(ADMIN_EMAIL, ADMIN_PASSWORD, "Demo Admin", _birthday(today, 41, rng), "CA", None, "BEG",
                   role=Role.admin.value, activity=False),
        MemberSpec(MEMBER_EMAIL, MEMBER_PASSWORD, "Demo Member", _birthday(today, 34, rng), "CO", "F", "INT",
                   open_tier_opt_in=True),
    ]
    slots = [(sex, bracket, level) for sex, bracket, level, count in POPULATION_TIERS for _ in range(count)]
    privacy = [LeaderboardPrivacy.visible.value] * 7 + [LeaderboardPrivacy.initials.value] * 2 + [
        LeaderboardPrivacy.hidden.value]
    for i in range(population):
        sex, bracket, level = slots[i % len(slots)]
        first = fake.first_name_female() if sex == "F" else fake.first_name_male() if sex == "M" else fake.first_name()
        last = fake.last_name()
        local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        lo, hi = BRACKET_AGES[bracket]
        specs.append(MemberSpec(
            email=f"{local}.{i + 1:02d}@{POPULATION_DOMAIN}", password=POPULATION_PASSWORD,
            display_name=f"{first} {last}", date_of_birth=_birthday(today, rng.randint(lo, hi), rng),
            state_code=rng.choice(STATES), biological_sex=sex, fitness_level=level,
            open_tier_opt_in=sex is None or rng.random() < 0.5, leaderboard_privacy=rng.choice(privacy),
            provider=rng.choice(PROVIDERS),
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


def seed_terra_user_id(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fittrack-seed:{email}"))


def seed(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    population: int = POPULATION,
    out: Callable[[str], None] = print,
) -> SeedResult:
    """Create the demo accounts and synthetic population if missing (see module docstring). Returns what it did.

    Refuses (returns `refused=True`, writes nothing) when `settings.env` is prod."""
    settings = settings or get_settings()
    result = SeedResult()
    if not settings.demo_accounts_enabled:
        result.refused = True
        out("seed: ENV=prod — refusing to create demo accounts; nothing written")
        return result
    from app.security.passwords import hash_password

    engine = engine or get_engine()
    started = time.monotonic()
    now = clock()
    today = platform_day(now)
    hashes: dict[str, str] = {}
    for spec in member_specs(today, population):
        with write_session(engine) as session:
            if get_member_by_email(session, spec.email) is not None:
                result.skipped += 1
                continue
            if spec.password not in hashes:
                hashes[spec.password] = hash_password(spec.password)
            user = create_member(
                session, email=spec.email, password_hash=hashes[spec.password], display_name=spec.display_name,
                date_of_birth=spec.date_of_birth, state_code=spec.state_code, biological_sex=spec.biological_sex,
                fitness_level=spec.fitness_level, role=spec.role, status=UserStatus.active.value,
                open_tier_opt_in=spec.open_tier_opt_in, leaderboard_privacy=spec.leaderboard_privacy, clock=clock,
            )
            if spec.activity:
                terra_id = seed_terra_user_id(spec.email)
                connect_tracker(session, user_id=user.id, provider=spec.provider, terra_user_id=terra_id, clock=clock)
                for row in synthetic_days(spec, today, now):
                    end = local_midnight(row.activity_date + timedelta(days=1))
                    emitted = min(end, now)
                    payload = daily_payload(terra_id, str(user.id), row, emitted_at=emitted, provider=spec.provider)
                    outcome = apply_event(session, payload, ordering_ts=int(emitted.timestamp() * 1000), clock=clock)
                    result.payloads_applied += 1
                    result.points_credited += sum(change.credited for change in outcome.points_changes)
            result.created.append(spec.email)
    result.seconds = round(time.monotonic() - started, 2)
    out(f"seed: {len(result.created)} members created, {result.skipped} already present, "
        f"{result.payloads_applied} daily payloads applied, {result.points_credited} points credited "
        f"({result.seconds} s)")
    return result


def main() -> int:
    seed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
