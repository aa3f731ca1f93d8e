"""Admin (issue 7, PRODUCT.md §7): `task_runs`, the last run of each Huey task (system page); `sponsors.name_key`,
the lower-cased name under a unique constraint, so two admins creating the same sponsor at once cannot both win.

Revision ID: 0011_admin
Revises: 0010_fulfillment_reminders
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.shared.types import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0011_admin"
down_revision: str | Sequence[str] | None = "0010_fulfillment_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_runs",
        sa.Column("task_name", sa.String(length=128), nullable=False),
        sa.Column("last_started_at", UTCDateTime(), nullable=True),
        sa.Column("last_finished_at", UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_name", name=op.f("pk_task_runs")),
    )
    with op.batch_alter_table("sponsors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=128), nullable=True))
    op.execute(sa.text("UPDATE sponsors SET name_key = LOWER(TRIM(name))"))
    with op.batch_alter_table("sponsors", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=128), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_sponsors_name_key"), ["name_key"])


def downgrade() -> None:
    with op.batch_alter_table("sponsors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sponsors_name_key"), type_="unique")
        batch_op.drop_column("name_key")
    op.drop_table("task_runs")
