"""Sweepstakes (issue 6): purchases, free entries, notifications, fulfillment reminders.

Revision ID: 0008_sweepstakes
Revises: 0007_terra_sync
"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0008_sweepstakes"
down_revision: str | Sequence[str] | None = "0007_terra_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # no schema change yet


def downgrade() -> None:
    pass
