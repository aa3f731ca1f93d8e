"""Append-only guards: database triggers that refuse UPDATE and DELETE on the ledger and the audit log.

`point_transactions` (PRODUCT.md §4: "append-only … corrections are reversal entries, never edits") and `audit_logs`
(PRODUCT.md §7: "immutable") are protected in the database itself, so a bug or a stray SQL session cannot rewrite
history. One trigger set per dialect:

- SQLite: two triggers per table, `SELECT RAISE(ABORT, '<table> is append-only')`.
- PostgreSQL: one plpgsql function `fittrack_refuse_change()` and a `BEFORE UPDATE OR DELETE … FOR EACH ROW` trigger
  per table raising SQLSTATE 55000 (object_not_in_prerequisite_state) with '<table> is append-only'.
- Oracle: a `BEFORE UPDATE OR DELETE … FOR EACH ROW` trigger per table calling
  `RAISE_APPLICATION_ERROR(-20001, '<table> is append-only')`.

Used by migration 0001 (`op.execute` for each statement, online or offline `--sql`) and by the test schema helper
(`install_guards(connection)` after `metadata.create_all`). Changing these statements for an existing database needs
a new migration; 0001 must keep producing the same result.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES: tuple[str, ...] = ("point_transactions", "audit_logs")

_PG_FUNCTION = "fittrack_refuse_change"


def _message(table: str) -> str:
    return f"{table} is append-only"


def install_statements(dialect: str) -> list[str]:
    """The DDL statements (one string each, no trailing terminator) that install every guard on `dialect`.

    `dialect` is a SQLAlchemy dialect name: "sqlite", "postgresql" or "oracle". Raises ValueError for others.
    """
    statements: list[str] = []
    if dialect == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("update", "delete"):
                statements.append(
                    f"CREATE TRIGGER trg_{table}_no_{action} BEFORE {action.upper()} ON {table}\n"
                    f"BEGIN\n    SELECT RAISE(ABORT, '{_message(table)}');\nEND"
                )
    elif dialect == "postgresql":
        statements.append(
            f"CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only', ERRCODE = '55000';\n"
            "END;\n$$"
        )
        for table in APPEND_ONLY_TABLES:
            statements.append(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table}\n"
                f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()"
            )
    elif dialect == "oracle":
        for table in APPEND_ONLY_TABLES:
            statements.append(
                f"CREATE OR REPLACE TRIGGER trg_{table}_append_only\n"
                f"BEFORE UPDATE OR DELETE ON {table}\n"
                "FOR EACH ROW\n"
                "BEGIN\n"
                f"    RAISE_APPLICATION_ERROR(-20001, '{_message(table)}');\n"
                "END;"
            )
    else:
        raise ValueError(f"no append-only guards for dialect {dialect!r}")
    return statements


def drop_statements(dialect: str) -> list[str]:
    """The DDL statements that remove every guard on `dialect` (run before the tables are dropped)."""
    statements: list[str] = []
    if dialect == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("update", "delete"):
                statements.append(f"DROP TRIGGER IF EXISTS trg_{table}_no_{action}")
    elif dialect == "postgresql":
        for table in APPEND_ONLY_TABLES:
            statements.append(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
        statements.append(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")
    elif dialect == "oracle":
        for table in APPEND_ONLY_TABLES:
            statements.append(f"DROP TRIGGER trg_{table}_append_only")
    else:
        raise ValueError(f"no append-only guards for dialect {dialect!r}")
    return statements


def install_guards(connection: Connection) -> None:
    """Install every guard through `connection` (inside the caller's transaction; the caller commits)."""
    for statement in install_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
