"""The real-data replay end to end (issue 2 deliverables 14 and 15): the real app runs as a subprocess, the replay
sends every signed Terra `daily` webhook over HTTP, and each of the 33 members' `points_earned` (read through the
admin API) must equal an independent calculation of PRODUCT.md §4 from the CSV written here — this file does not
import `domain.points.rules`. Sending every payload again must change no balance.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.cli.devserver import AppProcess, child_system, running_app
from app.settings import ROOT
from app.system import System

DATA_DIR = ROOT.parent / "shared" / "data" / "fitbit" / "fitabase_4.12.16-5.12.16"
SECRET = "replay-test-signing-secret"
ADMIN_EMAIL, ADMIN_PASSWORD = "replay-admin@example.test", "replay-admin-password"


# --- PRODUCT.md §4, re-implemented independently from the CSV ----------------------------------------------------

def expected_points_from_csv(path: Path) -> dict[str, int]:
    """Points earned per Fitbit Id: steps 1/100 up to 20,000; +100 at ≥ 10,000 steps; vigorous 2/min, moderate
    1/min, light 1 per full 10 min; streak bonus 5 × min(streak, 10) on qualifying days (≥ 5,000 steps or ≥ 30
    moderate+vigorous minutes; streak = consecutive qualifying calendar days ending that day); capped at 1,000 a
    day; implausible days (> 60,000 steps or > 16 active hours) are held, not credited. No workouts in this data."""
    days: dict[str, dict[date, dict[str, int]]] = defaultdict(dict)
    with open(path, newline="") as fh:
        for rec in csv.DictReader(fh):
            day = datetime.strptime(rec["ActivityDate"], "%m/%d/%Y").date()
            days[rec["Id"]][day] = {k: int(rec[k]) for k in (
                "TotalSteps", "VeryActiveMinutes", "FairlyActiveMinutes", "LightlyActiveMinutes")}
    totals: dict[str, int] = {}
    for member, by_day in days.items():
        def qualifies(d: date, by_day: dict[date, dict[str, int]] = by_day) -> bool:
            r = by_day.get(d)
            return r is not None and (
                r["TotalSteps"] >= 5000 or r["VeryActiveMinutes"] + r["FairlyActiveMinutes"] >= 30)

        earned = 0
        for day, r in by_day.items():
            steps, vig, mod, light = (r["TotalSteps"], r["VeryActiveMinutes"], r["FairlyActiveMinutes"],
                                      r["LightlyActiveMinutes"])
            if steps > 60_000 or vig + mod + light > 16 * 60:
                continue  # held for review
            points = min(steps, 20_000) // 100 + (100 if steps >= 10_000 else 0) + 2 * vig + mod + light // 10
            if qualifies(day):
                streak = 0
                while qualifies(day - timedelta(days=streak)):
                    streak += 1
                points += 5 * min(streak, 10)
            earned += min(points, 1000)
        totals[member] = earned
    return totals


def test_independent_calculation_on_a_hand_checked_day(tmp_path: Path) -> None:
    """1503960366 on 2016-04-12: 13,162 steps → 131 + 100 goal; 25 vig ×2 + 13 mod + 328 light//10 = 95;
    first qualifying day → streak 1 → +5. Total 331; the next day adds streak 2."""
    csv_path = tmp_path / "d.csv"
    csv_path.write_text(
        "Id,ActivityDate,TotalSteps,VeryActiveMinutes,FairlyActiveMinutes,LightlyActiveMinutes\n"
        "1,4/12/2016,13162,25,13,328\n1,4/13/2016,4000,20,10,0\n1,4/15/2016,70000,0,0,0\n2,4/12/2016,30000,200,300,600\n")
    assert expected_points_from_csv(csv_path) == {"1": 331 + (40 + 40 + 10 + 10), "2": 0}


# --- the app as a subprocess -------------------------------------------------------------------------------------

@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[tuple[AppProcess, System]]:
    """The real app (`python app/main.py`, its embedded consumer included) on a fresh, migrated SQLite database,
    and a System in this process on the app's settings (its database, signing secret)."""
    overrides = {"TERRA_SIGNING_SECRET": SECRET, "PASSWORD_HASH_FAST": "1", "LOG_LEVEL": "WARNING"}
    with running_app(tmp_path, env_overrides=overrides) as app, child_system(app) as system:
        yield app, system


def _admin_token(system: System, base: str) -> str:
    from domain.accounts.members import create_member

    with system.uow() as session:
        create_member(session, email=ADMIN_EMAIL, password_hash=system.passwords.hash(ADMIN_PASSWORD),
                      display_name="Admin", date_of_birth=date(1980, 1, 1), state_code="CA", biological_sex=None,
                      fitness_level="BEG", role="admin")
    resp = httpx.post(f"{base}/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def _standings(base: str, token: str, ids: list[str]) -> dict[str, tuple[int, int]]:
    """(points_earned, point_balance) per Fitbit Id, read through `GET /api/v1/admin/users?q=<email>`."""
    out = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for fid in ids:
            email = f"fitbit-{fid}@replay.fittrack.test"
            resp = client.get("/api/v1/admin/users", params={"q": email})
            assert resp.status_code == 200, resp.text
            [item] = [i for i in resp.json()["items"] if i["email"] == email]
            out[fid] = (item["points_earned"], item["point_balance"])
    return out


def test_replay_matches_the_independent_calculation_and_is_idempotent(live_app: tuple[AppProcess, System],
                                                                      tmp_path: Path) -> None:
    from app.cli.replay import run_replay

    app, system = live_app
    assert system.settings.terra_signing_secret == SECRET and system.settings.database_url == app.env["DATABASE_URL"]
    base = app.base_url
    expected = expected_points_from_csv(DATA_DIR / "dailyActivity_merged.csv")
    assert len(expected) == 33
    token = _admin_token(system, base)

    marker = tmp_path / "replay.done"
    # one intraday running total per day (after 13:00) keeps the test lean; `make replay` sends three
    first = run_replay(system, base, data_dir=DATA_DIR, concurrency=8, progress=False, process_timeout=300,
                       done_marker=marker, intraday_hours=(13,))
    assert first.ok, first.errors
    assert first.members == 33 and first.member_days == 940
    assert first.payloads_sent == first.accepted > 940  # intraday running totals come before the final ones
    assert marker.exists()

    standings = _standings(base, token, sorted(expected))
    mismatches = {fid: (standings[fid][0], want) for fid, want in expected.items() if standings[fid][0] != want}
    assert mismatches == {}, f"points_earned (app, CSV) differ for {len(mismatches)} members: {mismatches}"
    assert first.points_credited == sum(expected.values())
    assert all(earned == balance for earned, balance in standings.values())

    again = run_replay(system, base, data_dir=DATA_DIR, concurrency=8, progress=False, process_timeout=300,
                       done_marker=None, intraday_hours=(13,))
    assert again.ok, again.errors
    assert again.duplicates == again.payloads_sent == first.payloads_sent
    assert again.points_credited == 0
    assert _standings(base, token, sorted(expected)) == standings
