"""Redis board reads at scale (issue 12 §3): one read is one round trip (count, top, the viewer's window and the
names in one Lua script), names missing from Redis come from the database and are written back, and a privacy
change through the profile service reaches the Redis names after the commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import redis

from app.adapters import leaderboard_store as store
from app.system import System
from domain.accounts.profiles import ProfileUpdate, update_profile
from domain.competition.leaderboards import default_board, get_board
from domain.shared.enums import Period
from tests.support.db import read_session, write_session
from tests.support.leaderboards import TIER, at, earn, make_member

DAY = date(2016, 4, 12)


def test_one_round_trip_per_read_and_names_written_back(system: System, rds: redis.Redis,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with write_session(system) as s:
        ids = [make_member(s, f"Runner {n}", privacy=("visible", "initials", "hidden")[n % 3]) for n in range(30)]
        for n, member in enumerate(ids[:20]):
            earn(s, member, DAY, 10 * (n % 7 + 1), at(n))
    redis_store = store.RedisBoardStore(rds)
    with read_session(system) as r:
        for period in Period:
            get_board(r, board=TIER, period=period, day=DAY, store=redis_store)  # builds each board-period
    calls: list[Any] = []
    original: Callable[..., Any] = rds.execute_command

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(rds, "execute_command", counting)
    with read_session(system) as r:
        for period in Period:
            for viewer in (None, ids[0], ids[25]):
                calls.clear()
                got = get_board(r, board=TIER, period=period, day=DAY, viewer_id=viewer, store=redis_store)
                assert calls == ["EVAL"], (period, viewer, calls)
                assert got == get_board(r, board=TIER, period=period, day=DAY, viewer_id=viewer)
    zkey = store.board_keys(TIER, Period.weekly, DAY)[0]
    rds.delete(store.names_key(zkey))  # names lost (expired): read from the database and written back
    with read_session(system) as r:
        got = get_board(r, board=TIER, period=Period.weekly, day=DAY, viewer_id=ids[1], store=redis_store)
        assert got == get_board(r, board=TIER, period=Period.weekly, day=DAY, viewer_id=ids[1])
    assert rds.hlen(store.names_key(zkey)) == 30 and rds.ttl(store.names_key(zkey)) > 0


def test_privacy_change_reaches_the_redis_names(system_factory: Callable[..., System], redis_url: str,
                                                rds: redis.Redis) -> None:
    with_redis = system_factory(redis_url=redis_url)
    assert isinstance(with_redis.boards, store.RedisBoardStore)
    with write_session(with_redis) as s:
        jane = make_member(s, "Jane Doe")
        earn(s, jane, DAY, 40, at(1))
    with read_session(with_redis) as r:
        first = get_board(r, board=TIER, period=Period.alltime, day=DAY, store=with_redis.boards)
    assert [e.display_name for e in first.entries] == ["Jane Doe"]
    with write_session(with_redis) as s:  # records TierChanged → after the commit the Redis entry is refreshed
        update_profile(s, jane, ProfileUpdate(leaderboard_privacy="initials"))  # (the tier follows today's age)
    with read_session(with_redis) as r:
        board = default_board(r, jane)
        after = get_board(r, board=board, period=Period.alltime, day=DAY, store=with_redis.boards)
        assert after == get_board(r, board=board, period=Period.alltime, day=DAY)
    assert [e.display_name for e in after.entries] == ["J. D."]
