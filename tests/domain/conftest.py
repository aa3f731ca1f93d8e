"""Fixtures of the domain tests: every test System has FitTrack's tasks registered (as every production entry point
has), so after-commit effects enqueue their jobs (mail sends, backfills) by name instead of failing; and empty
databases for the migration tests (every other test gets a database already at head from `tests/conftest.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.system import System
from tasks import register_tasks


@pytest.fixture(autouse=True)
def registered_tasks(request: pytest.FixtureRequest, system: System) -> None:
    """Register the tasks on this test's System(s): `system`, and `db_system` / `pg_system` when the test uses them
    (no consumer runs: enqueued jobs wait in the test's own queue). A System registers its tasks once."""
    done: set[int] = set()
    if "user" in request.fixturenames:
        done.add(id(system))  # the `user` fixture registers them on `system` itself
    for name in ("system", "db_system", "pg_system"):
        if name in request.fixturenames:
            target: System = request.getfixturevalue(name)
            if id(target) not in done:
                register_tasks(target)
                done.add(id(target))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a new, empty SQLite file."""
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def empty_pg_url(pg_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server (not cloned from the migrated template), dropped after."""
    name = f"fittrack_empty_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL: a new SQLite file, or a new database on the local PostgreSQL server."""
    return str(request.getfixturevalue({"sqlite": "sqlite_url", "postgres": "empty_pg_url"}[request.param]))
