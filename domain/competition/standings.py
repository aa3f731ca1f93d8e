"""The standings projection behind the leaderboards (issue 12 §3 "Boards at scale"; PRODUCT.md §5 rules unchanged).

`board_standings` holds, per board (tier code or OPEN) × period (daily / weekly / monthly / all-time, by the period's
first platform day) × member, the three ranking inputs of `domain.competition.leaderboards.ranking_order`:

- `points` — points earned in the period (Σ `daily_point_totals.points`; all-time: `users.points_earned`);
- `reached_at` — when that total was reached (the latest `daily_point_totals.reached_at` of the period's days with
  points; all-time: `users.points_earned_at`), stored as `NEVER` (far future) when there is none, so that one
  ascending index column puts "never reached" last on SQLite, PostgreSQL and Oracle alike;
- `active_days` — days with points in the period (all-time: `users.active_days`).

Rows: a period row for each member with points in that period; an all-time row for *every* member on the board (0
points included), which also makes the all-time rows the board's member list (the 0-point members of a period board
are its all-time rows without a period row, ranked by user id). Board membership (tier, OPEN opt-in) is stored; the
member status (banned and deleted members are left out, suspended ones stay) is applied when reading, through the
`ix_users_status` index, so a ban never has to move rows.

Maintenance, in the transaction that changes the inputs:
- `refresh_member(db, user_id, days)` — after an `earn` ledger entry (the `BalanceChanged` policy in
  `app.services.effects`): the member's rows of every period containing one of `days`, plus all-time, are
  recomputed from their `daily_point_totals` and user row (so corrections, out-of-order days and replays give the
  same rows as a rebuild);
- `sync_member(db, user_id)` — after a tier / OPEN opt-in change or an account deletion (`TierChanged` policy), and
  when a profile row is inserted (a mapper event, so every way a member is created — registration, seed, admin
  tools, test builders — puts them on their boards): all of the member's rows, recomputed;
- the all-time rows also follow every ORM change of the user row's cached totals (`points_earned`,
  `points_earned_at`, `active_days`; a mapper event), whoever makes it;
- `rebuild(db)` — every row from scratch (`python -m app.cli.standings rebuild`; bulk loads, repairs).

Reads (`read_board`): the top N is an index range scan of `ix_board_standings_rank` (board, period, period_start,
points DESC, reached_at, active_days DESC, user_id); the viewer's rank is an indexed count of the rows before theirs;
the ±N window is two keyset scans from the viewer's row. `db` is a SQLAlchemy `Session` or `Connection`: only Core
statements are executed, so the same code runs inside a unit of work and inside a flush (mapper events).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from domain.accounts.tiers import boards_for
from domain.models import BoardStanding, DailyPointTotal, Profile, User
from domain.shared.calendar import period_bounds
from domain.shared.enums import Period, UserStatus

Executor = Session | Connection

ALLTIME_START = date(1970, 1, 1)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
PERIODS: tuple[Period, ...] = (Period.daily, Period.weekly, Period.monthly)
EXCLUDED_STATUSES: tuple[str, ...] = (UserStatus.banned.value, UserStatus.deleted.value)
REBUILD_BATCH = 2000

_st: sa.Table = BoardStanding.__table__  # type: ignore[attr-defined]
_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_profiles: sa.Table = Profile.__table__  # type: ignore[attr-defined]
_totals: sa.Table = DailyPointTotal.__table__  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------ shapes
@dataclass(frozen=True)
class Standing:
    """One member's ranking inputs on a board in a period (points, reached_at — `NEVER` when never —, active
    days)."""

    user_id: uuid.UUID
    points: int
    reached_at: datetime
    active_days: int


@dataclass(frozen=True)
class RankedRow:
    """A ranked row as `read_board` returns it: `rank` (1-based), the member and their standing."""

    rank: int
    user_id: uuid.UUID
    points: int
    active_days: int


def period_start(period: Period, day: date) -> date:
    """The key of the period containing platform day `day`: its first day (`ALLTIME_START` for all-time)."""
    return ALLTIME_START if period == Period.alltime else period_bounds(period, day)[0]


def _reached(value: datetime | None) -> datetime:
    return NEVER if value is None else value


# ------------------------------------------------------------------------------------------------ computing rows
def _aggregate(days: Iterable[tuple[date, int, datetime | None]],
               keys: set[tuple[Period, date]] | None = None) -> dict[tuple[Period, date], tuple[int, datetime, int]]:
    """(period, start) → (points, reached_at, active days) over daily rows `(day, points, reached_at)` with points
    > 0 (PRODUCT.md §5: Σ points, the latest reached_at, the number of days); only `keys` when given."""
    out: dict[tuple[Period, date], tuple[int, datetime | None, int]] = {}
    for day, points, reached in days:
        if points <= 0:
            continue
        for period in PERIODS:
            key = (period, period_bounds(period, day)[0])
            if keys is not None and key not in keys:
                continue
            total, latest, active = out.get(key, (0, None, 0))
            if reached is not None and (latest is None or reached > latest):
                latest = reached
            out[key] = (total + points, latest, active + 1)
    return {k: (p, _reached(r), a) for k, (p, r, a) in out.items()}


def _rows(user_id: uuid.UUID, boards: Sequence[str], periods: dict[tuple[Period, date], tuple[int, datetime, int]],
          alltime: tuple[int, datetime | None, int] | None) -> list[dict[str, Any]]:
    rows = []
    for board in boards:
        for (period, start), (points, reached, active) in periods.items():
            rows.append({"board": board, "period": period.value, "period_start": start, "user_id": user_id,
                         "points": points, "reached_at": reached, "active_days": active})
        if alltime is not None:
            points, reached_at, active = alltime
            rows.append({"board": board, "period": Period.alltime.value, "period_start": ALLTIME_START,
                         "user_id": user_id, "points": points, "reached_at": _reached(reached_at),
                         "active_days": active})
    return rows


def _member(db: Executor, user_id: uuid.UUID) -> tuple[list[str], tuple[int, datetime | None, int] | None]:
    """The member's boards by profile (status ignored) and their all-time inputs from the user row."""
    row = db.execute(
        sa.select(_profiles.c.tier_code, _profiles.c.open_tier_opt_in, _users.c.points_earned,
                  _users.c.points_earned_at, _users.c.active_days)
        .select_from(_profiles.join(_users, _users.c.id == _profiles.c.user_id))
        .where(_profiles.c.user_id == user_id)
    ).first()
    if row is None:
        return [], None
    return (boards_for(row.tier_code, bool(row.open_tier_opt_in)),
            (int(row.points_earned), row.points_earned_at, int(row.active_days)))


