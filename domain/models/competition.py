"""The leaderboard standings projection (issue 12 §3): one row per board × period × member, maintained in the same
transaction as the points (`domain.competition.standings`) and rebuildable from the ledger's projections
(`daily_point_totals`, the cached totals on `users`)."""

from __future__ import annotations

from domain.models._base import Field, SQLModel, date, datetime, integer, sa, uuid
from domain.shared.types import GUID, UTCDateTime


class BoardStanding(SQLModel, table=True):
    """A member's standing on one board (tier code or OPEN) in one period (`period` = daily / weekly / monthly /
    alltime; `period_start` = the period's first platform day, 1970-01-01 for all-time).

    `points` are points earned in the period; `reached_at` is when that total was reached (the tie-break; the far
    future `domain.competition.standings.NEVER` when never, so an ascending index puts those last on every database);
    `active_days` are days with points in the period. Period rows exist only for members with points in the period;
    all-time rows exist for every member on the board (0 points included). The member's status (banned / deleted
    members are left out) is applied when reading, not stored."""

    __tablename__ = "board_standings"

    board: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    period: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    period_start: date = Field(sa_column=sa.Column(sa.Date(), primary_key=True))
    user_id: uuid.UUID = Field(sa_column=sa.Column(GUID(), primary_key=True))
    points: int = integer(0)
    reached_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    active_days: int = integer(0)


_table: sa.Table = BoardStanding.__table__  # type: ignore[attr-defined]
# The ranking (PRODUCT.md §5) as an index: top N is a range scan, a rank is a range count.
sa.Index("ix_board_standings_rank", _table.c.board, _table.c.period, _table.c.period_start, _table.c.points.desc(),
         _table.c.reached_at, _table.c.active_days.desc(), _table.c.user_id)
sa.Index("ix_board_standings_user_id", _table.c.user_id)
