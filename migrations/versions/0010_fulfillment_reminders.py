"""Fulfillment reminders (issue 6, PRODUCT.md §6: a reminder at day 7 of the 14-day address window):
`prize_fulfillments.reminder_sent_at`.

Revision ID: 0010_fulfillment_reminders
Revises: 0009_notifications
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.shared.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0010_fulfillment_reminders"
down_revision: str | Sequence[str] | None = "0009_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prize_fulfillments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_sent_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prize_fulfillments", schema=None) as batch_op:
        batch_op.drop_column("reminder_sent_at")
