"""Redis copy of the leaderboards (PRODUCT.md §5: "Redis sorted sets serve reads when Redis is configured; the
database is the source of truth and can rebuild them").

Layout, per board (tier code or OPEN) and period key (`domain.shared.calendar.period_key`, e.g. `weekly:2016-04-11`),
all under one hash tag so a cluster keeps them together:

- `lb:{<board>:<period_key>}:z` — sorted set, score = points earned in the period. The member string encodes the
  tie-break data so Redis's own order *is* the ranking: with ZREVRANGE (score desc, then member bytes desc) the member
  `<17 digits: 10^17-1 − reached_at in µs, 0 when never reached><6 digits: active days><32 hex: user id, each digit
  inverted>` sorts earlier-reached first (never-reached last), then more active days, then lower user id — exactly
  `domain.competition.leaderboards.ranking_order`. Ranks and windows are therefore exact O(log n) ZREVRANK/ZREVRANGE
  calls, with no tie-group scanning, even when thousands of members share a score (e.g. 0 points).
- `lb:{…}:h` — hash: user id (canonical string) → current member string (to find and replace a member's entry).
- `lb:{…}:ready` — set once the zset was fully built from the database. Reads of a board that is not ready build it
  first. Daily/weekly/monthly keys expire 40 days after the period ends; all-time keys never expire.
- `lb:{…}:n` — hash: inverted user id hex (the member string's last 32 characters) → `<privacy>|<display name>`,
  the names a read shows, so one read is one round trip (issue 12 §3: a Lua script returns the count, the top N,
  the viewer's window and their names). Written with the standings (rebuild, `refresh_member` — which runs after
  every points, profile or tier change); expires after `NAMES_TTL` at most, and a miss is read from the database and
  written back.

Earned points in a period never go down (PRODUCT.md §4), so every write is an atomic "upsert unless lower" Lua
script: a rebuild from an older database snapshot can never undo a fresher `refresh_member`.
When Redis cannot be reached, reads fall back to the database's standings projection
(`domain.competition.leaderboards.read_projection`) and Redis is left alone while the `boards` circuit breaker is open
(`app.adapters.redis_guard`); writes are best effort (the after-commit effects log their failures; `rebuild` repairs).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import cast

import redis
from sqlmodel import Session

from app.adapters.redis_guard import RedisGuard
from domain.accounts.tiers import BOARD_CODES
from domain.competition.leaderboards import (
    AROUND,
    DEFAULT_LIMIT,
    Board,
    MemberStanding,
    assemble_board,
    board_standings,
    boards_for_user,
    check_board,
    display_names,
    read_projection,
    standings_query,
)
from domain.shared.calendar import day_start_utc, period_bounds, period_key, platform_day
from domain.shared.enums import LeaderboardPrivacy, Period
from domain.shared.types import utcnow

KEY_PREFIX = "lb"
TTL_AFTER_PERIOD = timedelta(days=40)
MIN_TTL = timedelta(hours=1)  # keys of long-past periods (e.g. replayed 2016 data) still live this long
_REACHED_MAX = 10**17 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH = 2000
NAMES_TTL = timedelta(hours=1)
_log = logging.getLogger("fittrack.leaderboard_store")
_INVERT = str.maketrans("0123456789abcdef", "fedcba9876543210")

# KEYS: zset, hash. ARGV: expire-at (unix seconds, 0 = never), then (user id, points, member) triples.
_UPSERT = """
local n = 0
for i = 2, #ARGV, 3 do
  local uid, pts, mem = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local old = redis.call('HGET', KEYS[2], uid)
  local write = true
  if old then
    local cur = redis.call('ZSCORE', KEYS[1], old)
    if cur and tonumber(cur) > pts then
      write = false
    elseif old ~= mem then
      redis.call('ZREM', KEYS[1], old)
    end
  end
  if write then
    redis.call('ZADD', KEYS[1], pts, mem)
    redis.call('HSET', KEYS[2], uid, mem)
    n = n + 1
  end
end
local at = tonumber(ARGV[1])
if at > 0 then
  redis.call('EXPIREAT', KEYS[1], at)
  redis.call('EXPIREAT', KEYS[2], at)
end
return n
"""

# KEYS: zset, hash. ARGV: user ids to take off the board.
_REMOVE = """
local n = 0
for i = 1, #ARGV do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if old then
    redis.call('ZREM', KEYS[1], old)
    redis.call('HDEL', KEYS[2], ARGV[i])
    n = n + 1
  end