def _insert(db: Executor, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.execute(sa.insert(_st), rows)


def refresh_member(db: Executor, user_id: uuid.UUID, days: Iterable[date]) -> int:
    """Recompute the member's rows for every period containing one of `days` (platform days) plus all-time, on
    each of their boards, from `daily_point_totals` and the user row; call inside the transaction that credited the
    points (issue 12 §3). Falls back to `sync_member` when the member's stored boards differ from their profile's.
    Returns the number of rows written."""
    days = sorted(set(days))
    boards, alltime = _member(db, user_id)
    placed = set(db.execute(
        sa.select(_st.c.board).where(_st.c.user_id == user_id, _st.c.period == Period.alltime.value,
                                     _st.c.period_start == ALLTIME_START)
    ).scalars())
    if placed != set(boards) or not days:
        return sync_member(db, user_id)
    if not boards:
        return 0
    keys = {(period, period_bounds(period, day)[0]) for day in days for period in PERIODS}
    low = min(start for _, start in keys)
    high = max(period_bounds(period, start)[1] for period, start in keys)
    daily = db.execute(
        sa.select(_totals.c.platform_day, _totals.c.points, _totals.c.reached_at)
        .where(_totals.c.user_id == user_id, _totals.c.platform_day >= low, _totals.c.platform_day <= high,
               _totals.c.points > 0)
    ).all()
    periods = _aggregate(((r.platform_day, int(r.points), r.reached_at) for r in daily), keys)
    which = [sa.and_(_st.c.period == period.value, _st.c.period_start == start) for period, start in keys]
    which.append(sa.and_(_st.c.period == Period.alltime.value, _st.c.period_start == ALLTIME_START))
    db.execute(sa.delete(_st).where(_st.c.user_id == user_id, _st.c.board.in_(boards), sa.or_(*which)))
    rows = _rows(user_id, boards, periods, alltime)
    _insert(db, rows)
    return len(rows)


def sync_member(db: Executor, user_id: uuid.UUID) -> int:
    """Replace all of the member's rows with rows recomputed for the boards their profile puts them on now (tier,
    OPEN opt-in); none when they have no profile. Returns the number of rows written."""
    db.execute(sa.delete(_st).where(_st.c.user_id == user_id))
    boards, alltime = _member(db, user_id)
    if not boards:
        return 0
    daily = db.execute(
        sa.select(_totals.c.platform_day, _totals.c.points, _totals.c.reached_at)
        .where(_totals.c.user_id == user_id, _totals.c.points > 0)
    ).all()
    rows = _rows(user_id, boards, _aggregate((r.platform_day, int(r.points), r.reached_at) for r in daily), alltime)
    _insert(db, rows)
    return len(rows)


def _member_batches(db: Executor) -> Iterator[list[Any]]:
    """Every profile with its user's all-time inputs, in user-id order, `REBUILD_BATCH` at a time (keyset)."""
    after: uuid.UUID | None = None
    while True:
        query = (
            sa.select(_profiles.c.user_id, _profiles.c.tier_code, _profiles.c.open_tier_opt_in,
                      _users.c.points_earned, _users.c.points_earned_at, _users.c.active_days)
            .select_from(_profiles.join(_users, _users.c.id == _profiles.c.user_id))
            .order_by(_profiles.c.user_id).limit(REBUILD_BATCH)
        )
        if after is not None:
            query = query.where(_profiles.c.user_id > after)
        batch = list(db.execute(query).all())
        if not batch:
            return
        yield batch
        after = batch[-1].user_id


def expected_rows(db: Executor) -> Iterator[dict[str, Any]]:
    """Every row the projection should hold, computed from the sources (profiles, users, daily_point_totals) in
    batches of members; what `rebuild` writes and what a consistency check compares with."""
    for batch in _member_batches(db):
        ids = [r.user_id for r in batch]
        daily: dict[uuid.UUID, list[tuple[date, int, datetime | None]]] = defaultdict(list)
        for r in db.execute(
            sa.select(_totals.c.user_id, _totals.c.platform_day, _totals.c.points, _totals.c.reached_at)
            .where(_totals.c.user_id.in_(ids), _totals.c.points > 0)
        ):
            daily[r.user_id].append((r.platform_day, int(r.points), r.reached_at))
        for m in batch:
            boards = boards_for(m.tier_code, bool(m.open_tier_opt_in))
            yield from _rows(m.user_id, boards, _aggregate(daily.get(m.user_id, ())),
                             (int(m.points_earned), m.points_earned_at, int(m.active_days)))


def rebuild(db: Executor) -> int:
    """Delete every row and write the projection again from the sources (issue 12 §3 "rebuildable from the
    ledger"). Runs in the caller's transaction; returns the number of rows written."""
    db.execute(sa.delete(_st))
    written = 0
    chunk: list[dict[str, Any]] = []
    for row in expected_rows(db):
        chunk.append(row)
        if len(chunk) >= 5000:
            _insert(db, chunk)
            written += len(chunk)
            chunk = []
    _insert(db, chunk)
    return written + len(chunk)


def stored_rows(db: Executor) -> Iterator[dict[str, Any]]:
    """Every stored row as a dict (the shape of `expected_rows`)."""
    for r in db.execute(sa.select(_st)).mappings():
        yield dict(r)


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["board"], row["period"], row["period_start"], str(row["user_id"]), int(row["points"]),
            row["reached_at"], int(row["active_days"]))


