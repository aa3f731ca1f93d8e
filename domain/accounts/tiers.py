"""Tier codes (PRODUCT.md §3): `{sex}-{age_bracket}-{fitness_level}`, 30 tiers plus `OPEN`.

Computed from the profile only (never from client input). Members who do not state their sex compete in `OPEN`
only; anyone may opt into `OPEN` in addition to their own tier.
"""

from __future__ import annotations

from datetime import date

OPEN_TIER = "OPEN"
SEXES = ("M", "F")
AGE_BRACKETS = ("18-29", "30-39", "40-49", "50-59", "60+")
FITNESS_LEVELS = ("BEG", "INT", "ADV")
ALL_TIERS: tuple[str, ...] = tuple(f"{s}-{b}-{lv}" for s in SEXES for b in AGE_BRACKETS for lv in FITNESS_LEVELS)
BOARD_CODES: tuple[str, ...] = (*ALL_TIERS, OPEN_TIER)


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years on day `on`."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def age_bracket(age: int) -> str | None:
    """The bracket for an age in years, or None under 18."""
    if age < 18:
        return None
    if age >= 60:
        return "60+"
    return AGE_BRACKETS[max(age - 20, 0) // 10]


def tier_code(biological_sex: str | None, date_of_birth: date, fitness_level: str, on: date) -> str | None:
    """The member's tier on day `on` (e.g. `M-30-39-INT`), or None when sex is not stated or age is under 18.

    Raises ValueError for an unknown sex or fitness level."""
    if biological_sex is None:
        return None
    if biological_sex not in SEXES:
        raise ValueError(f"unknown biological sex {biological_sex!r}")
    if fitness_level not in FITNESS_LEVELS:
        raise ValueError(f"unknown fitness level {fitness_level!r}")
    bracket = age_bracket(age_on(date_of_birth, on))
    return None if bracket is None else f"{biological_sex}-{bracket}-{fitness_level}"


def boards_for(tier: str | None, open_tier_opt_in: bool) -> list[str]:
    """The leaderboards a member appears on: their tier (if any) and OPEN (if opted in or without a tier)."""
    boards = [tier] if tier else []
    if open_tier_opt_in or not tier:
        boards.append(OPEN_TIER)
    return boards
