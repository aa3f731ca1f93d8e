"""Backup and restore of FitTrack's database (issue 13 §9; README "Runbook").

    python -m app.cli.backup backup [--out DIR]            # make backup
    python -m app.cli.backup restore FILE --yes            # make restore FROM=FILE
    python -m app.cli.backup verify FILE                    # checks a backup against its manifest, changes nothing

Works on the database named by `DATABASE_URL` (app/settings.py; `.env` is honoured):

- **SQLite**: a consistent online copy through SQLite's own backup API (`sqlite3.Connection.backup`), safe while the
  app is serving; restore checks the copy (`PRAGMA integrity_check`) and swaps it in with one atomic rename, after
  removing the old `-wal` / `-shm` files. Stop the app (and workers) before a restore.
- **PostgreSQL**: `pg_dump --format=custom` (a consistent snapshot, safe while serving) and `pg_restore --clean
  --if-exists --single-transaction` (all or nothing). Needs the PostgreSQL client programs (`pg_dump`, `pg_restore`).
- **Oracle**: refused with the Data Pump procedure of the README (`expdp` / `impdp`), which needs the database
  server's directory objects and cannot be driven from here.

Every backup gets a manifest beside it (`<file>.json`: database kind, Alembic revision, UTC time, size in bytes,
SHA-256); restore refuses a file whose size or SHA-256 differs from its manifest, or whose Alembic revision is not
the code's head (restore into matching code, then `make db-migrate`), and changes nothing when it refuses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from app.settings import VAR, load_settings

DEFAULT_FOLDER = VAR / "backups"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do. Nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    """What `<backup>.json` records: `kind` ("sqlite" | "postgresql"), `revision` (Alembic head of the database at
    backup time, or None when unmigrated), `created_at` (UTC, ISO 8601), `size` (bytes) and `sha256` (hex) of the
    backup file."""

    kind: str
    revision: str | None
    created_at: str
    size: int
    sha256: str


def _digest(path: Path) -> tuple[int, str]:
    """(size in bytes, SHA-256 hex) of a file, read in 1 MiB blocks."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    if backend == "oracle":
        raise BackupError("Oracle backups use Data Pump on the database server (expdp / impdp); "
                          "see README \"Runbook: backup and restore\"")
    raise BackupError(f"no backup procedure for a {backend} database")


def _libpq(url: URL) -> str:
    """The SQLAlchemy URL as a libpq connection URI for pg_dump / pg_restore (driver suffix dropped)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _revision(database_url: str) -> str | None:
    """The Alembic revision stored in the database, or None (no `alembic_version` table)."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def _head_revision() -> str:
    """The Alembic head of this checkout's migrations."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def backup(database_url: str, folder: Path = DEFAULT_FOLDER, *, now: datetime | None = None) -> Path:
    """Write a backup of `database_url` into `folder` (created if needed) as `fittrack-<UTC time>.sqlite3` or
    `.pgdump`, with its manifest `<file>.json`; return the backup's path.

    Raises `BackupError` for an unsupported database (Oracle: README procedure), a missing SQLite file or a failing
    `pg_dump` (its message included); a failed backup leaves no file behind."""
    url = make_url(database_url)
    kind = _kind(url)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"fittrack-{stamp}.{'sqlite3' if kind == 'sqlite' else 'pgdump'}"
    partial = target.with_name(target.name + ".partial")
    try:
        if kind == "sqlite":
            source_path = Path(url.database or "")
            if not source_path.is_file():
                raise BackupError(f"no SQLite database at {source_path}")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                   f"--file={partial}", _libpq(url)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        size, sha = _digest(partial)
        manifest = Manifest(kind=kind, revision=_revision(database_url),
                            created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"), size=size, sha256=sha)
        os.replace(partial, target)
        target.with_name(target.name + ".json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        return target
    finally:
        partial.unlink(missing_ok=True)


def verify(path: Path) -> Manifest:
    """Check a backup file against its manifest (`<file>.json`): present, same size and SHA-256, and for SQLite a
    clean `PRAGMA integrity_check`. Returns the manifest; raises `BackupError` naming the first mismatch."""
    manifest_path = path.with_name(path.name + ".json")
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if not manifest_path.is_file():
        raise BackupError(f"no manifest {manifest_path.name} beside the backup: cannot check it")
    manifest = Manifest(**json.loads(manifest_path.read_text()))
    size, sha = _digest(path)
    if (size, sha) != (manifest.size, manifest.sha256):
        raise BackupError(f"{path.name} does not match its manifest (size {size} vs {manifest.size}, "
                          f"sha256 {sha[:12]}… vs {manifest.sha256[:12]}…): the file is damaged or was changed")
    if manifest.kind == "sqlite":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
        if not result or result[0] != "ok":
            raise BackupError(f"{path.name} fails SQLite's integrity check: {result}")
    return manifest


def restore(database_url: str, path: Path) -> Manifest:
    """Replace the database of `database_url` with the backup at `path` (all or nothing); return its manifest.

    Raises `BackupError` — and changes nothing — when the backup fails `verify`, was taken from another kind of
    database, holds another Alembic revision than this code's head, or `pg_restore` fails (its single transaction
    is rolled back)."""
    url = make_url(database_url)
    kind = _kind(url)
    manifest = verify(path)
    if manifest.kind != kind:
        raise BackupError(f"{path.name} is a {manifest.kind} backup; DATABASE_URL names a {kind} database")
    head = _head_revision()
    if manifest.revision != head:
        raise BackupError(f"{path.name} holds schema revision {manifest.revision}, this code expects {head}: "
                          "restore it with the code of that revision, then run `make db-migrate`")
    if kind == "sqlite":
        target = Path(url.database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=target.name + ".", suffix=".restore",
                                         delete=False) as handle:
            staging = Path(handle.name)
        try:
            shutil.copyfile(path, staging)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
    else:
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                               "--single-transaction", "--exit-on-error", f"--dbname={_libpq(url)}", str(path)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed (nothing was changed): {done.stderr.strip()}")
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring). Exit status 0 on success, 1 with a one-line reason on `BackupError`."""
    parser = argparse.ArgumentParser(prog="python -m app.cli.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup and its manifest")
    make.add_argument("--out", type=Path, default=DEFAULT_FOLDER, help=f"folder (default {DEFAULT_FOLDER})")
    check = commands.add_parser("verify", help="check a backup against its manifest")
    check.add_argument("file", type=Path)
    back = commands.add_parser("restore", help="replace the database with a backup (stop the app first)")
    back.add_argument("file", type=Path)
    back.add_argument("--yes", action="store_true", help="confirm that the current data is to be replaced")
    args = parser.parse_args(argv)
    database_url = load_settings().database_url
    try:
        if args.command == "backup":
            path = backup(database_url, args.out)
            print(f"[backup] wrote {path} ({path.stat().st_size:,} bytes) and {path.name}.json")
        elif args.command == "verify":
            manifest = verify(args.file)
            print(f"[backup] {args.file.name}: ok ({manifest.kind}, revision {manifest.revision}, "
                  f"taken {manifest.created_at})")
        else:
            if not args.yes:
                print("[restore] this replaces every row of the database named by DATABASE_URL; "
                      "stop the app and workers, then run again with --yes", file=sys.stderr)
                return 1
            manifest = restore(database_url, args.file)
            print(f"[restore] restored {args.file.name} (taken {manifest.created_at}, revision {manifest.revision})")
    except BackupError as error:
        print(f"[{args.command}] {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
