"""Refresh tokens for the JSON API: `refresh_tokens` (issue 4; notes/reliability.md §5.2, RFC 9700 §4.14.2).

One row per opaque refresh token; only its SHA-256 (hex) is stored. A sign-in starts a *family*; every rotation adds
the successor row to the same family and marks the presented row used. `family_expires_at` is absolute (30 days from
the family's first sign-in) and is copied unchanged to every successor, so rotation never extends a family.
"""

from __future__ import annotations

from domain.models._base import Field, SQLModel, datetime, fk, id_field, sa, text, ts, uuid, uuid_col
from domain.shared.types import GUID


class RefreshToken(SQLModel, table=True):
    """A refresh token. Usable while `used_at` and `revoked_at` are NULL and `expires_at` is in the future;
    `replaced_by` is the id of the successor issued when it was rotated."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk("users.id")
    family_id: uuid.UUID = Field(sa_column=sa.Column(GUID(), nullable=False, index=True))
    token_hash: str = text(64, unique=True)
    issued_at: datetime = ts(nullable=False, now=True)
    expires_at: datetime = ts(nullable=False)
    family_expires_at: datetime = ts(nullable=False)
    used_at: datetime | None = ts()
    revoked_at: datetime | None = ts()
    replaced_by: uuid.UUID | None = uuid_col()