def differences(db: Executor) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(missing, unexpected): rows a rebuild would write that are not stored, and stored rows a rebuild would not
    write, as sorted tuples (board, period, period_start, user id, points, reached_at, active_days). Both empty when
    the projection is consistent with the sources."""
    expected = {_row_key(r) for r in expected_rows(db)}
    stored = {_row_key(r) for r in stored_rows(db)}
    return sorted(expected - stored), sorted(stored - expected)


# ------------------------------------------------------------------------------------------------ reads
_ORDER = (_st.c.points.desc(), _st.c.reached_at.asc(), _st.c.active_days.desc(), _st.c.user_id.asc())
_REVERSED = (_st.c.points.asc(), _st.c.reached_at.desc(), _st.c.active_days.asc(), _st.c.user_id.desc())


def _excluded() -> sa.Select[Any]:
    return sa.select(_users.c.id).where(_users.c.status.in_(EXCLUDED_STATUSES))


def _key(board: str, period: Period, start: date) -> list[sa.ColumnElement[bool]]:
    return [_st.c.board == board, _st.c.period == period.value, _st.c.period_start == start]


def _live() -> sa.ColumnElement[bool]:
    return _st.c.user_id.notin_(_excluded())


def _before(s: Standing) -> sa.ColumnElement[bool]:
    """Rows ranked before standing `s` (the redundant `points >= …` bounds the index range)."""
    c = _st.c
    return sa.and_(c.points >= s.points, sa.or_(
        c.points > s.points,
        sa.and_(c.points == s.points, sa.or_(
            c.reached_at < s.reached_at,
            sa.and_(c.reached_at == s.reached_at, sa.or_(
                c.active_days > s.active_days,
                sa.and_(c.active_days == s.active_days, c.user_id < s.user_id))))),
    ))


def _after(s: Standing) -> sa.ColumnElement[bool]:
    """Rows ranked after standing `s`."""
    c = _st.c
    return sa.and_(c.points <= s.points, sa.or_(
        c.points < s.points,
        sa.and_(c.points == s.points, sa.or_(
            c.reached_at > s.reached_at,
            sa.and_(c.reached_at == s.reached_at, sa.or_(
                c.active_days < s.active_days,
                sa.and_(c.active_days == s.active_days, c.user_id > s.user_id))))),
    ))


def _standings(db: Executor, query: sa.Select[Any]) -> list[Standing]:
    return [Standing(r.user_id, int(r.points), r.reached_at, int(r.active_days)) for r in db.execute(query)]


def _select() -> sa.Select[Any]:
    return sa.select(_st.c.user_id, _st.c.points, _st.c.reached_at, _st.c.active_days)


def _count(db: Executor, *where: sa.ColumnElement[bool]) -> int:
    """How many rows of members who are not banned or deleted match `where`: an index-only range count minus the
    (few) excluded members' rows, found from `ix_users_status` (keeps the count off any per-row membership test)."""
    count = sa.select(sa.func.count()).select_from(_st)
    rows = int(db.execute(count.where(*where)).scalar_one())
    if not rows:
        return 0
    return rows - int(db.execute(count.where(*where, _st.c.user_id.in_(_excluded()))).scalar_one())


