"""Shared fixtures. The suite's speed comes from here (issue 11 §7):

- one RSA key pair per session (`session_keys`) and cheap Argon2 parameters (`tests.support.system`);
- SQLite: a per-process migrated template copied into each test's fresh database file (`tests.support.schema`);
- PostgreSQL: one database per session and xdist worker, migrated once (`pg_database`) and emptied with one
  `TRUNCATE` before each test that uses it (`pg_url`) — a database per test cost 0.5 s of set-up and tear-down;
- one FastAPI app for the API tests (`api_app`) and one NiceGUI app for the page tests (`nicegui_app`) per session;
  each test hands them its own fresh `System` (`app.state.system`);
- per-xdist-worker PostgreSQL and Redis databases, so workers never share state.

Every test gets a fresh SQLite `System` (`system`, autouse), made current for helpers that take none
(`tests.support.system.current`). `db_system` runs a test on SQLite and on PostgreSQL; `pg_system` on PostgreSQL.
A missing PostgreSQL or Redis server is started, never skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nicegui import core, ui
from nicegui.client import Client
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing import User

from app.adapters.db import create_db_engine
from app.api import api_router
from app.security.jwt import KeyPair, ensure_keys
from app.system import System
from app.web.problems import install_problem_handlers
from tasks import register_tasks
from tests.support import system as test_system
from tests.support.schema import create_schema

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
# Unique per pytest session (xdist gives all workers of a run the same id), so concurrent sessions never share or drop
# each other's template database.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or f"p{os.getpid()}"
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0) if WORKER.startswith("gw") else 0
STORAGE_SECRET = "test-storage-secret"


# --- scheduling ------------------------------------------------------------------------------------------------
# The longest modules (measured: `make test` prints no durations; run `pytest --durations=25`) start first, so the
# xdist workers (`--dist loadfile`: one module per worker) finish together instead of one worker running the longest
# module last while the others idle.
SLOW_FIRST = (
    "tests/integration/test_seed.py", "tests/integration/test_replay.py", "tests/browser/test_admin_flow.py",
    "tests/browser/test_sweepstakes_flow.py", "tests/domain/test_ledger_stateful.py",
    "tests/browser/test_registration_flow.py", "tests/browser/test_shell.py", "tests/domain/test_points_properties.py",
    "tests/integration/test_leaderboard_store.py", "tests/browser/test_live_leaderboard.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the collected tests so that the modules in `SLOW_FIRST` come first (in that order); the rest keep
    their order."""
    rank = {path: index for index, path in enumerate(SLOW_FIRST)}

    def key(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return rank.get(path, len(rank))

    items.sort(key=key)  # stable: tests within a module keep their order


# --- servers ---------------------------------------------------------------------------------------------------
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


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[tuple[str, str]]:
    """This xdist worker's PostgreSQL database, migrated to head once per session, and the statement that empties it
    between tests (every table but `alembic_version`, identities restarted). Dropped at the end of the session."""
    name = f"fittrack_{RUN_ID}_{WORKER}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(_pg_url(name))
    create_schema(engine)
    with engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename").scalars().all()
    engine.dispose()
    yield _pg_url(name), f"TRUNCATE TABLE {', '.join(tables)} RESTART IDENTITY CASCADE"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def pg_url(pg_server: str, pg_database: tuple[str, str]) -> str:
    """The worker's PostgreSQL database at head, emptied for this test: connections a previous test left open are
    ended, then every table is truncated (TRUNCATE fires no row triggers, so the append-only tables empty too). Far
    cheaper than a database per test."""
    url, truncate = pg_database
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        conn.exec_driver_sql(truncate)
    engine.dispose()
    return url


@pytest.fixture
def redis_url() -> str:
    """A Redis database of this xdist worker's own (10 + worker index), flushed before the test."""
    url = f"{REDIS_BASE_URL}/{10 + WORKER_INDEX % 6}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


# --- the System ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def session_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    """One RSA-3072 key pair for the whole session (every test System signs and verifies with it)."""
    folder = tmp_path_factory.mktemp("keys")
    settings = test_system.make_settings(folder, "sqlite://")
    return ensure_keys(settings)


@pytest.fixture(autouse=True)
def system(tmp_path: Path, session_keys: KeyPair) -> Iterator[System]:
    """A fresh SQLite file database at head and a System on it (made current); closed after the test."""
    var = tmp_path / "var"
    var.mkdir()
    built = test_system.make_system(test_system.make_settings(var, f"sqlite:///{var / 'app.db'}"), session_keys)
    create_schema(built.db.engine)
    test_system.use(built)
    yield built
    test_system.use(None)
    built.close()


@pytest.fixture
def system_factory(tmp_path: Path, session_keys: KeyPair, system: System) -> Iterator[Callable[..., System]]:
    """Build extra Systems with settings overrides (`system_factory(redis_url=..., env=Env.prod)`); the last one
    built becomes current; all are closed after the test. The database defaults to this test's SQLite file."""
    built: list[System] = []

    def build(**overrides: Any) -> System:
        var = tmp_path / f"var-{len(built) + 1}"
        var.mkdir()
        overrides.setdefault("database_url", system.settings.database_url)
        extra = test_system.make_system(test_system.make_settings(var, **overrides), session_keys)
        built.append(extra)
        test_system.use(extra)
        return extra

    yield build
    test_system.use(system)
    for extra in built:
        extra.close()


@pytest.fixture
def pg_system(pg_url: str, tmp_path: Path, session_keys: KeyPair, system: System) -> Iterator[System]:
    """A System on a fresh PostgreSQL database (made current for the test)."""
    var = tmp_path / "pg-var"
    var.mkdir()
    built = test_system.make_system(test_system.make_settings(var, pg_url), session_keys)
    test_system.use(built)
    yield built
    test_system.use(system)
    built.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_system(request: pytest.FixtureRequest, system: System) -> System:
    """The same test on a SQLite file and on the local PostgreSQL server."""
    if request.param == "sqlite":
        return system
    return request.getfixturevalue("pg_system")  # type: ignore[no-any-return]


# --- one app per session, a System per test --------------------------------------------------------------------
@pytest.fixture(scope="session")
def api_app() -> FastAPI:
    """The JSON API routers on a bare FastAPI app (no pages), built once per session."""
    api = FastAPI()
    install_problem_handlers(api)
    api.include_router(api_router)
    return api


@pytest.fixture
def client(api_app: FastAPI, db_system: System) -> Iterator[TestClient]:
    """A test client of the API app on this test's System (SQLite and PostgreSQL)."""
    api_app.state.system = db_system
    with TestClient(api_app) as test_client:
        yield test_client


def _patch_simulated_emit(self: User) -> None:
    """NiceGUI's simulated browser answers `run_javascript` by reading its own attributes on every outgoing message,
    and every attribute read of a `User` makes it the target of the global `ui.navigate`. A background update in one
    browser (a timer, a live push) could therefore steal the navigation that signing in starts in another browser.
    This version reads the attributes once, when the page is opened, so only the test's own calls move the target."""
    client = self._client
    rules = self.javascript_rules  # the same dict: rules added later still apply
    original_emit = client.outbox._emit

    async def simulated_emit(message: Any) -> None:
        await original_emit(message)
        _, type_, data = message
        if type_ == "run_javascript":
            for rule, result in rules.items():
                match = rule.match(data["code"])
                if match:
                    client.handle_javascript_response({"request_id": data["request_id"], "result": result(match)})

    client.outbox._emit = simulated_emit  # type: ignore[method-assign]


User._patch_outbox_emit_function = _patch_simulated_emit  # type: ignore[method-assign]


@pytest.fixture(scope="session")
async def nicegui_app(tmp_path_factory: pytest.TempPathFactory, session_keys: KeyPair) -> AsyncIterator[System]:
    """NiceGUI's app with every route, page and task of FitTrack, installed and started once per session (user
    simulation, no server). Yields the bootstrap System whose pub/sub the live-push listener uses."""
    from app import main

    os.environ["NICEGUI_USER_SIMULATION"] = "true"
    var = tmp_path_factory.mktemp("nicegui-app")
    bootstrap = test_system.make_system(test_system.make_settings(var, f"sqlite:///{var / 'bootstrap.db'}"),
                                        session_keys)
    main.install(bootstrap, consumer=False)
    ui.run(storage_secret=STORAGE_SECRET, title="FitTrack", reload=False, show=False,
           fastapi_docs=main.FASTAPI_DOCS, endpoint_documentation="none")
    async with core.app.router.lifespan_context(core.app):
        yield bootstrap
    os.environ.pop("NICEGUI_USER_SIMULATION", None)


@pytest.fixture
async def user(nicegui_app: System, system: System, caplog: pytest.LogCaptureFixture) -> AsyncIterator[User]:
    """A simulated browser user of the session's NiceGUI app, on this test's fresh System (tasks registered, the
    live-push pub/sub shared with the app's listener). Fails the test on ERROR logs, like NiceGUI's own fixture."""
    system.pubsub = nicegui_app.pubsub
    register_tasks(system)
    core.app.state.system = system
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test") as http:
            yield User(http)
    finally:
        ui.navigate = Navigate()
        ui.notify = notify
        ui.download = download
        for client in list(Client.instances.values()):
            client.delete()
    errors = [record for record in caplog.get_records("call") if record.levelname == "ERROR"]
    if errors:
        pytest.fail(f"There were unexpected ERROR logs: {[r.getMessage() for r in errors]}", pytrace=False)
