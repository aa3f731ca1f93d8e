"""Oracle compatibility without a server (PRODUCT.md §2, notes/reliability.md §3.4): every table compiles to Oracle DDL
with bounded VARCHAR2s, RAW(16) UUIDs, TIMESTAMP WITH TIME ZONE timestamps and no quoted (reserved) identifiers; and the
migrations render to a complete Oracle script offline (`alembic upgrade head --sql`)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

from domain.models import metadata
from domain.shared.types import GUID, UTCDateTime
from migrations.guards import APPEND_ONLY_TABLES
from tests.support.schema import ROOT

ORACLE_URL = "oracle+oracledb://u:p@h:1521/?service_name=FREEPDB1"
DIALECT = oracle.dialect()
TABLES = sorted(metadata.tables.values(), key=lambda t: t.name)


def _table_ddl(table: sa.Table) -> str:
    return str(CreateTable(table).compile(dialect=DIALECT))


def _column_lines(ddl: str) -> dict[str, str]:
    """Column name → its DDL line, from a compiled CREATE TABLE."""
    lines = {}
    for line in ddl.splitlines()[1:]:
        match = re.match(r"\s+([a-z_][a-z0-9_]*) (.+?),?\s*$", line)
        if match and match.group(1) != "constraint":
            lines[match.group(1)] = match.group(2)
    return lines


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_table_compiles_to_oracle_safe_ddl(table: sa.Table) -> None:
    ddl = _table_ddl(table)
    indexes = [str(CreateIndex(ix).compile(dialect=DIALECT)) for ix in table.indexes]
    assert '"' not in ddl + "".join(indexes), f"quoted identifier (reserved word or odd case) in:\n{ddl}"
    assert not re.search(r"VARCHAR2(?!\(\d+ CHAR\))", ddl), f"VARCHAR2 without a length in:\n{ddl}"
    assert "CHAR(32)" not in ddl, "a UUID compiled to CHAR(32): use domain.shared.types.GUID"
    reserved = {w.lower() for w in DIALECT.identifier_preparer.reserved_words}
    assert not ({c.name.lower() for c in table.columns} & reserved)

    lines = _column_lines(ddl)
    assert set(lines) == {c.name for c in table.columns}
    for column in table.columns:
        line = lines[column.name]
        if isinstance(column.type, GUID):
            assert line.startswith("RAW(16)"), f"{table.name}.{column.name}: {line}"
        elif isinstance(column.type, sa.DateTime | UTCDateTime):
            assert isinstance(column.type, UTCDateTime), f"{table.name}.{column.name} is not a UTCDateTime"
            assert line.startswith("TIMESTAMP WITH TIME ZONE"), f"{table.name}.{column.name}: {line}"
        elif isinstance(column.type, sa.Integer) and column.primary_key and column.autoincrement is True:
            assert "IDENTITY" in line, f"{table.name}.{column.name}: integer key without IDENTITY"


def test_identifiers_fit_oracle() -> None:
    """Table, column, index and constraint names stay within Oracle's 128-byte identifier limit."""
    names = []
    for table in TABLES:
        names += [table.name, *(c.name for c in table.columns), *(ix.name for ix in table.indexes)]
        names += [c.name for c in table.constraints if isinstance(c.name, str)]
    assert max(len(str(n)) for n in names) <= 128


def _render(*args: str) -> str:
    """Run the Alembic CLI exactly as documented in the README and return the SQL it prints."""
    proc = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={ORACLE_URL}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_upgrade_renders_full_oracle_script_offline() -> None:
    sql = _render("upgrade", "head", "--sql")
    assert len(re.findall(r"^CREATE TABLE ", sql, re.M)) == len(TABLES) + 1  # + alembic_version
    for table in TABLES:
        assert re.search(rf"^CREATE TABLE {table.name} \(", sql, re.M), table.name
    assert "CREATE TABLE users (" in sql
    assert "id RAW(16) NOT NULL" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert '"' not in sql
    assert not re.search(r"VARCHAR2(?!\(\d+ CHAR\))", sql)
    for name in APPEND_ONLY_TABLES:
        assert f"CREATE OR REPLACE TRIGGER trg_{name}_append_only\nBEFORE UPDATE OR DELETE ON {name}" in sql
        assert f"RAISE_APPLICATION_ERROR(-20001, '{name} is append-only');" in sql
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001')" in sql
    assert ":ret_" not in sql  # no RETURNING … INTO bind variables: the script runs as-is in SQL*Plus / SQLcl
    assert sql.count("\n/\n") >= len(TABLES) + len(APPEND_ONLY_TABLES)  # every statement ends with the / separator


def test_downgrade_renders_oracle_script_offline() -> None:
    sql = _render("downgrade", "head:base", "--sql")
    for name in APPEND_ONLY_TABLES:
        assert f"DROP TRIGGER trg_{name}_append_only" in sql
    assert len(re.findall(r"^DROP TABLE ", sql, re.M)) == len(TABLES)
