"""The committed Oracle script and the duality views (PRODUCT.md §2; notes/reliability.md §3.3).

`migrations/oracle/upgrade.sql` must equal a fresh offline render (`migrations/render.py`), contain every table, the
append-only triggers and the four read-only JSON Relational Duality Views, and every column the views name must exist
in domain/models. The views migration (0003) is Oracle-only: on SQLite and PostgreSQL it creates nothing and its
upgrade and downgrade still run.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from app.adapters import db
from domain.models import metadata
from migrations.guards import APPEND_ONLY_TABLES
from migrations.render import ORACLE_SCRIPT, render_oracle_downgrade_script, render_oracle_script
from tests.support.schema import alembic_config

VIEWS = ("user_profile_dv", "drawing_dv", "user_tickets_dv", "fulfillment_dv")
VIEWS_REVISION = "0003_oracle_duality_views"
# A view statement, up to the line holding the SQL*Plus separator.
CREATE_VIEW = re.compile(r"^CREATE OR REPLACE JSON RELATIONAL DUALITY VIEW (\w+) AS\n(.*?)\n\n/\n", re.M | re.S)


@pytest.fixture(scope="module")
def upgrade_sql() -> str:
    return render_oracle_script()


@pytest.fixture(scope="module")
def view_statements(upgrade_sql: str) -> dict[str, str]:
    return {match.group(1): match.group(2) for match in CREATE_VIEW.finditer(upgrade_sql)}


def test_committed_script_is_current(upgrade_sql: str) -> None:
    committed = ORACLE_SCRIPT.read_text(encoding="utf-8") if ORACLE_SCRIPT.exists() else ""
    assert committed == upgrade_sql, (
        "migrations/oracle/upgrade.sql is stale: the migrations render a different Oracle script. "
        "Run scripts/render_oracle_sql.sh, review the diff and commit it."
    )


def test_rendering_is_deterministic(upgrade_sql: str) -> None:
    assert render_oracle_script() == upgrade_sql


def test_script_creates_every_table_and_guard(upgrade_sql: str) -> None:
    created = set(re.findall(r"^CREATE TABLE (\w+) \(", upgrade_sql, re.M))
    assert created == set(metadata.tables) | {"alembic_version"}
    assert "ALTER TABLE profiles ADD dark_mode BOOLEAN" in upgrade_sql  # 0002
    for table in APPEND_ONLY_TABLES:
        assert f"CREATE OR REPLACE TRIGGER trg_{table}_append_only\nBEFORE UPDATE OR DELETE ON {table}" in upgrade_sql
    assert f"UPDATE alembic_version SET version_num='{VIEWS_REVISION}'" in upgrade_sql
    assert ":ret_" not in upgrade_sql and '"' not in upgrade_sql


def test_script_creates_four_read_only_duality_views(view_statements: dict[str, str]) -> None:
    assert tuple(view_statements) == VIEWS
    for name, body in view_statements.items():
        assert body.startswith("SELECT JSON {\n    '_id' : "), name
        assert "\n\n" not in body, f"{name}: a blank line would end the statement early in SQL*Plus"
        tables = re.findall(r"\bFROM (\w+) (\w+) WITH ([A-Z ]+?)\s*$", body, re.M)
        assert tables, name
        # Every table in every view is read-only: writes go through the domain services (ledger invariants).
        assert {annotation for _, _, annotation in tables} == {"NOINSERT NOUPDATE NODELETE"}, name
        assert len(re.findall(r"\bFROM ", body)) == len(tables), f"{name}: a FROM without annotations"


def test_views_nest_the_expected_tables(view_statements: dict[str, str]) -> None:
    def tables_of(name: str) -> list[str]:
        return re.findall(r"\bFROM (\w+) \w+ WITH", view_statements[name])

    assert sorted(tables_of("user_profile_dv")) == ["profiles", "users"]
    assert sorted(tables_of("drawing_dv")) == ["drawings", "prizes", "sponsors"]
    assert sorted(tables_of("user_tickets_dv")) == ["drawings", "tickets", "users"]
    assert sorted(tables_of("fulfillment_dv")) == ["prize_fulfillments", "prizes", "profiles", "tickets", "users"]
    assert "'prizes' : [" in view_statements["drawing_dv"]  # one-to-many → array
    assert "'tickets' : [" in view_statements["user_tickets_dv"]
    assert "'profile' : (" in view_statements["user_profile_dv"]  # one-to-one → nested object


def test_view_columns_exist_in_the_models(view_statements: dict[str, str]) -> None:
    """Every `alias.column` a view names is a real column of that alias's table (domain/models)."""
    for name, body in view_statements.items():
        aliases = {alias: table for table, alias in re.findall(r"\bFROM (\w+) (\w+) WITH", body)}
        assert len(aliases) == len(re.findall(r"\bFROM ", body)), f"{name}: an alias is used twice"
        references = re.findall(r"\b([a-z]+)\.([a-z_]+)\b", body)
        assert references, name
        for alias, column in references:
            table = metadata.tables[aliases[alias]]
            assert column in table.columns, f"{name}: {aliases[alias]}.{column} is not a column in domain/models"


def test_views_leave_secrets_out(view_statements: dict[str, str]) -> None:
    everything = "\n".join(view_statements.values())
    for column in ("password_hash", "failed_logins", "locked_until", "server_seed_hex", "digital_code", "contact_"):
        assert column not in everything


def test_downgrade_script_drops_the_views_first() -> None:
    sql = render_oracle_downgrade_script()
    drops = re.findall(r"^DROP VIEW (\w+)$", sql, re.M)
    assert drops == list(reversed(VIEWS))
    # later migrations drop their own tables first (the views do not use them); the 0001 tables go after the views
    first_0001_drop = sql.index("DROP TABLE", sql.index("-- Running downgrade 0001 -> "))
    assert sql.index("DROP VIEW") < sql.index("ALTER TABLE profiles DROP COLUMN dark_mode") < first_0001_drop
    assert len(re.findall(r"^DROP TABLE ", sql, re.M)) == len(metadata.tables)


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_views_migration_is_a_no_op_elsewhere(empty_url: str) -> None:
    """On SQLite and PostgreSQL, 0003 upgrades and downgrades without creating or dropping anything."""
    config = alembic_config(empty_url)
    engine = db.create_db_engine(empty_url)
    try:
        command.upgrade(config, "0002_profile_prefs")
        before = set(sa.inspect(engine).get_table_names())
        command.upgrade(config, VIEWS_REVISION)
        inspector = sa.inspect(engine)
        assert _revision(engine) == VIEWS_REVISION
        assert set(inspector.get_table_names()) == before
        assert inspector.get_view_names() == []
        command.downgrade(config, "0002_profile_prefs")
        assert _revision(engine) == "0002_profile_prefs"
        assert set(sa.inspect(engine).get_table_names()) == before
    finally:
        engine.dispose()
