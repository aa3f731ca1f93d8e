"""Wait until `DATABASE_URL` accepts a login (used by deploy/entrypoint.sh before migrations and consumers start).

Why: the Oracle container reports healthy once FREEPDB1 is open, and creates the `APP_USER` just after; a first
connection can therefore be refused for a few seconds (ORA-01017) even though compose waited for `service_healthy`.

Usage: `python -m deploy.wait_for_database [--timeout SECONDS] [--interval SECONDS]`; exit 0 when a connection
succeeds, 1 after `--timeout` seconds (default 180) with the last error (the URL's password is never printed).
"""

from __future__ import annotations

import argparse
import sys
import time

import sqlalchemy as sa

from app.settings import load_settings


def wait_for_database(url: str, timeout: float, interval: float = 2.0) -> bool:
    """Try to connect to `url` every `interval` seconds for up to `timeout` seconds; True once one succeeds."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout
    last_error = ""
    try:
        while True:
            try:
                with engine.connect():
                    return True
            except Exception as exc:  # any driver error means "not yet"; the last one is reported
                last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if time.monotonic() >= deadline:
                print(f"[wait_for_database] gave up after {timeout:.0f} s: {last_error}", file=sys.stderr)
                return False
            time.sleep(interval)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to keep trying (default 180)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between tries (default 2)")
    args = parser.parse_args(argv)
    url = load_settings().database_url
    shown = sa.make_url(url).render_as_string(hide_password=True)
    print(f"[wait_for_database] waiting for {shown}", flush=True)
    if not wait_for_database(url, args.timeout, args.interval):
        return 1
    print("[wait_for_database] database is accepting connections", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
