"""Backup and restore (issue 13 §9; `app/cli/backup.py`): a round trip on a real SQLite file and on the local
PostgreSQL server gives back exactly the rows of the backup, and a damaged, foreign or mismatched backup is refused
with nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import backup as backups
from app.system import System
from tests.support.builders import make_member


def _emails(system: System) -> set[str]:
    with system.db.engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT email FROM users").scalars())


def test_round_trip_gives_back_the_backup_and_nothing_else(db_system: System, tmp_path: Path) -> None:
    make_member(db_system)
    before = _emails(db_system)
    path = backups.backup(db_system.settings.database_url, tmp_path / "backups",
                          now=datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    assert manifest["revision"] == backups._head_revision()
    assert manifest["kind"] == ("sqlite" if db_system.db.engine.dialect.name == "sqlite" else "postgresql")
    assert path.name == f"fittrack-20261207T140000Z.{'sqlite3' if manifest['kind'] == 'sqlite' else 'pgdump'}"

    make_member(db_system)  # written after the backup: gone after the restore
    with db_system.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE profiles SET display_name = 'changed'"))
    db_system.db.dispose()  # the app is stopped before a restore

    backups.restore(db_system.settings.database_url, path)

    assert _emails(db_system) == before
    with db_system.db.engine.connect() as conn:
        names = set(conn.exec_driver_sql("SELECT display_name FROM profiles").scalars())
    assert "changed" not in names


def test_damaged_backup_is_refused_and_the_database_is_untouched(system: System, tmp_path: Path) -> None:
    make_member(system)
    path = backups.backup(system.settings.database_url, tmp_path)
    with path.open("r+b") as handle:  # flip one byte in the middle of the copy
        handle.seek(path.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    make_member(system)
    before = _emails(system)

    with pytest.raises(backups.BackupError, match="does not match its manifest"):
        backups.restore(system.settings.database_url, path)
    assert _emails(system) == before


def test_backup_of_another_revision_or_kind_is_refused(system: System, tmp_path: Path) -> None:
    path = backups.backup(system.settings.database_url, tmp_path)
    manifest_path = path.with_name(path.name + ".json")
    manifest = json.loads(manifest_path.read_text())

    manifest_path.write_text(json.dumps({**manifest, "revision": "0001_initial"}))
    with pytest.raises(backups.BackupError, match="schema revision 0001_initial"):
        backups.restore(system.settings.database_url, path)

    manifest_path.write_text(json.dumps({**manifest, "kind": "postgresql"}))
    with pytest.raises(backups.BackupError, match="is a postgresql backup"):
        backups.restore(system.settings.database_url, path)

    manifest_path.unlink()
    with pytest.raises(backups.BackupError, match="no manifest"):
        backups.verify(path)


def test_oracle_is_pointed_to_the_data_pump_procedure(tmp_path: Path) -> None:
    with pytest.raises(backups.BackupError, match="Data Pump"):
        backups.backup("oracle+oracledb://u:p@db:1521/?service_name=FREEPDB1", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_command_line_restore_needs_confirmation(system: System, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", system.settings.database_url)
    assert backups.main(["backup", "--out", str(tmp_path)]) == 0
    path = next(tmp_path.glob("*.sqlite3"))
    assert backups.main(["verify", str(path)]) == 0
    assert backups.main(["restore", str(path)]) == 1
    assert "--yes" in capsys.readouterr().err
    assert backups.main(["restore", str(path), "--yes"]) == 0
