"""Shared fixtures: a fresh SQLite file database per test (the app's default), a real PostgreSQL database on the
local server (started if it is down; a missing server is an error, never a skip), and app settings pointing at them.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app import db
from app.api import api_router
from app.api.problems import install_problem_handlers
from app.settings import get_settings
from tests.support.schema import create_schema

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _ensure_postgres_running() -> None:
    try:
        sa.create_engine(PG_ADMIN_URL).connect().close()
        return
    except sa.exc.OperationalError:
        pass
    versions = sorted(Path("/etc/postgresql").iterdir()) if Path("/etc/postgresql").exists() else []
    if not versions:
        raise RuntimeError("PostgreSQL is not installed: the tests need the local PostgreSQL server")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "start"], check=True)
    sa.create_engine(PG_ADMIN_URL).connect().close()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the local PostgreSQL server, started if needed."""
    _ensure_postgres_running()
    return PG_ADMIN_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fittrack-test.db'}"


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"fittrack_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _engine_with_schema(url: str) -> Iterator[Engine]:
    engine = db.create_db_engine(url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    yield from _engine_with_schema(sqlite_url)


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    yield from _engine_with_schema(pg_url)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same test on a SQLite file and on the local PostgreSQL server."""
    return request.getfixturevalue({"sqlite": "sqlite_engine", "postgres": "pg_engine"}[request.param])


@pytest.fixture(autouse=True)
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Point the app at a fresh SQLite database and temp var/ paths for every test (before `user` runs main)."""
    var = tmp_path / "var"
    var.mkdir()
    monkeypatch.setenv("ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{var / 'app.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("JWT_PRIVATE_KEY_PATH", str(var / "jwt_private.pem"))
    monkeypatch.setenv("JWT_PUBLIC_KEY_PATH", str(var / "jwt_public.pem"))
    monkeypatch.setenv("HUEY_SQLITE_PATH", str(var / "huey.db"))
    monkeypatch.setenv("TERRA_SIGNING_SECRET", "test-signing-secret")
    get_settings.cache_clear()
    db.reset_engine()
    create_schema(db.get_engine())
    yield var
    db.reset_engine()
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The JSON API routers on a bare FastAPI app (no pages), on a fresh SQLite file or PostgreSQL database."""
    if request.param == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
        get_settings.cache_clear()
        db.reset_engine()
        create_schema(db.get_engine())
    api = FastAPI()
    install_problem_handlers(api)
    api.include_router(api_router)
    with TestClient(api) as test_client:
        yield test_client
    db.reset_engine()