end
return n
"""


# KEYS: zset, hash, ready, names. ARGV: limit, around, viewer user id ('' for none).
# Returns false when the board is not built yet, else {total, top, window start (-1: no viewer row), window, names}
# (top and window as member/score pairs; names in the order of the members of top then window, false when missing).
_READ = """
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local total = redis.call('ZCARD', KEYS[1])
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local lo = -1
local window = {}
if ARGV[3] ~= '' then
  local mem = redis.call('HGET', KEYS[2], ARGV[3])
  if mem then
    local idx = redis.call('ZREVRANK', KEYS[1], mem)
    if idx then
      lo = math.max(0, idx - tonumber(ARGV[2]))
      window = redis.call('ZREVRANGE', KEYS[1], lo, idx + tonumber(ARGV[2]), 'WITHSCORES')
    end
  end
end
local fields = {}
for i = 1, #top, 2 do fields[#fields + 1] = string.sub(top[i], 24) end
for i = 1, #window, 2 do fields[#fields + 1] = string.sub(window[i], 24) end
local names = {}
if #fields > 0 then names = redis.call('HMGET', KEYS[4], unpack(fields)) end
return {total, top, lo, window, names}
"""


# ------------------------------------------------------------------------------------------------ encoding
def encode_member(user_id: uuid.UUID, reached_at: datetime | None, active_days: int) -> str:
    """The zset member string for a standing (see module docstring); byte order desc = tie-break order."""
    if reached_at is None:
        inv_reached = 0
    else:
        micros = (reached_at - _EPOCH) // timedelta(microseconds=1)
        inv_reached = _REACHED_MAX - min(max(micros, 0), _REACHED_MAX - 1)
    return f"{inv_reached:017d}{min(max(active_days, 0), 999_999):06d}{user_id.hex.translate(_INVERT)}"


def decode_member(member: str) -> tuple[uuid.UUID, int]:
    """(user id, active days) from a member string."""
    return uuid.UUID(hex=member[23:].translate(_INVERT)), int(member[17:23])


# ------------------------------------------------------------------------------------------------ keys, ttl
def board_keys(board: str, period: Period, day: date) -> tuple[str, str, str]:
    """(zset, hash, ready) keys of `board` for the period containing platform day `day`."""
    tag = f"{KEY_PREFIX}:{{{board}:{period_key(period, day)}}}"
    return f"{tag}:z", f"{tag}:h", f"{tag}:ready"


def member_boards_key(user_id: uuid.UUID) -> str:
    """The key recording the boards `refresh_member` last put the member on (comma-separated board codes)."""
    return f"{KEY_PREFIX}:member-boards:{user_id}"


def names_key(zkey: str) -> str:
    """The names hash next to a board's zset key (same hash tag)."""
    return zkey[:-len(":z")] + ":n"


def name_field(user_id: uuid.UUID) -> str:
    """A member's field in the names hash: the last 32 characters of their member string (inverted hex id)."""
    return user_id.hex.translate(_INVERT)


def name_value(display_name: str, privacy: str) -> str:
    """`<privacy>|<display name>` (privacy values hold no `|`)."""
    return f"{privacy}|{display_name}"


def expire_at(period: Period, day: date, now: datetime | None = None) -> int:
    """Unix seconds at which a period's keys expire: 40 days after the period ends (at least 1 hour from `now`);
    0 for all-time (never)."""
    if period == Period.alltime:
        return 0
    end = period_bounds(period, day)[1]
    moment = max(day_start_utc(end + timedelta(days=1)) + TTL_AFTER_PERIOD, (now or utcnow()) + MIN_TTL)
    return int(moment.timestamp())


