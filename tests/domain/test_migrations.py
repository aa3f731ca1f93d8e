"""Alembic migrations (PRODUCT.md §2): upgrade → downgrade → upgrade on SQLite and the local PostgreSQL server, no
drift between migrations and models, and the append-only guards on the ledger and the audit log (PRODUCT.md §4, §7)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.adapters import db
from app.system import System
from domain.models import AuditLog, User, metadata
from domain.points import ledger
from domain.shared.enums import TransactionType
from migrations.guards import APPEND_ONLY_TABLES
from tests.support.db import read_session, write_session
from tests.support.schema import alembic_config, create_schema

MODEL_TABLES = set(metadata.tables)


def _tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _triggers(engine: Engine) -> set[str]:
    sql = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(sql)}


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    """The full cycle through Alembic's own engine path (as `make db-migrate` runs it) leaves the model schema."""
    config = alembic_config(empty_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = db.create_db_engine(empty_url)
    try:
        command.upgrade(config, "head")
        assert _tables(engine) == MODEL_TABLES | {"alembic_version"}
        assert _current_revision(engine) == head
        assert len(_triggers(engine)) >= len(APPEND_ONLY_TABLES)

        command.downgrade(config, "base")
        assert _tables(engine) == {"alembic_version"}
        assert _current_revision(engine) is None
        assert _triggers(engine) == set()

        command.upgrade(config, "head")
        assert _tables(engine) == MODEL_TABLES | {"alembic_version"}
        assert _current_revision(engine) == head
    finally:
        engine.dispose()


def test_migrations_match_models(empty_url: str) -> None:
    """After `upgrade head`, autogenerate finds nothing to add, drop or alter (types compared too)."""
    command.upgrade(alembic_config(empty_url), "head")
    engine = db.create_db_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "target_metadata": metadata})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def _member_with_entry(db_system: System) -> uuid.UUID:
    """A member with one ledger entry, written through `domain.points.ledger.post`."""
    with write_session(db_system) as session:
        user = User(email=f"guard-{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active")
        session.add(user)
        session.flush()
        ledger.post(
            session,
            user_id=user.id,
            transaction_type=TransactionType.earn,
            amount=120,
            idempotency_key=f"guard-test-{user.id}",
            platform_day=date(2026, 3, 2),
        )
        session.add(AuditLog(actor_id=user.id, action="test.guard", target_type="user", target_id=str(user.id)))
        return user.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE point_transactions SET description = 'edited'",
        "UPDATE point_transactions SET amount = 1000, balance_after = balance_before + 1000",
        "DELETE FROM point_transactions",
        "UPDATE audit_logs SET action = 'edited'",
        "DELETE FROM audit_logs",
    ],
)
def test_append_only_tables_refuse_update_and_delete(db_system: System, statement: str) -> None:
    """Raw UPDATE/DELETE on the ledger or the audit log fails in the database and changes nothing."""
    _member_with_entry(db_system)
    engine = db_system.db.engine
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    with engine.connect() as conn:
        before = conn.exec_driver_sql(f"SELECT * FROM {table}").all()

    with pytest.raises(sa.exc.DBAPIError, match=f"{table} is append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)

    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT * FROM {table}").all() == before


def test_ledger_still_appends_after_guards(db_system: System) -> None:
    """The guards block edits only: further entries append normally and the invariants hold."""
    user_id = _member_with_entry(db_system)
    with write_session(db_system) as session:
        result = ledger.post(
            session,
            user_id=user_id,
            transaction_type=TransactionType.spend,
            amount=-20,
            idempotency_key=f"guard-spend-{user_id}",
        )
        assert result.entry.balance_after == 100
    with read_session(db_system) as session:
        assert ledger.balance_of(session, user_id) == 100
        assert ledger.verify_invariants(session).ok


def test_test_schema_helper_equals_a_real_migration(sqlite_url: str, tmp_path: Path) -> None:
    """`tests.support.schema.create_schema` (a copy of a migrated template) gives exactly what `upgrade head` gives."""
    command.upgrade(alembic_config(sqlite_url), "head")
    copied = db.create_db_engine(f"sqlite:///{tmp_path / 'copied.db'}")
    migrated = db.create_db_engine(sqlite_url)
    try:
        create_schema(copied)
        schema_sql = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        with copied.connect() as a, migrated.connect() as b:
            assert a.exec_driver_sql(schema_sql).all() == b.exec_driver_sql(schema_sql).all()
            assert a.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert _current_revision(copied) == _current_revision(migrated)
    finally:
        copied.dispose()
        migrated.dispose()
