"""Engine and session handling for SQLite (WAL, `BEGIN IMMEDIATE` for writes), PostgreSQL and Oracle (pooled).

Use `read_session()` for reads and `write_session()` for any transaction that writes: on SQLite it takes the write
lock up front (`BEGIN IMMEDIATE`), so read-then-write sequences cannot race; on PostgreSQL/Oracle the services take
row locks (`SELECT … FOR UPDATE`) themselves. Both commit on success and roll back on any exception.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.settings import get_settings


def create_db_engine(url: str) -> Engine:
    """Build an engine for `url` with the per-dialect settings FitTrack relies on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=lambda obj: json.dumps(obj, default=str),
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy's pysqlite recipe)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: leaderboard aggregates
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("oracle"):
        return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_deserializer=json.loads)
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@functools.cache
def get_engine() -> Engine:
    """The process-wide engine for `DATABASE_URL`."""
    return create_db_engine(get_settings().database_url)


def reset_engine() -> None:
    """Dispose of the cached engine (tests switch databases between runs)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reads; objects stay usable after it closes (`expire_on_commit=False`)."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one write transaction: committed on success, rolled back on error (no partial writes)."""
    engine = engine or get_engine()
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
