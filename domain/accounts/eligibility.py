"""Who may take part (PRODUCT.md §3): US states, excluded states and the minimum age per state.

The one place for these lists: registration, profile state-change requests and sweepstakes eligibility import them.
"""

from __future__ import annotations

from datetime import date

from domain.accounts.tiers import age_on

# The 50 states plus DC (two-letter USPS codes). Territories and non-US addresses are not eligible.
US_STATES: frozenset[str] = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
        "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
        "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)
# States where the sweepstakes may not run (PRODUCT.md §3: "a configurable list in one place").
EXCLUDED_STATES: frozenset[str] = frozenset({"NY", "FL", "RI"})
ELIGIBLE_STATES: frozenset[str] = US_STATES - EXCLUDED_STATES

DEFAULT_MINIMUM_AGE = 18
_STATE_MINIMUM_AGE: dict[str, int] = {"AL": 19, "NE": 19, "MS": 21}


def normalize_state(state: str) -> str:
    """`" tx "` → `"TX"` (no validation)."""
    return state.strip().upper()


def minimum_age(state: str) -> int:
    """Minimum age in whole years for a member living in `state` (18; AL and NE 19; MS 21)."""
    return _STATE_MINIMUM_AGE.get(normalize_state(state), DEFAULT_MINIMUM_AGE)


def state_problem(state: str) -> str | None:
    """Why `state` is not eligible (a sentence for the member), or None when it is eligible."""
    code = normalize_state(state)
    if code not in US_STATES:
        return "Enter a US state as its two-letter code (e.g. TX). FitTrack is open to US residents only."
    if code in EXCLUDED_STATES:
        return f"Sorry, FitTrack sweepstakes are not available to residents of {code}."
    return None


def is_old_enough(date_of_birth: date, state: str, on: date) -> bool:
    """True when a member born on `date_of_birth` is at least `minimum_age(state)` on day `on`.

    Ages increase on the birthday; a Feb 29 birthday counts on Mar 1 in non-leap years
    (domain.accounts.tiers.age_on)."""
    return age_on(date_of_birth, on) >= minimum_age(state)
