"""Leaderboards (PRODUCT.md §5): tier and `OPEN` boards per period, ranked by points earned in the period.

The database is the source of truth. One ranking definition, in SQL (`ranking_order`):

1. points earned in the period, descending;
2. ties → earlier time of reaching that total first (period boards: the latest `daily_point_totals.reached_at` of
   the period's days with points; all-time: `users.points_earned_at`), members who never reached it last;
3. → more active days in the period (days with points > 0; all-time: `users.active_days`);
4. → lower user id (canonical lowercase UUID string; the stored GUID sorts the same way on SQLite (hex CHAR(32)),
   PostgreSQL (uuid, bytewise) and Oracle (RAW(16), bytewise)).

Members of a tier board are the profiles with that `tier_code`; of `OPEN`, the profiles that opted in or have no
tier. Banned and deleted members are left out; suspended members stay listed. Every member is ranked, including
those with 0 points in the period. A Redis copy (`app.adapters.leaderboard_store`) can serve reads; it must return the
same `Board` and plugs in through the `BoardStore` port.

Reads (issue 12 §3): `get_board` reads the standings projection (`domain.competition.standings`, kept in the
transaction of the points): the top N by a range scan of its rank index, the viewer's rank by an indexed count.
`board_statement` / `standings_query` remain the definition (every member ranked with window functions): the Redis
rebuild reads them, and the tests prove the projection gives the same boards.

At a period's end the final standings (top 100) are archived in `leaderboard_archives` (`archive_ended_periods`).

Privacy (PRODUCT.md §5): names follow each member's setting (`shown_name`), and a hidden member's user id is never
shown to anyone but themselves (`public_user_id`), on live boards and archives alike.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, select

from domain.accounts.tiers import BOARD_CODES, OPEN_TIER, boards_for
from domain.competition import standings
from domain.models import DailyPointTotal, LeaderboardArchive, Profile, User
from domain.shared.calendar import period_bounds
from domain.shared.enums import LeaderboardPrivacy, Period, UserStatus
from domain.shared.errors import InvalidInput, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]
SessionFactory = Callable[[], AbstractContextManager[Session]]

EXCLUDED_STATUSES: tuple[str, ...] = (UserStatus.banned.value, UserStatus.deleted.value)
HIDDEN_NAME = "Hidden member"
DEFAULT_LIMIT = 100
MAX_LIMIT = 100
AROUND = 10
ARCHIVE_SIZE = 100
# How far back `archive_ended_periods` looks for ended periods that are not archived yet.
ARCHIVE_LOOKBACK_DAYS = 35
ARCHIVE_LOOKBACK_WEEKS = 6
ARCHIVE_LOOKBACK_MONTHS = 2
ARCHIVED_PERIODS: tuple[Period, ...] = (Period.daily, Period.weekly, Period.monthly)


# --------------------------------------------------------------------------------------------------------- shapes
@dataclass(frozen=True)
class BoardEntry:
    """One ranked row. `points` are points earned in the period; `display_name` already follows the member's privacy
    setting (the viewer always sees their own name)."""

    rank: int
    user_id: uuid.UUID
    display_name: str
    points: int
    active_days: int
    is_viewer: bool = False
    hidden: bool = False

    @property
    def public_user_id(self) -> uuid.UUID | None:
        """The user id this viewer may see: None for a hidden member other than the viewer (`public_user_id`)."""
        return public_user_id(self.user_id, hidden=self.hidden, is_viewer=self.is_viewer)


@dataclass(frozen=True)
class Board:
    """A leaderboard as one viewer sees it: the top `limit` rows, the viewer's own row (`me`, None when the viewer
    is not on this board) and the rows from the viewer's rank − 10 to rank + 10 (`around_me`, empty without a viewer
    on the board). `period_start`/`period_end` are inclusive platform days (None for all-time)."""

    board: str
    period: Period
    period_start: date | None
    period_end: date | None
    entries: tuple[BoardEntry, ...]
    me: BoardEntry | None
    around_me: tuple[BoardEntry, ...]
    total_members: int


@dataclass(frozen=True)
class MemberStanding:
    """A board member's raw standing in a period (the inputs of the ranking)."""

    user_id: uuid.UUID
    points: int
    reached_at: datetime | None
    active_days: int


