"""The points rate table as pure functions (PRODUCT.md §4). No I/O: `domain.points.engine` feeds them stored data.

All amounts are integer points per member per platform day. Inputs are seconds as Terra sends them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

DAILY_CAP = 1000
STEP_POINTS_PER = 100  # 1 point per full 100 steps
STEP_CEILING = 20_000  # steps above this earn nothing
STEP_GOAL = 10_000
STEP_GOAL_BONUS = 100
VIGOROUS_PER_MIN = 2
MODERATE_PER_MIN = 1
LIGHT_MINUTES_PER_POINT = 10
WORKOUT_MIN_SECONDS = 20 * 60
WORKOUT_BONUS = 50
WORKOUTS_PER_DAY = 3
STREAK_BONUS_PER_DAY = 5
STREAK_BONUS_MAX_DAYS = 10
QUALIFYING_STEPS = 5_000
QUALIFYING_ACTIVE_MINUTES = 30

# Plausibility (PRODUCT.md §4 "Source trust"): data beyond these is held for review instead of credited.
MAX_PLAUSIBLE_STEPS = 60_000
MAX_PLAUSIBLE_CADENCE = 250  # steps per minute over one activity
MAX_PLAUSIBLE_ACTIVE_SECONDS = 16 * 3600


@dataclass(frozen=True)
class DayActivity:
    """What one platform day's data says, after source selection. Manual data is passed as zero by the caller."""

    steps: int = 0
    vigorous_seconds: int = 0
    moderate_seconds: int = 0
    light_seconds: int = 0
    workouts: int = 0  # distinct sessions of at least 20 minutes (cross-device duplicates already merged)


@dataclass(frozen=True)
class DayAward:
    """The points a day deserves, by source. `total` is capped at DAILY_CAP; `forfeited` is the excess."""

    steps: int
    step_goal: int
    active_minutes: int
    workouts: int
    streak: int
    uncapped: int
    total: int
    forfeited: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def is_qualifying(day: DayActivity) -> bool:
    """A qualifying day has ≥ 5,000 steps or ≥ 30 moderate+vigorous minutes (PRODUCT.md §4)."""
    active_minutes = (day.moderate_seconds + day.vigorous_seconds) // 60
    return day.steps >= QUALIFYING_STEPS or active_minutes >= QUALIFYING_ACTIVE_MINUTES


def step_points(steps: int) -> int:
    return min(max(steps, 0), STEP_CEILING) // STEP_POINTS_PER


def active_minute_points(vigorous_seconds: int, moderate_seconds: int, light_seconds: int) -> int:
    """Vigorous 2/min, moderate 1/min, light 1 per full 10 min; minutes are full minutes of the given seconds."""
    return (
        VIGOROUS_PER_MIN * (max(vigorous_seconds, 0) // 60)
        + MODERATE_PER_MIN * (max(moderate_seconds, 0) // 60)
        + (max(light_seconds, 0) // 60) // LIGHT_MINUTES_PER_POINT
    )


def streak_bonus(streak_length: int) -> int:
    """5 × min(streak, 10) on a qualifying day; `streak_length` counts this day (0 when it does not qualify)."""
    return STREAK_BONUS_PER_DAY * min(max(streak_length, 0), STREAK_BONUS_MAX_DAYS)


def day_award(day: DayActivity, streak_length: int) -> DayAward:
    """Points deserved by one platform day, per the rate table, capped at 1,000 (the excess is forfeited)."""
    parts = {
        "steps": step_points(day.steps),
        "step_goal": STEP_GOAL_BONUS if day.steps >= STEP_GOAL else 0,
        "active_minutes": active_minute_points(day.vigorous_seconds, day.moderate_seconds, day.light_seconds),
        "workouts": WORKOUT_BONUS * min(max(day.workouts, 0), WORKOUTS_PER_DAY),
        "streak": streak_bonus(streak_length) if is_qualifying(day) else 0,
    }
    uncapped = sum(parts.values())
    total = min(uncapped, DAILY_CAP)
    return DayAward(**parts, uncapped=uncapped, total=total, forfeited=uncapped - total)


def plausibility_problems(
    *, steps: int, active_seconds: int, activity_cadences: list[float] | None = None
) -> list[str]:
    """Reasons a day's data is implausible (empty when plausible): > 60,000 steps, > 16 active hours, or an activity
    with a cadence above 250 steps/min."""
    problems = []
    if steps > MAX_PLAUSIBLE_STEPS:
        problems.append(f"{steps} steps in a day (more than {MAX_PLAUSIBLE_STEPS})")
    if active_seconds > MAX_PLAUSIBLE_ACTIVE_SECONDS:
        problems.append(f"{active_seconds / 3600:.1f} active hours (more than 16)")
    for cadence in activity_cadences or []:
        if cadence > MAX_PLAUSIBLE_CADENCE:
            problems.append(f"activity cadence {cadence:.0f} steps/min (more than {MAX_PLAUSIBLE_CADENCE})")
    return problems
