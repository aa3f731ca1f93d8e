"""Alembic environment for FitTrack (PRODUCT.md §2; notes/reliability.md §3).

Where the database comes from (first match wins):
1. `config.attributes["connection"]`: an open SQLAlchemy Connection (tests/support/schema.py passes one; the caller
   owns the transaction and commits it);
2. `-x url=...` on the command line (e.g. an `oracle+oracledb://` URL with `--sql` to render Oracle DDL offline);
3. `sqlalchemy.url` on the Config (empty in alembic.ini; set programmatically to override);
4. `DATABASE_URL` from `app.settings.load_settings()`.

`target_metadata` is `domain.models.metadata`; autogenerate compares types (`compare_type=True`) and renders FitTrack's
portable types as `GUID()` / `UTCDateTime()` imported from `domain.shared.types`. SQLite uses batch mode
(`render_as_batch`; `-x batch=0` turns it off).
"""

from __future__ import annotations

import sys
from logging.config import fileConfig
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from domain.models import metadata  # noqa: E402
from domain.shared import types as portable_types  # noqa: E402

config = context.config
target_metadata = metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL to migrate (see the module docstring for the order of precedence)."""
    x_url = context.get_x_argument(as_dictionary=True).get("url")
    if x_url:
        return x_url
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    from app.settings import load_settings

    return load_settings().database_url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render `domain.shared.types` columns as `GUID()` / `UTCDateTime()` (imported, never copied into the
    migration)."""
    if type_ == "type":
        for name in ("GUID", "UTCDateTime"):
            if isinstance(obj, getattr(portable_types, name)):
                autogen_context.imports.add(f"from domain.shared.types import {name}")
                return f"{name}()"
        if type(obj).__name__ == "AutoString":  # sqlmodel's str type: a plain bounded String
            return f"sa.String(length={obj.length!r})"
    return False


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave views (tables marked `info={"is_view": True}`, e.g. Oracle duality views) out of autogenerate."""
    return not (type_ == "table" and getattr(obj, "info", {}).get("is_view"))


def _configure_kwargs(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        # `-x batch=0` turns batch mode off (scripts/regen_initial_migration.sh: 0001 stays plain, dialect-neutral).
        "render_as_batch": dialect_name == "sqlite" and context.get_x_argument(as_dictionary=True).get("batch") != "0",
        "render_item": render_item,
        "include_object": include_object,
    }


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`); no database connection is made."""
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_configure_kwargs(sa.engine.make_url(url).get_backend_name()),
    )
    # The version-table INSERT would otherwise render as `… RETURNING … INTO :ret_0` on Oracle (a bind variable that
    # a plain SQL script cannot supply); a script has no use for RETURNING on any dialect.
    context.get_context().dialect.insert_returning = False
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(connection=connection, **_configure_kwargs(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through a given connection, or through an engine built like the app's
    (`app.adapters.db.create_db_engine`)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    from app.adapters.db import create_db_engine

    engine = create_db_engine(database_url())
    try:
        with engine.connect() as conn:
            _run_on(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