class BoardStore(Protocol):
    """A port for an alternative read source (e.g. Redis sorted sets) returning exactly what `get_board` would."""

    def read_board(
        self, session: Session, *, board: str, period: Period, day: date, viewer_id: uuid.UUID | None,
        limit: int, around: int,
    ) -> Board: ...


# ------------------------------------------------------------------------------------------------- input checks
def check_board(board: str) -> str:
    """Return `board` if it is one of the 30 tier codes or `OPEN`; else raise InvalidInput."""
    if board not in BOARD_CODES:
        raise InvalidInput(f"unknown leaderboard {board!r}: use a tier code such as M-30-39-INT, or OPEN",
                           field="tier")
    return board


def _check_window(limit: int, around: int) -> None:
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000", field="limit")
    if not 0 <= around <= 100:
        raise InvalidInput("around must be between 0 and 100", field="around")


def bounds(period: Period, day: date) -> tuple[date | None, date | None]:
    """Inclusive first and last platform day of the period containing `day`; (None, None) for all-time."""
    if period == Period.alltime:
        return None, None
    return period_bounds(period, day)


# -------------------------------------------------------------------------------------------------- privacy
def initials(name: str) -> str:
    """"Jane Doe" → "J. D."; one word → "J."; blank → "?" (first letters of the first two words, upper-cased)."""
    words = name.split()
    if not words:
        return "?"
    return " ".join(f"{w[0].upper()}." for w in words[:2])


def shown_name(display_name: str, privacy: str, *, is_viewer: bool = False) -> str:
    """The name a board shows for a member (PRODUCT.md §5): visible → display name; initials → "J. D.";
    hidden → "Hidden member". The viewer always sees their own display name."""
    if is_viewer or privacy == LeaderboardPrivacy.visible.value:
        return display_name
    if privacy == LeaderboardPrivacy.initials.value:
        return initials(display_name)
    return HIDDEN_NAME


def public_user_id(user_id: uuid.UUID, *, hidden: bool, is_viewer: bool) -> uuid.UUID | None:
    """A member's user id as a board or archive shows it: None when the member is hidden and is not the viewer, so
    a hidden member cannot be linked to a profile from a board (PRODUCT.md §5 privacy)."""
    return None if hidden and not is_viewer else user_id


# ---------------------------------------------------------------------------------------------- SQL definition
_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_profiles: sa.Table = Profile.__table__  # type: ignore[attr-defined]
_totals: sa.Table = DailyPointTotal.__table__  # type: ignore[attr-defined]
_archives: sa.Table = LeaderboardArchive.__table__  # type: ignore[attr-defined]


def _membership(board: str) -> sa.ColumnElement[bool]:
    """Who is on `board`: a tier's profiles, or for OPEN the opted-in and tier-less ones; never banned/deleted."""
    if board == OPEN_TIER:
        on_board = sa.or_(_profiles.c.open_tier_opt_in == sa.true(), _profiles.c.tier_code.is_(None))
    else:
        on_board = _profiles.c.tier_code == board
    return sa.and_(on_board, _users.c.status.notin_(EXCLUDED_STATUSES))


def standings_query(
    board: str, period: Period, start: date | None, end: date | None, *, user_ids: Sequence[uuid.UUID] | None = None,
) -> sa.Select[Any]:
    """SELECT user_id, display_name, leaderboard_privacy, points, reached_at, active_days for every member of
    `board` in the period [start, end] (inclusive platform days; None/None = all-time). Points are earned points:
    Σ `daily_point_totals.points` over the period's days, or `users.points_earned` for all-time. `user_ids`
    restricts the rows to those members (still only if they are on the board)."""
    base = _profiles.join(_users, _users.c.id == _profiles.c.user_id)
    where = [_membership(board)]
    if user_ids is not None:
        where.append(_profiles.c.user_id.in_(list(user_ids)))
    if period == Period.alltime:
        points: Any = _users.c.points_earned
        reached: Any = _users.c.points_earned_at
        active: Any = _users.c.active_days
        source: Any = base
    else:
        day_filter = [_totals.c.platform_day >= start, _totals.c.platform_day <= end, _totals.c.points > 0]
        if user_ids is not None:
            day_filter.append(_totals.c.user_id.in_(list(user_ids)))
        per_member = (
            sa.select(
                _totals.c.user_id.label("user_id"),
                sa.func.sum(_totals.c.points).label("points"),
                sa.func.max(_totals.c.reached_at).label("reached_at"),
                sa.func.count().label("active_days"),
            )
            .where(*day_filter)
            .group_by(_totals.c.user_id)
            .subquery("period_totals")
        )
        points = sa.func.coalesce(per_member.c.points, 0)
        reached = per_member.c.reached_at
        active = sa.func.coalesce(per_member.c.active_days, 0)
        source = base.outerjoin(per_member, per_member.c.user_id == _profiles.c.user_id)
    return (
        sa.select(
            _profiles.c.user_id.label("user_id"),
            _profiles.c.display_name.label("display_name"),
            _profiles.c.leaderboard_privacy.label("privacy"),
            points.label("points"),
            reached.label("reached_at"),
            active.label("active_days"),
        )
        .select_from(source)
        .where(*where)
    )