# ------------------------------------------------------------------------------------------------ client
def client_for(url: str, timeout: float = 0.25) -> redis.Redis:
    """A new redis-py client (decoded strings, its own connection pool) for `url` whose connect and read timeouts are
    `timeout` seconds (`REDIS_TIMEOUT_SECONDS`: a hung Redis costs a read at most this before the database answers);
    the System keeps one (`build_store`)."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout)


# ------------------------------------------------------------------------------------------------ writes
def _upsert(pipe: redis.client.Pipeline, keys: tuple[str, str, str], at: int,
            standings: Sequence[MemberStanding]) -> None:
    zkey, hkey, _ = keys
    for i in range(0, len(standings), _BATCH):
        args: list[str | int] = [at]
        for s in standings[i:i + _BATCH]:
            args += [str(s.user_id), s.points, encode_member(s.user_id, s.reached_at, s.active_days)]
        pipe.eval(_UPSERT, 2, zkey, hkey, *args)


def _remove(pipe: redis.client.Pipeline, keys: tuple[str, str, str], user_ids: Sequence[str]) -> None:
    for i in range(0, len(user_ids), _BATCH):
        pipe.eval(_REMOVE, 2, keys[0], keys[1], *user_ids[i:i + _BATCH])


def rebuild_board(session: Session, client: redis.Redis, board: str, period: Period, day: date) -> int:
    """Load one board-period from the database into Redis (every member, 0 points included), drop members no
    longer on the board, and mark it ready. Returns the number of members. Never lowers a fresher score."""
    period = Period(period)
    keys = board_keys(board, period, day)
    start, end = period_bounds(period, day) if period != Period.alltime else (None, None)
    rows = session.execute(standings_query(board, period, start, end)).all()
    standings = [MemberStanding(r.user_id, int(r.points), r.reached_at, int(r.active_days)) for r in rows]
    at = expire_at(period, day)
    current = {str(s.user_id) for s in standings}
    stale = [str(u) for u in client.hkeys(keys[1]) if u not in current]
    pipe = client.pipeline(transaction=False)
    _upsert(pipe, keys, at, standings)
    _remove(pipe, keys, stale)
    pipe.delete(names_key(keys[0]))
    _write_names(pipe, keys[0], period, day, {r.user_id: (r.display_name, r.privacy) for r in rows})
    if at:
        pipe.set(keys[2], "1", exat=at)
    else:
        pipe.set(keys[2], "1")
    pipe.execute()
    return len(standings)


def rebuild(session: Session, client: redis.Redis, boards: Iterable[str] | None = None, *,
            day: date | None = None) -> int:
    """Rebuild `boards` (default: all 30 tiers and OPEN) for every period containing platform day `day` (default:
    today) from the database. Returns the number of board entries written. Raises InvalidInput for unknown boards."""
    day = day or platform_day(utcnow())
    total = 0
    for board in boards if boards is not None else BOARD_CODES:
        check_board(board)
        for period in Period:
            total += rebuild_board(session, client, board, period, day)
    return total


def refresh_member(session: Session, client: redis.Redis, user_id: uuid.UUID, days: Sequence[date]) -> int:
    """Re-read the member's earned points for every period containing one of `days` (platform days) plus all-time
    from the database and write them into each of their boards; take them off the boards they are no longer on
    (tier change, ban). Call after the transaction that credited the points commits. Returns the number of
    board-period entries written."""
    boards = boards_for_user(session, user_id)
    today = platform_day(utcnow())  # all-time has one key; any platform day names it
    periods: dict[str, tuple[Period, date]] = {period_key(Period.alltime, today): (Period.alltime, today)}
    for day in days:
        for period in (Period.daily, Period.weekly, Period.monthly):
            periods.setdefault(period_key(period, day), (period, day))
    names = display_names(session, [user_id]) if boards else {}
    # Boards the member may be on in Redis: those recorded by the last refresh plus the current ones; without a
    # record (first refresh, or expired), every board. Removing the member only there keeps a refresh to a few
    # commands instead of one removal per board and period (issue 12 §4: after-commit cost of an ingest task).
    record = member_boards_key(user_id)
    recorded = client.get(record)
    maybe_on = set(BOARD_CODES) if recorded is None else {b for b in str(recorded).split(",") if b} | set(boards)
    pipe = client.pipeline(transaction=False)
    written = 0
    for period, day in periods.values():
        standing = None
        if boards:
            found = board_standings(session, board=boards[0], period=period, day=day, user_ids=[user_id])
            standing = found[0] if found else None
        at = expire_at(period, day)
        for board in BOARD_CODES:
            keys = board_keys(board, period, day)
            if standing is not None and board in boards:
                _upsert(pipe, keys, at, [standing])
                _write_names(pipe, keys[0], period, day, names)
                written += 1
            elif board in maybe_on:
                _remove(pipe, keys, [str(user_id)])
                pipe.hdel(names_key(keys[0]), name_field(user_id))
    pipe.set(record, ",".join(sorted(boards)), ex=TTL_AFTER_PERIOD)
    pipe.execute()
    return written


# ------------------------------------------------------------------------------------------------ reads
def read_board(
    session: Session,
    client: redis.Redis,
    *,
    board: str,
    period: Period,
    day: date,
    viewer_id: uuid.UUID | None = None,
    limit: int = DEFAULT_LIMIT,
    around: int = AROUND,
) -> Board:
    """The same `Board` as `domain.competition.leaderboards.get_board` (database path), served from Redis in one round
    trip (the `_READ` script: count, top `limit`, the viewer's rank ± `around` and the names shown). Builds the
    board-period from the database first if it is not in Redis yet; names missing from the names hash are read from
    the database and written back. Raises redis.RedisError when Redis fails (`RedisBoardStore` falls back)."""
    period = Period(period)
    zkey, hkey, ready = board_keys(board, period, day)
    nkey = names_key(zkey)
    args = (limit, around, str(viewer_id) if viewer_id else "")
    reply = client.eval(_READ, 4, zkey, hkey, ready, nkey, *args)
    if not reply:
        rebuild_board(session, client, board, period, day)
        reply = client.eval(_READ, 4, zkey, hkey, ready, nkey, *args)
    total, top, lo, window, names = cast(tuple[int, list[str], int, list[str], list[str | None]], tuple(reply))
    ranked: dict[int, tuple[str, str]] = {i // 2 + 1: (top[i], top[i + 1]) for i in range(0, len(top), 2)}
    for i in range(0, len(window), 2):
        ranked[int(lo) + i // 2 + 1] = (window[i], window[i + 1])
    members = [top[i] for i in range(0, len(top), 2)] + [window[i] for i in range(0, len(window), 2)]
    shown: dict[uuid.UUID, tuple[str, str]] = {}
    missing: list[uuid.UUID] = []
    for member, value in zip(members, names, strict=True):
        uid = decode_member(member)[0]
        if value:
            privacy, _, name = value.partition("|")
            shown[uid] = (name, privacy)
        else:
            missing.append(uid)
    if missing:
        found = display_names(session, missing)
        shown.update(found)
        _write_names(client, zkey, period, day, found)
    rows = []
    for rank, (member, score) in ranked.items():
        uid, active_days = decode_member(member)
        name, privacy = shown.get(uid, ("", LeaderboardPrivacy.hidden.value))
        rows.append((rank, uid, name, privacy, int(float(score)), active_days))
    return assemble_board(board, period, day, rows, int(total), viewer_id=viewer_id, limit=limit, around=around)


def _names_expire_at(period: Period, day: date) -> int:
    board_at = expire_at(period, day)
    names_at = int((utcnow() + NAMES_TTL).timestamp())
    return min(board_at, names_at) if board_at else names_at


def _write_names(client: redis.Redis | redis.client.Pipeline, zkey: str, period: Period, day: date,
                 names: dict[uuid.UUID, tuple[str, str]]) -> None:
    if not names:
        return
    nkey = names_key(zkey)
    items = list(names.items())
    for i in range(0, len(items), _BATCH):
        client.hset(nkey, mapping={name_field(uid): name_value(name, privacy) for uid, (name, privacy)
                                   in items[i:i + _BATCH]})
    client.expireat(nkey, _names_expire_at(period, day))


class RedisBoardStore:
    """`domain.competition.leaderboards.BoardStore` backed by Redis sorted sets: pass it as `get_board(...,
    store=...)`. Correct with Redis down (issue 13 §3): reads go through the `boards` circuit breaker
    (`app.adapters.redis_guard`), so a failed read — and every read while the circuit is open — is answered from the
    database's standings projection; refreshes are skipped meanwhile (the periodic rebuild, or "Rebuild now" on the
    system page, brings Redis up to date)."""

    def __init__(self, client: redis.Redis, guard: RedisGuard | None = None) -> None:
        self.client = client
        self.guard = guard or RedisGuard("boards")

    def read_board(self, session: Session, *, board: str, period: Period, day: date,
                   viewer_id: uuid.UUID | None, limit: int, around: int) -> Board:
        return self.guard.call(
            lambda: read_board(session, self.client, board=board, period=period, day=day, viewer_id=viewer_id,
                               limit=limit, around=around),
            lambda: read_projection(session, board=board, period=period, day=day, viewer_id=viewer_id, limit=limit,
                                    around=around))

    def refresh_member(self, session: Session, user_id: uuid.UUID, days: Sequence[date]) -> int:
        """`refresh_member` on this store's Redis (0 while Redis fails)."""
        return self.guard.call(lambda: refresh_member(session, self.client, user_id, days), lambda: 0)

    def rebuild(self, session: Session, boards: Iterable[str] | None = None, *, day: date | None = None) -> int:
        """`rebuild` on this store's Redis."""
        return rebuild(session, self.client, boards, day=day)


def build_store(redis_url: str | None, guard: RedisGuard | None = None,
                timeout: float = 0.25) -> RedisBoardStore | None:
    """The read store for `REDIS_URL`: Redis sorted sets when set (`guard`: its circuit breaker), else None (boards
    are read from the database)."""
    return RedisBoardStore(client_for(redis_url, timeout), guard) if redis_url else None
