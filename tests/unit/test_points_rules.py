"""The rate table (PRODUCT.md §4) as worked examples for the pure rules in `domain.points.rules`."""

from __future__ import annotations

import pytest

from domain.points.rules import (
    DAILY_CAP,
    DayActivity,
    active_minute_points,
    day_award,
    is_qualifying,
    plausibility_problems,
    step_points,
    streak_bonus,
)

MIN = 60


@pytest.mark.parametrize(
    ("steps", "points"),
    [(0, 0), (99, 0), (100, 1), (199, 1), (1_000, 10), (9_999, 99), (10_000, 100), (19_999, 199), (20_000, 200),
     (20_099, 200), (35_000, 200), (-5, 0)],
)
def test_steps_one_point_per_full_hundred_up_to_20000(steps: int, points: int) -> None:
    assert step_points(steps) == points


@pytest.mark.parametrize(("steps", "bonus"), [(9_999, 0), (10_000, 100), (10_001, 100), (20_000, 100),
                                              (45_000, 100)])
def test_step_goal_bonus_once_at_10000(steps: int, bonus: int) -> None:
    award = day_award(DayActivity(steps=steps), streak_length=0)
    assert award.step_goal == bonus


@pytest.mark.parametrize(
    ("vigorous", "moderate", "light", "points"),
    [
        (10 * MIN, 0, 0, 20),  # vigorous 2/min
        (0, 10 * MIN, 0, 10),  # moderate 1/min
        (0, 0, 10 * MIN, 1),  # light 1 per full 10 min
        (0, 0, 9 * MIN + 59, 0),
        (0, 0, 29 * MIN, 2),
        (59, 59, 0, 0),  # only full minutes count
        (61, 119, 0, 2 + 1),
        (30 * MIN, 45 * MIN, 95 * MIN, 60 + 45 + 9),
        (-60, -60, -600, 0),
    ],
)
def test_active_minutes(vigorous: int, moderate: int, light: int, points: int) -> None:
    assert active_minute_points(vigorous, moderate, light) == points


@pytest.mark.parametrize(("workouts", "bonus"), [(0, 0), (1, 50), (2, 100), (3, 150), (4, 150), (10, 150)])
def test_workout_bonus_50_each_at_most_three(workouts: int, bonus: int) -> None:
    assert day_award(DayActivity(workouts=workouts), streak_length=0).workouts == bonus


@pytest.mark.parametrize(("streak", "bonus"), [(0, 0), (1, 5), (2, 10), (9, 45), (10, 50), (11, 50), (400, 50)])
def test_streak_bonus_5_per_day_up_to_10(streak: int, bonus: int) -> None:
    assert streak_bonus(streak) == bonus


@pytest.mark.parametrize(
    ("day", "qualifying"),
    [
        (DayActivity(), False),
        (DayActivity(steps=4_999), False),
        (DayActivity(steps=5_000), True),
        (DayActivity(moderate_seconds=29 * MIN + 59), False),
        (DayActivity(moderate_seconds=30 * MIN), True),
        (DayActivity(vigorous_seconds=30 * MIN), True),
        (DayActivity(vigorous_seconds=15 * MIN, moderate_seconds=15 * MIN), True),
        (DayActivity(vigorous_seconds=15 * MIN, moderate_seconds=14 * MIN + 59), False),
        (DayActivity(light_seconds=600 * MIN), False),  # light minutes do not qualify a day
        (DayActivity(workouts=3), False),
    ],
)
def test_qualifying_day(day: DayActivity, qualifying: bool) -> None:
    assert is_qualifying(day) is qualifying


def test_streak_bonus_only_on_a_qualifying_day() -> None:
    assert day_award(DayActivity(steps=4_999), streak_length=7).streak == 0
    assert day_award(DayActivity(steps=5_000), streak_length=7).streak == 35
    assert day_award(DayActivity(moderate_seconds=30 * MIN), streak_length=12).streak == 50


def test_a_full_day_by_source() -> None:
    day = DayActivity(steps=12_345, vigorous_seconds=20 * MIN, moderate_seconds=25 * MIN, light_seconds=65 * MIN,
                      workouts=2)
    award = day_award(day, streak_length=4)
    assert award.as_dict() == {
        "steps": 123, "step_goal": 100, "active_minutes": 40 + 25 + 6, "workouts": 100, "streak": 20,
        "uncapped": 123 + 100 + 71 + 100 + 20, "total": 414, "forfeited": 0,
    }


def test_daily_cap_forfeits_the_excess() -> None:
    day = DayActivity(steps=25_000, vigorous_seconds=300 * MIN, moderate_seconds=60 * MIN, light_seconds=120 * MIN,
                      workouts=5)
    award = day_award(day, streak_length=30)
    assert award.uncapped == 200 + 100 + 600 + 60 + 12 + 150 + 50
    assert award.total == DAILY_CAP == 1000
    assert award.forfeited == award.uncapped - 1000


def test_exactly_at_the_cap_forfeits_nothing() -> None:
    # 200 steps + 100 goal + 2×350 vigorous = 1000
    award = day_award(DayActivity(steps=20_000, vigorous_seconds=350 * MIN), streak_length=0)
    assert (award.uncapped, award.total, award.forfeited) == (1000, 1000, 0)


def test_empty_day_earns_nothing() -> None:
    assert day_award(DayActivity(), streak_length=0).total == 0


@pytest.mark.parametrize(
    ("kwargs", "count"),
    [
        ({"steps": 60_000, "active_seconds": 16 * 3600}, 0),
        ({"steps": 60_001, "active_seconds": 0}, 1),
        ({"steps": 0, "active_seconds": 16 * 3600 + 1}, 1),
        ({"steps": 0, "active_seconds": 0, "activity_cadences": [250.0, 120.0]}, 0),
        ({"steps": 0, "active_seconds": 0, "activity_cadences": [250.5]}, 1),
        ({"steps": 70_000, "active_seconds": 17 * 3600, "activity_cadences": [300.0, 260.0]}, 4),
    ],
)
def test_plausibility_limits(kwargs: dict, count: int) -> None:
    assert len(plausibility_problems(**kwargs)) == count
