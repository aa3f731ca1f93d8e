"""Rebuild or check the leaderboard standings projection (issue 12 §3 "rebuildable from the ledger").

    python -m app.cli.standings rebuild      # delete every row and write them again from the sources, one transaction
    python -m app.cli.standings check        # compare the stored rows with a rebuild's; exit 1 on any difference

The sources are the ledger's projections (`daily_point_totals`, the cached totals on `users`) and the profiles
(`domain.competition.standings`). Run `rebuild` after a bulk load that bypassed the services (raw SQL inserts) or after
applying the offline (Oracle) migration script; `check` is safe at any time (read-only). Uses the configured
`DATABASE_URL` (README "Settings").
"""

from __future__ import annotations

import argparse
import sys
import time

from app.settings import load_settings
from app.system import System, build_system
from domain.competition import standings


def rebuild(system: System) -> int:
    """Rebuild the projection in one write transaction; returns the number of rows written."""
    with system.uow() as uow:
        return standings.rebuild(uow)


def check(system: System) -> tuple[int, int]:
    """(missing, unexpected) row counts between the stored projection and a rebuild's rows (read-only)."""
    with system.read() as session:
        missing, unexpected = standings.differences(session)
    return len(missing), len(unexpected)


def main(argv: list[str] | None = None) -> int:
    """Entry point: `rebuild` or `check` (see the module docstring). Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m app.cli.standings", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("rebuild", "check"))
    args = parser.parse_args(argv)
    system = build_system(load_settings())
    try:
        started = time.perf_counter()
        if args.command == "rebuild":
            written = rebuild(system)
            print(f"board_standings rebuilt: {written} rows in {time.perf_counter() - started:.1f} s")
            return 0
        missing, unexpected = check(system)
        print(f"board_standings: {missing} rows missing, {unexpected} unexpected "
              f"({time.perf_counter() - started:.1f} s)")
        return 0 if missing == unexpected == 0 else 1
    finally:
        system.close()


if __name__ == "__main__":
    sys.exit(main())