def _zeros(db: Executor, board: str, period: Period, start: date, *, after: uuid.UUID | None = None,
           before: uuid.UUID | None = None, limit: int) -> list[uuid.UUID]:
    """Members of `board` without points in the period (all-time rows without a period row), by user id: the
    first `limit` after `after` (ascending), or the last `limit` before `before` (returned descending)."""
    if limit <= 0:
        return []
    outer = _st.alias("member")
    has_points = sa.exists(
        sa.select(sa.literal(1)).select_from(_st).where(
            _st.c.board == board, _st.c.period == period.value, _st.c.period_start == start,
            _st.c.user_id == outer.c.user_id)
    )
    query = (
        sa.select(outer.c.user_id)
        .where(outer.c.board == board, outer.c.period == Period.alltime.value, outer.c.period_start == ALLTIME_START,
               outer.c.user_id.notin_(_excluded()), ~has_points)
    )
    if before is not None:
        query = query.where(outer.c.user_id < before).order_by(outer.c.user_id.desc())
    else:
        if after is not None:
            query = query.where(outer.c.user_id > after)
        query = query.order_by(outer.c.user_id.asc())
    return list(db.execute(query.limit(limit)).scalars())


def _zero_rows(ids: Sequence[uuid.UUID], first_rank: int) -> list[RankedRow]:
    return [RankedRow(first_rank + i, uid, 0, 0) for i, uid in enumerate(ids)]


