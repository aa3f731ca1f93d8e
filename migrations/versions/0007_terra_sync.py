"""Terra sync (issue 5): sync bookkeeping on `tracker_connections` — when the 15-minute poll next fetches a
connection (`next_sync_at`, indexed with `status` for the due-connections query), the last attempt, consecutive
failures and the last error, and when the first 30-day backfill succeeded.

Revision ID: 0007_terra_sync
Revises: 0006_refresh_tokens
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.shared.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0007_terra_sync"
down_revision: str | Sequence[str] | None = "0006_refresh_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracker_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_sync_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_sync_attempt_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("sync_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_sync_error", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("backfill_done_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_tracker_connections_due", ["status", "next_sync_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracker_connections", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_connections_due")
        batch_op.drop_column("backfill_done_at")
        batch_op.drop_column("last_sync_error")
        batch_op.drop_column("sync_failures")
        batch_op.drop_column("last_sync_attempt_at")
        batch_op.drop_column("next_sync_at")
