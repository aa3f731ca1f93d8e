"""Engine and session handling for SQLite (WAL, `BEGIN IMMEDIATE` for writes), PostgreSQL and Oracle (pooled).

`Database` (one per `app.system.System`) gives read sessions and write transactions (units of work).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.shared.events import DomainEvent
from domain.shared.uow import UnitOfWork

DEFAULT_POOL_SIZE = 10
POOL_OVERFLOW = 4  # a few connections beyond the pool for a thread that briefly holds two (issue 12 §1)


def create_db_engine(url: str, *, pool_size: int | None = None, pool_timeout: float | None = None) -> Engine:
    """Build an engine for `url` with the per-dialect settings FitTrack relies on.

    `pool_size` (connections kept; default 10) and `pool_timeout` (seconds a thread waits for a free connection
    before `sqlalchemy.exc.TimeoutError`; default 30) come from `Settings.capacity_pool_size` and
    `DB_POOL_TIMEOUT_SECONDS` in the app (`app.system.build_system`): the pool is sized for every thread that may hold
    a connection at once, so no thread waits for one (issue 12 §1). In-memory SQLite keeps SQLAlchemy's own pool."""
    size = pool_size or DEFAULT_POOL_SIZE
    pooling: dict[str, Any] = {"pool_size": size, "max_overflow": POOL_OVERFLOW}
    if pool_timeout is not None:
        pooling["pool_timeout"] = pool_timeout
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            pooling = {}
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=lambda obj: json.dumps(obj, default=str),
            **pooling,
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
        return sa.create_engine(url, pool_pre_ping=True, json_deserializer=json.loads, **pooling)
    return sa.create_engine(url, pool_pre_ping=True, **pooling)


class Database:
    """The database behind one `System`: its engine and sessions (PRODUCT.md §2 run modes).

    - `read()`: a session for reads; objects stay usable after it closes (`expire_on_commit=False`).
    - `transaction()`: a `UnitOfWork` (a session that records domain events) for one write transaction: on SQLite
      it takes the write lock up front (`BEGIN IMMEDIATE`), so read-then-write sequences cannot race; on
      PostgreSQL/Oracle the services take row locks (`SELECT … FOR UPDATE`) themselves. Committed on success,
      rolled back on any exception. After-commit effects are `System.uow`'s job, not this one's."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_bind = (engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite"
                            else engine)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int | None = None, pool_timeout: float | None = None) -> Database:
        """A `Database` on a new engine for `url` (`create_db_engine`, with its pool settings)."""
        return cls(create_db_engine(url, pool_size=pool_size, pool_timeout=pool_timeout))

    @property
    def dialect(self) -> str:
        """`sqlite`, `postgresql` or `oracle`."""
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads (objects stay usable after it closes)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def transaction(self, policy: Callable[[UnitOfWork, DomainEvent], None] | None = None) -> Iterator[UnitOfWork]:
        """One write transaction as a `UnitOfWork` (with `policy` run for every recorded event): committed on
        success, rolled back on error (no partial writes). The recorded events stay on the returned object
        (`uow.events`) for the caller to dispatch."""
        with UnitOfWork(self._write_bind, policy=policy) as uow:
            try:
                yield uow
                uow.commit()
            except BaseException:
                uow.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
