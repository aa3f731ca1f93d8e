"""Shared column helpers for the SQLModel tables (Oracle-safe types, PRODUCT.md §2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from domain.shared.types import GUID, NAMING_CONVENTION, JSONType, UTCDateTime, utcnow

SQLModel.metadata.naming_convention = NAMING_CONVENTION


def id_field() -> Any:
    """A UUID primary key generated in Python (RAW(16) on Oracle)."""
    return Field(default_factory=uuid.uuid4, sa_column=sa.Column(GUID(), primary_key=True))


def fk(target: str, *, nullable: bool = False, index: bool = True, ondelete: str | None = None) -> Any:
    """A UUID foreign key column to `target` (e.g. `"users.id"`)."""
    return Field(
        default=None if nullable else ...,
        sa_column=sa.Column(GUID(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


def uuid_col(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(GUID(), nullable=nullable, index=index))


def text(length: int, *, nullable: bool = False, default: Any = None, index: bool = False, unique: bool = False) -> Any:
    """A bounded string column (`VARCHAR2(n CHAR)` on Oracle)."""
    col = sa.Column(sa.String(length), nullable=nullable, index=index, unique=unique)
    if default is None and nullable:
        return Field(default=None, sa_column=col)
    return Field(default=default, sa_column=col) if default is not None else Field(sa_column=col)


def clob(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Text(), nullable=nullable))


def ts(*, nullable: bool = True, index: bool = False, now: bool = False) -> Any:
    """A timezone-aware UTC timestamp column; `now=True` defaults it to the current time."""
    col: sa.Column[datetime] = sa.Column(UTCDateTime(), nullable=nullable, index=index)
    if now:
        return Field(default_factory=utcnow, sa_column=col)
    return Field(default=None, sa_column=col)


def day(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Date(), nullable=nullable, index=index))


def integer(default: int | None = 0, *, nullable: bool = False, big: bool = False) -> Any:
    kind = sa.BigInteger() if big else sa.Integer()
    return Field(default=default, sa_column=sa.Column(kind, nullable=nullable, server_default=None))


def number(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Float(), nullable=nullable))


def flag(default: bool = False) -> Any:
    return Field(default=default, sa_column=sa.Column(sa.Boolean(), nullable=False))


def json_col(*, nullable: bool = True, default_factory: Any = None) -> Any:
    if default_factory is not None:
        return Field(default_factory=default_factory, sa_column=sa.Column(JSONType(), nullable=nullable))
    return Field(default=None, sa_column=sa.Column(JSONType(), nullable=nullable))


__all__ = [
    "SQLModel", "Field", "sa", "uuid", "date", "datetime", "id_field", "fk", "uuid_col", "text", "clob", "ts",
    "day", "integer", "number", "flag", "json_col", "utcnow",
]
