"""Redis sorted-set leaderboards (PRODUCT.md §5) against the database path, on real Redis (this xdist worker's
database) with SQLite and PostgreSQL: identical boards on the same data (ties included), `refresh_member` after new
points (also as the after-commit effect of a System with `REDIS_URL`), `rebuild`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import redis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.adapters import leaderboard_store as store
from app.system import System
from domain.competition.leaderboards import Board, boards_for_user, get_board
from domain.shared.enums import Period
from domain.tracking.ingest import apply_event
from tests.support.builders import add_member, daily_payload
from tests.support.db import read_session, write_session
from tests.support.leaderboards import OTHER_TIER, PROFILES, TIER, USERS, at, earn, make_member, uid

MON = date(2016, 4, 11)
TUE = MON + timedelta(days=1)


def both(db_system: System, rds: redis.Redis, board: str, period: Period, day: date,
         viewer: uuid.UUID | None = None, limit: int = 100) -> tuple[Board, Board]:
    with read_session(db_system) as s:
        db_board = get_board(s, board=board, period=period, day=day, viewer_id=viewer, limit=limit)
        redis_board = get_board(s, board=board, period=period, day=day, viewer_id=viewer, limit=limit,
                                store=store.RedisBoardStore(rds))
    return db_board, redis_board


def tie_heavy_data(db_system: System) -> list[uuid.UUID]:
    """Members exercising every tie-break, privacy setting and OPEN membership."""
    with write_session(db_system) as s:
        ids = [
            make_member(s, "Late Hundred", user_id=uid(1)),
            make_member(s, "Early Hundred", user_id=uid(9), privacy="initials"),
            make_member(s, "Two Days", user_id=uid(8), open_opt_in=True),
            make_member(s, "One Day", user_id=uid(2), privacy="hidden"),
            make_member(s, "Tie High", user_id=uid(7)),
            make_member(s, "Tie Low", user_id=uid(6), open_opt_in=True),
            make_member(s, "Zero High", user_id=uid(5)),
            make_member(s, "Zero Low", user_id=uid(4), tier=None),
            make_member(s, "Banned", user_id=uid(3), status="banned"),
            make_member(s, "Elsewhere", user_id=uid(10), tier=OTHER_TIER),
        ]
        late, early, two, one, hi, lo, _z1, _z2, banned, other = ids
        earn(s, late, TUE, 100, at(20))
        earn(s, early, TUE, 60, at(1))
        earn(s, early, MON, 40, at(10))
        earn(s, two, MON, 25, at(2))
        earn(s, two, TUE, 25, at(30))
        earn(s, one, TUE, 50, at(30))
        earn(s, hi, TUE, 30, at(40))
        earn(s, lo, TUE, 30, at(40))
        earn(s, banned, TUE, 999, at(5))
        earn(s, other, TUE, 70, at(6))
        for n in range(30):  # a long zero-point tail: one big tie group ordered by user id
            make_member(s, f"Tail {n}")
    return ids


def test_db_and_redis_boards_identical_including_ties(db_system: System, rds: redis.Redis) -> None:
    ids = tie_heavy_data(db_system)
    with read_session(db_system) as s:
        tail = [r for (r,) in s.execute(sa.select(PROFILES.c.user_id).where(PROFILES.c.display_name.like("Tail %")))]
    viewers: list[uuid.UUID | None] = [None, *ids, *tail[:3]]
    for board in (TIER, "OPEN", OTHER_TIER, "F-60+-ADV"):
        for period in Period:
            for day in (MON, TUE) if period == Period.daily else (TUE,):
                for viewer in viewers:
                    for limit in (100, 5):
                        db_board, redis_board = both(db_system, rds, board, period, day, viewer, limit)
                        assert redis_board == db_board, (board, period, day, viewer, limit)
    db_board, _ = both(db_system, rds, TIER, Period.weekly, TUE)
    assert [e.points for e in db_board.entries[:8]] == [100, 100, 50, 50, 30, 30, 0, 0]
    assert db_board.total_members == 37


def test_refresh_member_moves_a_member_in_redis(db_system: System, rds: redis.Redis) -> None:
    ids = tie_heavy_data(db_system)
    late, zero_high = ids[0], ids[6]
    redis_store = store.RedisBoardStore(rds)
    with read_session(db_system) as s:
        before = get_board(s, board=TIER, period=Period.weekly, day=TUE, viewer_id=zero_high, store=redis_store)
    assert before.entries[0].user_id == uid(9) and before.me is not None and before.me.points == 0
    with write_session(db_system) as s:
        earn(s, zero_high, TUE, 500, at(60))
    # Redis serves reads: until the member is refreshed it still shows the old standing.
    with read_session(db_system) as s:
        stale = get_board(s, board=TIER, period=Period.weekly, day=TUE, viewer_id=zero_high, store=redis_store)
        assert stale.me is not None and stale.me.points == 0
        assert store.refresh_member(s, rds, zero_high, [TUE]) == 4  # daily, weekly, monthly, all-time
    for period in Period:
        for viewer in (None, zero_high, late):
            db_board, redis_board = both(db_system, rds, TIER, period, TUE, viewer)
            assert redis_board == db_board
    _, after = both(db_system, rds, TIER, Period.weekly, TUE, zero_high)
    assert after.me is not None and after.me.rank == 1 and after.me.points == 500


def test_refresh_member_follows_membership_changes(db_system: System, rds: redis.Redis) -> None:
    ids = tie_heavy_data(db_system)
    two = ids[2]  # on TIER and OPEN
    for period in Period:
        both(db_system, rds, "OPEN", period, TUE)  # build OPEN in Redis
    with write_session(db_system) as s:
        s.execute(sa.update(USERS).where(USERS.c.id == two).values(status="banned"))
    with read_session(db_system) as s:
        store.refresh_member(s, rds, two, [TUE])
    for period in Period:
        for board in (TIER, "OPEN"):
            db_board, redis_board = both(db_system, rds, board, period, TUE)
            assert two not in [e.user_id for e in db_board.entries]
            assert redis_board == db_board


def test_refresh_member_is_a_noop_without_redis(db_system: System) -> None:
    assert db_system.settings.redis_url is None and db_system.boards is None and store.build_store(None) is None
    with write_session(db_system) as s:  # the after-commit effects find no Redis store to refresh: nothing fails
        m = make_member(s, "Solo")
        earn(s, m, TUE, 10, at(1))
    with read_session(db_system) as s:
        assert get_board(s, board=TIER, period=Period.daily, day=TUE, viewer_id=m, store=db_system.boards).me \
            is not None


def test_configured_store_and_refresh_use_redis_url(db_system: System, rds: redis.Redis, redis_url: str,
                                                    system_factory: Callable[..., System]) -> None:
    with write_session(db_system) as s:  # no Redis on this System: nothing written to Redis
        m = make_member(s, "Solo")
        earn(s, m, TUE, 10, at(1))
    zkey, hkey, _ = store.board_keys(TIER, Period.daily, TUE)
    assert rds.hget(hkey, str(m)) is None
    with_redis = system_factory(redis_url=redis_url, database_url=db_system.settings.database_url)
    assert isinstance(with_redis.boards, store.RedisBoardStore)
    with read_session(with_redis) as s:
        assert with_redis.boards.refresh_member(s, m, [TUE]) == 4
    member = rds.hget(hkey, str(m))
    assert member is not None and rds.zscore(zkey, member) == 10
    # points credited through a System with Redis (the ingest path) move its boards after the commit
    # (`PointsCredited` → app.services.effects → refresh_member)
    with write_session(with_redis) as s:
        runner = add_member(s)
        assert runner.terra_user_id is not None
        apply_event(s, daily_payload(runner.terra_user_id, TUE, steps=8_000), ordering_ts=1)
        [board] = boards_for_user(s, runner.user_id)
    zkey, hkey, _ = store.board_keys(board, Period.daily, TUE)
    member = rds.hget(hkey, str(runner.user_id))
    assert member is not None and rds.zscore(zkey, member) == 80 + 5  # 8,000 steps, streak day 1


def test_rebuild_from_database_and_ttls(db_system: System, rds: redis.Redis) -> None:
    ids = tie_heavy_data(db_system)
    with read_session(db_system) as s:
        written = store.rebuild(s, rds, [TIER, "OPEN"], day=TUE)
    assert written == 4 * (37 + 3)  # 4 periods x (37 tier members + 3 OPEN members)
    daily_z, daily_h, daily_ready = store.board_keys(TIER, Period.daily, TUE)
    assert rds.zcard(daily_z) == 37 and rds.hlen(daily_h) == 37 and rds.exists(daily_ready)
    assert rds.ttl(daily_z) > 0 and rds.ttl(daily_ready) > 0
    assert rds.ttl(store.board_keys(TIER, Period.alltime, TUE)[0]) == -1
    # A lost or corrupted cache is rebuilt from the database, the source of truth.
    rds.zadd(daily_z, {store.encode_member(ids[6], None, 0): 10_000})
    rds.hset(daily_h, str(ids[6]), store.encode_member(ids[6], None, 0))
    rds.flushdb()
    with read_session(db_system) as s:
        store.rebuild(s, rds, [TIER], day=TUE)
    for period in Period:
        db_board, redis_board = both(db_system, rds, TIER, period, TUE, ids[3])
        assert redis_board == db_board


def test_upsert_never_lowers_a_fresher_score(rds: redis.Redis) -> None:
    from domain.competition.leaderboards import MemberStanding

    keys = store.board_keys(TIER, Period.alltime, TUE)
    m = uuid.uuid4()
    fresh = MemberStanding(m, 200, datetime(2016, 4, 12, 18, tzinfo=UTC), 3)
    stale = MemberStanding(m, 150, datetime(2016, 4, 12, 17, tzinfo=UTC), 2)
    for standing in (fresh, stale):
        pipe = rds.pipeline()
        store._upsert(pipe, keys, 0, [standing])
        pipe.execute()
    assert rds.zrange(keys[0], 0, -1, withscores=True) == [(store.encode_member(m, fresh.reached_at, 3), 200.0)]
    assert store.decode_member(store.encode_member(m, None, 7)) == (m, 7)


def test_member_encoding_orders_like_the_ranking() -> None:
    a, b = uid(1), uid(2)
    t1, t2 = datetime(2016, 4, 12, tzinfo=UTC), datetime(2016, 4, 12, 0, 0, 0, 1, tzinfo=UTC)
    # Redis returns equal scores in descending member order (ZREVRANGE): earlier first, then more days, then lower id.
    assert store.encode_member(b, t1, 1) > store.encode_member(a, t2, 9)
    assert store.encode_member(b, t1, 2) > store.encode_member(a, t1, 1)
    assert store.encode_member(a, t1, 1) > store.encode_member(b, t1, 1)
    assert store.encode_member(b, datetime(2099, 1, 1, tzinfo=UTC), 0) > store.encode_member(a, None, 0)


# ------------------------------------------------------------------------------------------ Hypothesis property
BASE = date(2016, 4, 4)
member_st = st.fixed_dictionaries({
    "where": st.sampled_from(["tier", "tier+open", "open", "other"]),
    "status": st.sampled_from(["active", "suspended", "banned"]),
    "privacy": st.sampled_from(["visible", "initials", "hidden"]),
    "posts": st.lists(st.tuples(st.integers(0, 9), st.sampled_from([10, 20]), st.integers(0, 2)), max_size=3),
})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.lists(member_st, min_size=1, max_size=12),
    board=st.sampled_from([TIER, "OPEN"]),
    period=st.sampled_from(list(Period)),
    day_index=st.integers(0, 9),
    viewer_index=st.integers(0, 15),
    limit=st.integers(1, 12),
    via_refresh=st.booleans(),
)
def test_property_redis_equals_database(
    db_system: System, rds: redis.Redis, members: list[dict], board: str, period: Period, day_index: int,
    viewer_index: int, limit: int, via_refresh: bool,
) -> None:
    rds.flushdb()
    day = BASE + timedelta(days=day_index)
    with write_session(db_system) as s:
        s.execute(sa.update(USERS).values(status="deleted"))
        for m in members:
            tier = {"tier": TIER, "tier+open": TIER, "open": None, "other": OTHER_TIER}[m["where"]]
            m["id"] = make_member(s, "Pat Q", tier=tier, open_opt_in=m["where"] == "tier+open",
                                  status=m["status"], privacy=m["privacy"])
    if via_refresh:  # build the (empty-handed) board first, then let refresh_member bring each credit in
        both(db_system, rds, board, period, day)
    for m in members:
        with write_session(db_system) as s:
            for d, amount, t in m["posts"]:
                earn(s, m["id"], BASE + timedelta(days=d), amount, at(t))
        if via_refresh:
            with read_session(db_system) as s:
                store.refresh_member(s, rds, m["id"], [BASE + timedelta(days=d) for d, _, _ in m["posts"]])
    viewer = members[viewer_index % len(members)]["id"]
    db_board, redis_board = both(db_system, rds, board, period, day, viewer, limit)
    assert redis_board == db_board
