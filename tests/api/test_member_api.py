"""The member read API on a real database (SQLite file and the local PostgreSQL server): `GET /api/v1/points/balance`,
`GET /api/v1/points/transactions` (pagination), `GET /api/v1/activities` (date filters, pagination, primary
connection wins) and `GET /api/v1/activities/summary`."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from domain.accounts.members import connect_tracker
from domain.models import User
from domain.points.rules import DAILY_CAP
from domain.shared.calendar import platform_day
from domain.shared.types import utcnow
from tests.support.api import bearer
from tests.support.db import read_session, write_session
from tests.support.members import member, send_daily


def test_balance_reports_today_against_the_cap(client: TestClient) -> None:
    today = platform_day(utcnow())
    runner = member()
    send_daily(runner.terra_user_id, today - timedelta(days=1), steps=4_000)
    send_daily(runner.terra_user_id, today, steps=15_000, vigorous_seconds=40 * 60)
    response = client.get("/api/v1/points/balance", headers=bearer(runner.user_id))
    assert response.status_code == 200
    body = response.json()
    with read_session() as session:
        user = session.get(User, runner.user_id)
    # today: 150 step points + 100 goal + 80 vigorous + streak 5 (yesterday did not qualify)
    assert body == {"balance": user.point_balance, "points_earned": user.points_earned,
                    "earned_today": 335, "cap_remaining_today": DAILY_CAP - 335}
    assert body["balance"] == 40 + 335


def test_balance_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/points/balance")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_transactions_are_paginated_newest_first(client: TestClient) -> None:
    runner = member()
    start = date(2016, 4, 12)
    for offset in range(5):
        send_daily(runner.terra_user_id, start + timedelta(days=offset), steps=1_000 * (offset + 1))
    headers = bearer(runner.user_id)

    first = client.get("/api/v1/points/transactions?page=1&limit=2", headers=headers).json()
    assert first["pagination"] == {"page": 1, "limit": 2, "total": 5, "pages": 3}
    assert [item["platform_day"] for item in first["items"]] == ["2016-04-16", "2016-04-15"]
    entry = first["items"][0]
    assert entry["type"] == "earn" and entry["amount"] == 55  # 50 for 5,000 steps + streak day 1 (5)
    assert entry["balance_after"] == entry["balance_before"] + entry["amount"]
    assert entry["created_at"].endswith("Z")
    assert set(entry) == {"id", "type", "amount", "balance_before", "balance_after", "reference_type",
                          "reference_id", "description", "platform_day", "created_at"}

    last = client.get("/api/v1/points/transactions?page=3&limit=2", headers=headers).json()
    assert [item["platform_day"] for item in last["items"]] == ["2016-04-12"]
    assert last["items"][0]["balance_before"] == 0

    bad = client.get("/api/v1/points/transactions?limit=500", headers=headers)
    assert bad.status_code in {400, 422}
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_activities_filter_paginate_and_summarise(client: TestClient) -> None:
    walker = member()
    start = date(2016, 4, 12)
    for offset in range(10):
        send_daily(walker.terra_user_id, start + timedelta(days=offset), steps=2_000 + 1_000 * offset,
                   moderate_seconds=600 * offset, calories=2000.0, distance_meters=1500.0)
    headers = bearer(walker.user_id)

    page = client.get("/api/v1/activities?start=2016-04-14&end=2016-04-19&page=2&limit=4", headers=headers).json()
    assert page["pagination"] == {"page": 2, "limit": 4, "total": 6, "pages": 2}
    assert [item["date"] for item in page["items"]] == ["2016-04-15", "2016-04-14"]
    day = page["items"][0]
    assert day["steps"] == 5_000 and day["active_minutes"] == 30 and day["calories"] == 2000.0
    assert day["distance_km"] == 1.5 and day["manual"] is False and day["workouts"] == 0
    assert day["points"] > 0

    summary = client.get("/api/v1/activities/summary?start=2016-04-14&end=2016-04-19", headers=headers).json()
    steps = [2_000 + 1_000 * i for i in range(2, 8)]
    assert summary["days_with_data"] == 6
    assert summary["total_steps"] == sum(steps)
    assert summary["average_steps"] == round(sum(steps) / 6)
    assert summary["total_active_minutes"] == sum(10 * i for i in range(2, 8))
    assert summary["qualifying_days"] == 5  # 5,000+ steps from Apr 15 (Apr 14 has 4,000 steps and 20 minutes)
    all_points = client.get("/api/v1/activities?start=2016-04-14&end=2016-04-19&limit=100", headers=headers).json()
    assert summary["total_points"] == sum(item["points"] for item in all_points["items"])
    assert summary["start"] == "2016-04-14" and summary["end"] == "2016-04-19"

    unbounded = client.get("/api/v1/activities", headers=headers).json()
    assert unbounded["pagination"]["total"] == 10

    wrong = client.get("/api/v1/activities?start=2016-04-19&end=2016-04-14", headers=headers)
    assert wrong.status_code == 400
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_primary_connection_wins_for_a_day(client: TestClient) -> None:
    walker = member(provider="FITBIT")
    with write_session() as session:
        watch = connect_tracker(session, user_id=walker.user_id, provider="GARMIN", terra_user_id="garmin-walker",
                                is_primary=False)
        watch_terra = watch.terra_user_id
    day = date(2016, 4, 20)
    send_daily(watch_terra, day, steps=9_999, provider="GARMIN")
    send_daily(walker.terra_user_id, day, steps=6_000)
    items = client.get("/api/v1/activities", headers=bearer(walker.user_id)).json()["items"]
    assert [(item["date"], item["steps"]) for item in items] == [("2016-04-20", 6_000)]
