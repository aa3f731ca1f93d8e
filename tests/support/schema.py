"""Schema creation for tests: the real migrations (`alembic upgrade head`), never `metadata.create_all`, so every test
runs against exactly the production schema, append-only triggers included.

Speed (the autouse `app_env` fixture calls `create_schema` for every test): running the migrations costs ≈ 40 ms per
fresh SQLite database on an idle 2-core machine (≈ 155 ms under load), against ≈ 14 ms (≈ 80 ms) for
`metadata.create_all`. So on SQLite the migrations run once per test process into a template database, and each new
database receives a copy of it through SQLite's online backup API (≈ 1–3 ms). Other databases (PostgreSQL) are
migrated directly. `tests/test_migrations.py` exercises the migrations themselves on both.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from app.adapters import db

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"

_sqlite_template: Path | None = None


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for this repo that leaves logging alone; `url` (optional) overrides DATABASE_URL."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logger"] = False
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(connection: Connection) -> None:
    """`alembic upgrade head` through `connection`, inside the caller's transaction (the caller commits)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _template() -> Path:
    """A SQLite database migrated to head, made once per test process (removed at exit)."""
    global _sqlite_template
    if _sqlite_template is None or not _sqlite_template.exists():
        folder = Path(tempfile.mkdtemp(prefix="fittrack-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        engine = db.create_db_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            migrate(connection)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _sqlite_template = path
    return _sqlite_template


def create_schema(engine: Engine) -> None:
    """Bring the (empty) database behind `engine` to the latest migration.

    SQLite: a copy of the per-process migrated template (when the database is still empty). Otherwise: `alembic
    upgrade head` in one transaction on the engine's connection.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            empty = connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0
            connection.rollback()
            if empty:
                raw = connection.connection.dbapi_connection
                assert isinstance(raw, sqlite3.Connection)
                source = sqlite3.connect(_template())
                try:
                    source.backup(raw)
                finally:
                    source.close()
                return
    with engine.begin() as connection:
        migrate(connection)