def _ranked(rows: Sequence[Standing], first_rank: int) -> list[RankedRow]:
    return [RankedRow(first_rank + i, s.user_id, s.points, s.active_days) for i, s in enumerate(rows)]


def read_board(db: Executor, *, board: str, period: Period, day: date, viewer_id: uuid.UUID | None, limit: int,
               around: int) -> tuple[list[RankedRow], int]:
    """The ranked rows of `board` in the period containing platform day `day` that a board shows — ranks 1..`limit`
    and, when the viewer is on the board, the viewer's rank ± `around` — and the number of members on the board.
    Same result as ranking every member with `domain.competition.leaderboards.board_statement` (PRODUCT.md §5), read
    through the rank index (issue 12 §3). Rows may repeat (top and window overlap); the caller keys them by rank."""
    period = Period(period)
    start = period_start(period, day)
    key = _key(board, period, start)
    alltime_key = _key(board, Period.alltime, ALLTIME_START)
    total = _count(db, *alltime_key)
    if total == 0:
        return [], 0
    dense = period == Period.alltime  # all-time rows include the 0-point members; period rows do not
    rows = _ranked(_standings(db, _select().where(*key, _live()).order_by(*_ORDER).limit(limit)), 1)
    if not dense and len(rows) < limit:
        rows += _zero_rows(_zeros(db, board, period, start, limit=limit - len(rows)), len(rows) + 1)
    if viewer_id is None:
        return rows, total
    mine = _standings(db, _select().where(*key, _live(), _st.c.user_id == viewer_id))
    if mine:
        me = mine[0]
        rank = 1 + _count(db, *key, _before(me))
        above = _standings(db, _select().where(*key, _live(), _before(me)).order_by(*_REVERSED).limit(around))
        below = _standings(db, _select().where(*key, _live(), _after(me)).order_by(*_ORDER).limit(around))
        rows += _ranked(list(reversed(above)), rank - len(above))
        rows += _ranked([me, *below], rank)
        if not dense and len(below) < around:
            rows += _zero_rows(_zeros(db, board, period, start, limit=around - len(below)), rank + len(below) + 1)
        return rows, total
    if dense or not _count(db, *alltime_key, _st.c.user_id == viewer_id):
        return rows, total  # not on this board (or banned / deleted)
    # A member without points in the period: after every member with points, by user id among the 0-point ones.
    with_points = _count(db, *key)
    zeros_before = (_count(db, *alltime_key, _st.c.user_id < viewer_id)
                    - _count(db, *key, _st.c.user_id < viewer_id))
    rank = with_points + zeros_before + 1
    lower = _zeros(db, board, period, start, before=viewer_id, limit=around)
    rows += _zero_rows(list(reversed(lower)), rank - len(lower))
    if len(lower) < around:
        last = _standings(db, _select().where(*key, _live()).order_by(*_REVERSED).limit(around - len(lower)))
        rows += _ranked(list(reversed(last)), with_points - len(last) + 1)
    rows.append(RankedRow(rank, viewer_id, 0, 0))
    rows += _zero_rows(_zeros(db, board, period, start, after=viewer_id, limit=around), rank + 1)
    return rows, total


# ------------------------------------------------------------------------------------------------ new members
@sa.event.listens_for(Profile, "after_insert")
def _profile_inserted(mapper: Any, connection: Connection, target: Profile) -> None:
    """A new profile puts its member on their boards' all-time standings in the same flush (whoever inserts it)."""
    sync_member(connection, target.user_id)


_ALLTIME_INPUTS = ("points_earned", "points_earned_at", "active_days")


@sa.event.listens_for(User, "after_update")
def _user_totals_updated(mapper: Any, connection: Connection, target: User) -> None:
    """The all-time rows mirror the user row's cached totals: whoever changes them through the ORM (the ledger, an
    admin tool, a test builder), the member's all-time standings follow in the same flush."""
    state = sa.inspect(target)
    if any(state.attrs[name].history.has_changes() for name in _ALLTIME_INPUTS):
        connection.execute(
            sa.update(_st)
            .where(_st.c.user_id == target.id, _st.c.period == Period.alltime.value,
                   _st.c.period_start == ALLTIME_START)
            .values(points=target.points_earned, reached_at=_reached(target.points_earned_at),
                    active_days=target.active_days)
        )
