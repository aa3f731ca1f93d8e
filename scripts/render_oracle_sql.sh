#!/usr/bin/env bash
# Regenerate migrations/oracle/upgrade.sql: the full Oracle 23ai schema script, rendered offline (no server) by
# `alembic upgrade head --sql` with an oracle+oracledb:// URL (migrations/render.py). Run it after adding or changing
# a migration, review the diff, and commit it with the migration; tests/test_oracle_script.py fails while it is stale.
#
# Usage: scripts/render_oracle_sql.sh        (from anywhere; uses .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m migrations.render --write
