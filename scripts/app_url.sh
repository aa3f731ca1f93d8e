#!/usr/bin/env bash
# Print the base URL a local client uses to reach the app (APP_HOST/APP_PORT from app/settings.py and .env);
# a wildcard bind address (0.0.0.0, ::) is reached through 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c '
from app.settings import load_settings
s = load_settings()
host = "127.0.0.1" if s.app_host in ("0.0.0.0", "::", "") else s.app_host
print(f"http://{host}:{s.app_port}")
'
