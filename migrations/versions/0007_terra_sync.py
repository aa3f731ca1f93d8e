"""Terra sync (issue 5): connection sync bookkeeping and the circuit-breaker state.

Revision ID: 0007_terra_sync
Revises: 0006_refresh_tokens
"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0007_terra_sync"
down_revision: str | Sequence[str] | None = "0006_refresh_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # no schema change yet


def downgrade() -> None:
    pass
