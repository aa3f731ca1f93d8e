#!/usr/bin/env bash
# Empty the database named by DATABASE_URL (app/settings.py; .env is honoured): a SQLite file is deleted (with its
# -wal/-shm files and the embedded Huey queue), any other database is downgraded to base (every table dropped). The
# replay marker var/replay.done is removed too, so the next `make run` replays the real data again.
# `make db-reset` then migrates and seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r kind target < <(.venv/bin/python - <<'PY'
from sqlalchemy.engine import make_url
from app.settings import load_settings
s = load_settings()
url = make_url(s.database_url)
if s.env == "prod":
    print("refused", "ENV=prod")
elif url.get_backend_name() == "sqlite":
    print("sqlite", url.database or ":memory:")
else:
    print("server", url.render_as_string(hide_password=True))
PY
)

if [ "$kind" = "refused" ]; then
    echo "[db-reset] refused: ENV=prod — this would drop every table; unset ENV=prod to reset a dev database" >&2
    exit 1
elif [ "$kind" = "sqlite" ]; then
    for f in "$target" "$target-wal" "$target-shm" "$(.venv/bin/python -c 'from app.settings import load_settings; print(load_settings().huey_sqlite_path)')"; do
        if [ "$f" != ":memory:" ] && [ -e "$f" ]; then rm -f -- "$f"; echo "[db-reset] deleted $f"; fi
    done
else
    echo "[db-reset] downgrading $target to base"
    .venv/bin/alembic downgrade base
fi
rm -f var/replay.done
