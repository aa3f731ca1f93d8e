"""Portable column types (PRODUCT.md §2, notes/reliability.md §3).

- `GUID`: UUIDs as `RAW(16)` on Oracle, native `UUID` on PostgreSQL, `CHAR(32)` on SQLite.
- `UTCDateTime`: timestamps stored in UTC (`TIMESTAMP WITH TIME ZONE` on Oracle/PostgreSQL); values read back are
  always timezone-aware UTC, whatever the driver returns.
- `JSONType`: SQLAlchemy's JSON (native on Oracle 23ai with SQLAlchemy 2.1).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class GUID(TypeDecorator[uuid.UUID]):
    """UUID column: `RAW(16)` on Oracle (16 raw bytes), the dialect's UUID type elsewhere."""

    impl = sa.Uuid
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "oracle":
            return dialect.type_descriptor(oracle.RAW(16))
        return dialect.type_descriptor(sa.Uuid())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        return value.bytes if dialect.name == "oracle" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, bytes | bytearray):
            return uuid.UUID(bytes=bytes(value))
        return uuid.UUID(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps. Naive datetimes are refused on write (they are a bug, not a UTC value)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "oracle":
            return dialect.type_descriptor(oracle.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
