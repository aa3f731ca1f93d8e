"""What the benchmarks share: one `System` per bench run on its own database and queue file (never the dev
database's or queue's), and the real migrations.

    system = bench_system("sqlite:///var/bench/x.db", WORK)   # tasks registered, nothing consumed
    migrate(system)                                             # alembic upgrade head on its database
    ...
    system.close()
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from app.settings import ROOT, Settings
from app.system import System, build_system


def bench_settings(database_url: str, work: Path, **overrides: Any) -> Settings:
    """Settings for a bench run: `database_url`, `ENV=dev`, no Redis, the Huey queue in `work/huey.db`; then
    `overrides` (setting names in lower case, e.g. `redis_url=...`). Everything else as configured (.env, env)."""
    values: dict[str, Any] = {"database_url": database_url, "env": "dev", "redis_url": None,
                              "huey_sqlite_path": work / "huey.db", **overrides}
    return Settings(**values)


def bench_system(database_url: str, work: Path, **overrides: Any) -> System:
    """A `System` on `bench_settings(database_url, work, **overrides)` with every task registered, so the effects of
    its units of work can enqueue their follow-up jobs (they stay in the bench's own queue: no consumer runs).
    Close it with `system.close()`."""
    from tasks import register_tasks

    work.mkdir(parents=True, exist_ok=True)
    system = build_system(bench_settings(database_url, work, **overrides))
    register_tasks(system)
    return system


def migrate(system: System) -> None:
    """`alembic upgrade head` on `system`'s database, in one transaction (the production schema, triggers
    included)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with system.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
