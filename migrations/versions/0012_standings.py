"""Leaderboards at scale (issue 12 §3): `board_standings`, the standings projection per board × period × member
(points, time reached, active days) with the ranking as an index, and `ix_users_status` (the banned / deleted
members a board leaves out are found by index). Online upgrades fill the projection from the existing data
(`domain.competition.standings.rebuild`); an offline (`--sql`, Oracle) script creates it empty — run
`python -m app.cli.standings rebuild` once after applying it.

Revision ID: 0012_standings
Revises: 0011_admin
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from domain.shared.types import GUID, UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0012_standings"
down_revision: str | Sequence[str] | None = "0011_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board_standings",
        sa.Column("board", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("user_id", GUID(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reached_at", UTCDateTime(), nullable=False),
        sa.Column("active_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("board", "period", "period_start", "user_id", name=op.f("pk_board_standings")),
    )
    op.create_index(
        "ix_board_standings_rank", "board_standings",
        ["board", "period", "period_start", sa.text("points DESC"), "reached_at", sa.text("active_days DESC"),
         "user_id"],
        unique=False,
    )
    op.create_index("ix_board_standings_user_id", "board_standings", ["user_id"], unique=False)
    op.create_index("ix_users_status", "users", ["status", "id"], unique=False)
    if not context.is_offline_mode():
        from domain.competition import standings

        standings.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_users_status", table_name="users")
    op.drop_index("ix_board_standings_user_id", table_name="board_standings")
    op.drop_index("ix_board_standings_rank", table_name="board_standings")
    op.drop_table("board_standings")