def ranking_order(columns: Any) -> list[sa.ColumnElement[Any]]:
    """THE ranking (PRODUCT.md §5) as ORDER BY terms over a selectable with columns points, reached_at,
    active_days, user_id: points desc → reached_at asc, NULLs last → active_days desc → user_id asc."""
    return [
        columns.points.desc(),
        sa.case((columns.reached_at.is_(None), 1), else_=0),
        columns.reached_at.asc(),
        columns.active_days.desc(),
        columns.user_id.asc(),
    ]


def _ranked_cte(board: str, period: Period, start: date | None, end: date | None) -> sa.CTE:
    members = standings_query(board, period, start, end).subquery("members")
    return sa.select(
        members,
        sa.func.row_number().over(order_by=ranking_order(members.c)).label("board_rank"),
        sa.func.count().over().label("total_members"),
    ).cte("ranked")


# ------------------------------------------------------------------------------------------------- the board
def board_statement(board: str, period: Period, day: date, *, viewer_id: uuid.UUID | None, limit: int,
                    around: int) -> sa.Select[Any]:
    """The one SQL statement behind `get_board`: every member ranked with ROW_NUMBER() over `ranking_order`
    (plus COUNT(*) OVER () as `total_members`), keeping ranks 1..limit and the viewer's rank ± around, ordered by
    `board_rank`. Portable: SQLite, PostgreSQL and Oracle (CTE, window functions, no dialect-specific syntax)."""
    start, end = bounds(period, day)
    ranked = _ranked_cte(board, period, start, end)
    wanted: Any = ranked.c.board_rank <= limit
    if viewer_id is not None:
        viewer_rank = sa.select(ranked.c.board_rank).where(ranked.c.user_id == viewer_id).scalar_subquery()
        wanted = sa.or_(wanted, ranked.c.board_rank.between(viewer_rank - around, viewer_rank + around))
    return sa.select(ranked).where(wanted).order_by(ranked.c.board_rank)


def get_board(
    session: Session,
    *,
    board: str,
    period: Period,
    day: date,
    viewer_id: uuid.UUID | None = None,
    limit: int = DEFAULT_LIMIT,
    around: int = AROUND,
    store: BoardStore | None = None,
) -> Board:
    """The `board` (tier code or OPEN) for the `period` containing platform day `day`, as `viewer_id` sees it.

    Returns the top `limit` rows, the viewer's row and the rows `around` positions above and below it, and the
    member count. Reads from `store` when one is given (Redis sorted sets), else from the database; both give the
    same result. Raises InvalidInput for an unknown board, limit outside 1..10000 or around outside 0..100.
    Rule source: PRODUCT.md §5.
    """
    check_board(board)
    period = Period(period)
    _check_window(limit, around)
    if store is not None:
        return store.read_board(session, board=board, period=period, day=day, viewer_id=viewer_id, limit=limit,
                                around=around)
    return read_projection(session, board=board, period=period, day=day, viewer_id=viewer_id, limit=limit,
                           around=around)


def read_projection(session: Session, *, board: str, period: Period, day: date, viewer_id: uuid.UUID | None,
                    limit: int, around: int) -> Board:
    """The board read from the standings projection (`domain.competition.standings`, issue 12 §3): the top `limit`
    by an index range scan, the viewer's rank by an indexed count, names and privacy for the rows shown. The same
    `Board` as ranking every member with `board_statement`. Also the fallback of a read store that is unavailable
    (Redis down)."""
    ranked, total = standings.read_board(session, board=board, period=period, day=day, viewer_id=viewer_id,
                                         limit=limit, around=around)
    names = display_names(session, {r.user_id for r in ranked})
    rows = [(r.rank, r.user_id, *names.get(r.user_id, ("", LeaderboardPrivacy.hidden.value)), r.points,
             r.active_days) for r in ranked]
    return assemble_board(board, period, day, rows, total, viewer_id=viewer_id, limit=limit, around=around)


