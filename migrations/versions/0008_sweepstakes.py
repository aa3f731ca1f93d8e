"""Sweepstakes (issue 6): ticket purchases (idempotency record), free alternate entries (one per member per drawing,
enforced by UNIQUE(drawing_id, user_id)), and two drawing timestamps (`rules_frozen_at` at open, `drawn_at`).

Revision ID: 0008_sweepstakes
Revises: 0007_terra_sync
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.shared.types import GUID, UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0008_sweepstakes"
down_revision: str | Sequence[str] | None = "0007_terra_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("drawings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rules_frozen_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("drawn_at", UTCDateTime(), nullable=True))
    op.create_table(
        "ticket_purchases",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("user_id", GUID(), nullable=False),
        sa.Column("drawing_id", GUID(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points_spent", sa.Integer(), nullable=False),
        sa.Column("transaction_id", GUID(), nullable=False),
        sa.Column("first_ticket_number", sa.Integer(), nullable=False),
        sa.Column("last_ticket_number", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["drawing_id"], ["drawings.id"], name=op.f("fk_ticket_purchases_drawing_id_drawings")),
        sa.ForeignKeyConstraint(["transaction_id"], ["point_transactions.id"],
                                name=op.f("fk_ticket_purchases_transaction_id_point_transactions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ticket_purchases_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_purchases")),
        sa.UniqueConstraint("user_id", "idempotency_key", name=op.f("uq_ticket_purchases_user_id_idempotency_key")),
    )
    with op.batch_alter_table("ticket_purchases", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_purchases_drawing", ["drawing_id"], unique=False)
    op.create_table(
        "free_entries",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("drawing_id", GUID(), nullable=False),
        sa.Column("user_id", GUID(), nullable=False),
        sa.Column("ticket_id", GUID(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["drawing_id"], ["drawings.id"], name=op.f("fk_free_entries_drawing_id_drawings")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_free_entries_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_free_entries_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_free_entries")),
        sa.UniqueConstraint("drawing_id", "user_id", name=op.f("uq_free_entries_drawing_id_user_id")),
    )
    with op.batch_alter_table("free_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_free_entries_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("free_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_free_entries_user_id"))
    op.drop_table("free_entries")
    with op.batch_alter_table("ticket_purchases", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_purchases_drawing")
    op.drop_table("ticket_purchases")
    with op.batch_alter_table("drawings", schema=None) as batch_op:
        batch_op.drop_column("drawn_at")
        batch_op.drop_column("rules_frozen_at")
