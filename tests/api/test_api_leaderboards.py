"""`GET /api/v1/leaderboards/...` (issue 2 §13, PRODUCT.md §5) on SQLite and PostgreSQL: shape, default tier,
privacy, RFC 7807 errors, archives, and the same answer from Redis (a System with `REDIS_URL`) as from the database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import redis
from fastapi.testclient import TestClient

from app.adapters.leaderboard_store import RedisBoardStore
from app.system import System
from domain.competition.leaderboards import archive_ended_periods
from domain.shared.types import utcnow
from tests.support.api import PROBLEM, bearer
from tests.support.db import read_session, write_session
from tests.support.leaderboards import TIER, at, earn, make_member

TUE = date(2016, 4, 12)


def auth(user_id: uuid.UUID) -> dict[str, str]:
    return bearer(user_id, "user")


def seed() -> dict[str, uuid.UUID]:
    with write_session() as s:
        ids = {
            "me": make_member(s, "Mia Viewer", privacy="hidden"),
            "top": make_member(s, "Tom Top"),
            "shy": make_member(s, "Sally Shy", privacy="hidden"),
            "ini": make_member(s, "Ivan Ilyich", privacy="initials", open_opt_in=True),
            "open": make_member(s, "Olga Open", tier=None),
            "old": make_member(s, "Gramps", tier="F-60+-ADV"),
        }
        earn(s, ids["top"], TUE, 300, at(1))
        earn(s, ids["shy"], TUE, 200, at(2))
        earn(s, ids["me"], TUE, 100, at(3))
        earn(s, ids["ini"], TUE, 100, at(4))
        earn(s, ids["open"], TUE, 50, at(5))
        for n in range(30):
            make_member(s, f"Filler {n:02d}")
    return ids


def test_board_for_the_viewer(client: TestClient) -> None:
    ids = seed()
    r = client.get("/api/v1/leaderboards/weekly", params={"date": "2016-04-12"}, headers=auth(ids["me"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["board"] == TIER and body["period"] == "weekly"
    assert (body["period_start"], body["period_end"]) == ("2016-04-11", "2016-04-17")
    assert body["total_members"] == 34 and len(body["entries"]) == 34
    top4 = [(e["rank"], e["display_name"], e["points"], e["user_id"]) for e in body["entries"][:4]]
    assert top4 == [(1, "Tom Top", 300, str(ids["top"])), (2, "Hidden member", 200, None),
                    (3, "Mia Viewer", 100, str(ids["me"])), (4, "I. I.", 100, str(ids["ini"]))]
    assert body["me"] == {"rank": 3, "user_id": str(ids["me"]), "display_name": "Mia Viewer", "points": 100,
                          "active_days": 1, "is_viewer": True}
    assert [e["rank"] for e in body["around_me"]] == list(range(1, 14))

    small = client.get("/api/v1/leaderboards/alltime", params={"limit": 2}, headers=auth(ids["me"])).json()
    assert [e["rank"] for e in small["entries"]] == [1, 2] and small["period_start"] is None
    assert small["me"]["rank"] == 3

    opened = client.get("/api/v1/leaderboards/daily", params={"tier": "OPEN", "date": "2016-04-12"},
                        headers=auth(ids["me"])).json()
    assert opened["board"] == "OPEN" and opened["me"] is None and opened["around_me"] == []
    assert [e["display_name"] for e in opened["entries"]] == ["I. I.", "Olga Open"]

    # A member without a tier sees OPEN by default; "+" sent unencoded still names the 60+ tier.
    mine = client.get("/api/v1/leaderboards/monthly", params={"date": "2016-04-30"},
                      headers=auth(ids["open"])).json()
    assert mine["board"] == "OPEN" and mine["me"]["rank"] == 2
    raw = client.get("/api/v1/leaderboards/daily?tier=F-60+-ADV", headers=auth(ids["me"]))
    assert raw.status_code == 200 and raw.json()["board"] == "F-60+-ADV" and raw.json()["total_members"] == 1


def test_errors_are_problem_details(client: TestClient) -> None:
    ids = seed()
    h = auth(ids["me"])
    cases: list[tuple[str, dict[str, str | int], int]] = [
        ("/api/v1/leaderboards/yearly", {}, 422),
        ("/api/v1/leaderboards/daily", {"tier": "M-30-39"}, 400),
        ("/api/v1/leaderboards/daily", {"tier": "open"}, 400),
        ("/api/v1/leaderboards/daily", {"limit": 0}, 422),
        ("/api/v1/leaderboards/daily", {"limit": 101}, 422),
        ("/api/v1/leaderboards/daily", {"date": "2016-13-01"}, 422),
        ("/api/v1/leaderboards/archives", {"tier": "NOPE"}, 400),
        ("/api/v1/leaderboards/archives/M-30-39-INT/weekly/2016-04-11", {}, 404),
    ]
    for path, params, status in cases:
        r = client.get(path, params=params, headers=h)
        assert r.status_code == status, (path, params, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
    r = client.get("/api/v1/leaderboards/daily")
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)


def test_archives_browse(client: TestClient) -> None:
    ids = seed()
    # TIER+OPEN daily 04-12 and weekly 04-11
    assert archive_ended_periods(read_session, write_session, date(2016, 4, 20), utcnow) == 4
    h = auth(ids["me"])
    listing = client.get("/api/v1/leaderboards/archives", params={"tier": TIER, "limit": 1, "page": 2},
                         headers=h).json()
    assert listing["pagination"] == {"page": 2, "limit": 1, "total": 2, "pages": 2}
    assert listing["items"][0]["tier"] == TIER and listing["items"][0]["period"] in {"daily", "weekly"}
    detail = client.get(f"/api/v1/leaderboards/archives/{TIER}/weekly/2016-04-11", headers=h).json()
    assert detail["period_end"] == "2016-04-17"
    assert [(s["rank"], s["display_name"], s["user_id"]) for s in detail["standings"][:3]] == [
        (1, "Tom Top", str(ids["top"])), (2, "Hidden member", None), (3, "Hidden member", str(ids["me"]))]


def test_redis_serves_the_same_json(client: TestClient, db_system: System, redis_url: str,
                                    system_factory: Callable[..., System]) -> None:
    ids = seed()
    queries: list[tuple[str, dict[str, str | int]]] = [
        ("weekly", {"date": "2016-04-12"}), ("alltime", {"limit": 3}),
        ("daily", {"tier": "OPEN", "date": "2016-04-12"}),
    ]
    assert db_system.boards is None
    from_db = [client.get(f"/api/v1/leaderboards/{p}", params=q, headers=auth(ids["ini"])).json()
               for p, q in queries]
    with_redis = system_factory(redis_url=redis_url, database_url=db_system.settings.database_url)
    assert isinstance(with_redis.boards, RedisBoardStore)
    client.app.state.system = with_redis  # type: ignore[attr-defined]  # the same database, boards from Redis
    from_redis = [client.get(f"/api/v1/leaderboards/{p}", params=q, headers=auth(ids["ini"])).json()
                  for p, q in queries]
    rds = redis.Redis.from_url(redis_url)
    try:
        assert rds.dbsize() > 0  # the boards were built in Redis and served from there
    finally:
        rds.close()
    assert from_redis == from_db