def display_names(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """user id → (display name, leaderboard privacy) for the given members (one query; {} for none)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        sa.select(_profiles.c.user_id, _profiles.c.display_name, _profiles.c.leaderboard_privacy)
        .where(_profiles.c.user_id.in_(ids))
    ).all()
    return {r.user_id: (r.display_name, r.leaderboard_privacy) for r in rows}


def assemble_board(
    board: str,
    period: Period,
    day: date,
    rows: Iterable[tuple[int, uuid.UUID, str, str, int, int]],
    total_members: int,
    *,
    viewer_id: uuid.UUID | None,
    limit: int,
    around: int,
) -> Board:
    """Build a `Board` from ranked rows `(rank, user_id, display_name, privacy, points, active_days)` covering at
    least ranks 1..limit and the viewer's window. Shared by the database and the Redis read paths."""
    entries: dict[int, BoardEntry] = {}
    for rank, user_id, display_name, privacy, points, active_days in rows:
        is_viewer = viewer_id is not None and user_id == viewer_id
        entries[rank] = BoardEntry(
            rank=rank, user_id=user_id, display_name=shown_name(display_name, privacy, is_viewer=is_viewer),
            points=points, active_days=active_days, is_viewer=is_viewer,
            hidden=privacy == LeaderboardPrivacy.hidden.value,
        )
    me = next((e for e in entries.values() if e.is_viewer), None)
    around_me: tuple[BoardEntry, ...] = ()
    if me is not None:
        around_me = tuple(entries[r] for r in sorted(entries) if me.rank - around <= r <= me.rank + around)
    start, end = bounds(period, day)
    return Board(
        board=board, period=period, period_start=start, period_end=end,
        entries=tuple(entries[r] for r in sorted(entries) if r <= limit), me=me, around_me=around_me,
        total_members=total_members,
    )


def board_standings(session: Session, *, board: str, period: Period, day: date,
                    user_ids: Sequence[uuid.UUID] | None = None) -> list[MemberStanding]:
    """Every member's raw standing on `board` for the period containing `day` (unordered), optionally only the
    members in `user_ids`. Used to (re)build the Redis copy."""
    start, end = bounds(period, day)
    rows = session.execute(standings_query(board, Period(period), start, end, user_ids=user_ids)).all()
    return [MemberStanding(r.user_id, int(r.points), r.reached_at, int(r.active_days)) for r in rows]


def boards_for_user(session: Session, user_id: uuid.UUID) -> list[str]:
    """The boards the member appears on (their tier and/or OPEN, `domain.accounts.tiers.boards_for`); [] when the member
    has no profile or is banned/deleted."""
    row = session.execute(
        sa.select(_profiles.c.tier_code, _profiles.c.open_tier_opt_in, _users.c.status)
        .select_from(_profiles.join(_users, _users.c.id == _profiles.c.user_id))
        .where(_profiles.c.user_id == user_id)
    ).first()
    if row is None or row.status in EXCLUDED_STATUSES:
        return []
    return boards_for(row.tier_code, bool(row.open_tier_opt_in))


def default_board(session: Session, user_id: uuid.UUID) -> str:
    """The board a member sees when they do not pick one: their tier board, else OPEN (no tier, no profile, or
    not on any board)."""
    boards = boards_for_user(session, user_id)
    return boards[0] if boards else OPEN_TIER


def boards_with_members(session: Session) -> list[str]:
    """Board codes that have at least one (non-banned, non-deleted) member, in BOARD_CODES order."""
    rows = session.execute(
        sa.select(_profiles.c.tier_code, _profiles.c.open_tier_opt_in)
        .select_from(_profiles.join(_users, _users.c.id == _profiles.c.user_id))
        .where(_users.c.status.notin_(EXCLUDED_STATUSES))
        .distinct()
    ).all()
    found = {b for r in rows for b in boards_for(r.tier_code, bool(r.open_tier_opt_in))}
    return [b for b in BOARD_CODES if b in found]


# ------------------------------------------------------------------------------------------------- archive
@dataclass(frozen=True)
class ArchiveDraft:
    """Final standings computed for one ended (board, period) before they are stored."""

    board: str
    period: Period
    period_start: date
    period_end: date
    standings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ArchiveSummary:
    board: str
    period: Period
    period_start: date
    period_end: date
    archived_at: datetime
    entries: int


@dataclass(frozen=True)
class ArchivedStanding:
    """One row of an archived board as a viewer sees it: names as shown when archived; `user_id` is None for a
    hidden member other than the viewer (`public_user_id`)."""

    rank: int
    user_id: uuid.UUID | None
    display_name: str
    points: int
    active_days: int


@dataclass(frozen=True)
class ArchivedBoard:
    """An archived board: summary plus `standings`, the stored list of
    `{"rank", "user_id", "display_name", "points", "active_days", "hidden"}` (top 100, names as shown then).
    Show it through `seen_by(viewer_id)`, which applies the privacy rule."""

    summary: ArchiveSummary
    standings: list[dict[str, Any]]

    def seen_by(self, viewer_id: uuid.UUID | None) -> list[ArchivedStanding]:
        """The standings as `viewer_id` may see them (hidden members' ids withheld from everyone else)."""
        rows = []
        for s in self.standings:
            user_id = uuid.UUID(str(s["user_id"]))
            rows.append(ArchivedStanding(
                rank=int(s["rank"]),
                user_id=public_user_id(user_id, hidden=bool(s.get("hidden")), is_viewer=user_id == viewer_id),
                display_name=str(s["display_name"]), points=int(s["points"]),
                active_days=int(s.get("active_days", 0)),
            ))
        return rows


@dataclass(frozen=True)
class ArchivePage:
    items: list[ArchiveSummary]
    page: int
    limit: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit)) if self.total else 0


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + (day.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def _archive_windows(today: date) -> dict[Period, date]:
    """The earliest period start each archived period type looks back to (bounded window)."""
    week_start = today - timedelta(days=today.weekday())
    return {
        Period.daily: today - timedelta(days=ARCHIVE_LOOKBACK_DAYS),
        Period.weekly: week_start - timedelta(weeks=ARCHIVE_LOOKBACK_WEEKS),
        Period.monthly: _month_start(today, ARCHIVE_LOOKBACK_MONTHS),
    }


def _plan_archives(session: Session, today: date) -> list[ArchiveDraft]:
    """Compute the final standings of every ended, not yet archived (board, period) within the look-back window
    (35 days, 6 weeks, 2 months before `today`, a platform day). A board-period is archived when the board has
    members and at least one of them earned points in the period (boards nobody scored on are not stored).
    Read-only; `_store_archives` writes the drafts."""
    windows = _archive_windows(today)
    lowest = min(windows.values())
    activity = session.execute(
        sa.select(_totals.c.platform_day, _profiles.c.tier_code, _profiles.c.open_tier_opt_in)
        .select_from(
            _totals.join(_profiles, _profiles.c.user_id == _totals.c.user_id)
            .join(_users, _users.c.id == _totals.c.user_id)
        )
        .where(_totals.c.platform_day >= lowest, _totals.c.platform_day < today, _totals.c.points > 0,
               _users.c.status.notin_(EXCLUDED_STATUSES))
        .distinct()
    ).all()
    candidates: set[tuple[str, Period, date, date]] = set()
    for day_, tier, opt_in in activity:
        for period in ARCHIVED_PERIODS:
            start, end = period_bounds(period, day_)
            if end < today and start >= windows[period]:
                for board in boards_for(tier, bool(opt_in)):
                    candidates.add((board, period, start, end))
    if not candidates:
        return []
    existing = {
        (r.tier_code, r.period, r.period_start)
        for r in session.execute(
            sa.select(_archives.c.tier_code, _archives.c.period, _archives.c.period_start)
            .where(_archives.c.period_start >= lowest)
        ).all()
    }
    drafts = []
    for board, period, start, end in sorted(candidates, key=lambda c: (c[2], c[1].value, c[0])):
        if (board, period.value, start) in existing:
            continue
        result = get_board(session, board=board, period=period, day=start, limit=ARCHIVE_SIZE)
        drafts.append(ArchiveDraft(board, period, start, end, [_standing_json(e) for e in result.entries]))
    return drafts


def _standing_json(entry: BoardEntry) -> dict[str, Any]:
    return {"rank": entry.rank, "user_id": str(entry.user_id), "display_name": entry.display_name,
            "points": entry.points, "active_days": entry.active_days, "hidden": entry.hidden}


def _store_archives(session: Session, drafts: Iterable[ArchiveDraft], clock: Clock = utcnow) -> int:
    """Insert each draft as a `LeaderboardArchive` row unless one exists (unique board, period, period_start);
    a concurrent archiver's row wins (the insert runs in a savepoint and its IntegrityError is absorbed).
    Returns how many rows this call inserted. Nothing is committed here."""
    inserted = 0
    for draft in drafts:
        exists = session.execute(
            sa.select(_archives.c.id).where(
                _archives.c.tier_code == draft.board, _archives.c.period == draft.period.value,
                _archives.c.period_start == draft.period_start)
        ).first()
        if exists is not None:
            continue
        try:
            with session.begin_nested():
                session.add(LeaderboardArchive(
                    tier_code=draft.board, period=draft.period.value, period_start=draft.period_start,
                    period_end=draft.period_end, standings=draft.standings, archived_at=clock(),
                ))
        except sa.exc.IntegrityError:
            continue
        inserted += 1
    return inserted


def archive_ended_periods(read: SessionFactory, write: SessionFactory, today: date, clock: Clock = utcnow) -> int:
    """Archive the final top-100 standings of every board for each daily/weekly/monthly period that ended before
    platform day `today` and is not archived yet (look-back: 35 days, 6 weeks, 2 months). PRODUCT.md §5.

    Two transactions, by design: the standings are computed in a `read()` session (no write lock while the boards
    are ranked), then inserted in a short `write()` session that commits on exit (on SQLite the write lock is held
    only for the inserts). `read`/`write` are session factories used as context managers, e.g.
    `app.adapters.db.read_session` and `app.adapters.db.write_session`. Idempotent and safe to run concurrently (unique
    board, period, period_start; a concurrent archiver's row wins). Returns the number of archives this call wrote."""
    with read() as session:
        drafts = _plan_archives(session, today)
    if not drafts:
        return 0
    with write() as session:
        return _store_archives(session, drafts, clock)


def _summary(row: LeaderboardArchive) -> ArchiveSummary:
    return ArchiveSummary(board=row.tier_code, period=Period(row.period), period_start=row.period_start,
                          period_end=row.period_end, archived_at=row.archived_at, entries=len(row.standings or []))


def list_archives(
    session: Session, board: str | None = None, period: Period | None = None, page: int = 1, limit: int = 20,
) -> ArchivePage:
    """Archived boards, newest period first, optionally for one board and/or period. `page` ≥ 1, `limit` 1..100
    (InvalidInput otherwise)."""
    if page < 1:
        raise InvalidInput("page must be 1 or more", field="page")
    if not 1 <= limit <= 100:
        raise InvalidInput("limit must be between 1 and 100", field="limit")
    conditions: list[sa.ColumnElement[bool]] = []
    if board is not None:
        conditions.append(_archives.c.tier_code == check_board(board))
    if period is not None:
        if Period(period) == Period.alltime:
            raise InvalidInput("all-time boards are never archived", field="period")
        conditions.append(_archives.c.period == Period(period).value)
    total = int(session.execute(sa.select(sa.func.count()).select_from(_archives).where(*conditions)).scalar_one())
    rows = session.exec(
        select(LeaderboardArchive).where(*conditions)
        .order_by(_archives.c.period_start.desc(), _archives.c.period, _archives.c.tier_code)
        .offset((page - 1) * limit).limit(limit)
    ).all()
    return ArchivePage(items=[_summary(r) for r in rows], page=page, limit=limit, total=total)


def get_archive(session: Session, board: str, period: Period, period_start: date) -> ArchivedBoard:
    """One archived board. Raises InvalidInput for an unknown board, NotFound when that period is not archived."""
    check_board(board)
    row = session.exec(
        select(LeaderboardArchive).where(
            _archives.c.tier_code == board, _archives.c.period == Period(period).value,
            _archives.c.period_start == period_start)
    ).first()
    if row is None:
        raise NotFound(f"no archived {Period(period).value} standings for {board} starting {period_start}")
    return ArchivedBoard(summary=_summary(row), standings=list(row.standings or []))
