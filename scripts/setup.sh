#!/usr/bin/env bash
# One-time (and safe to repeat) set-up of a development/CI machine for FitTrack (Debian):
#   - .venv created with python3 (>= 3.11) if missing (installs Debian's python3-venv if the venv module is absent);
#   - `pip install -e '.[dev]'` only when pyproject.toml changed since the last successful install
#     (its SHA-256 is kept in var/.install-stamp);
#   - with --browser: Debian's chromium (apt-get), only if /usr/bin/chromium is missing (Playwright tests use it), and
#     Debian's haproxy if missing (the scale-out browser tests).
# Usage: scripts/setup.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --browser) BROWSER=1 ;;
        *) echo "usage: $0 [--browser]" >&2; exit 2 ;;
    esac
done

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
log() { echo "[setup] $*"; }
APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

mkdir -p var

# 1. Python virtual environment.
if [ ! -x .venv/bin/python ]; then
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
        || { echo "[setup] FitTrack needs Python >= 3.11; python3 is $(python3 -V)" >&2; exit 1; }
    if ! python3 -m venv .venv 2>/dev/null; then
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
    fi
    log "created .venv ($(.venv/bin/python -V))"
fi

# 2. Python packages, only when pyproject.toml changed since the last install.
STAMP=var/.install-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    log "installing Python packages (pip install -e '.[dev]'; log in var/pip.log)"
    .venv/bin/python -m pip install --quiet --upgrade pip >var/pip.log 2>&1 || true
    if ! .venv/bin/python -m pip install -e '.[dev]' >>var/pip.log 2>&1; then
        tail -n 30 var/pip.log >&2
        echo "[setup] pip install failed; full log in var/pip.log" >&2
        exit 1
    fi
    echo "$want" >"$STAMP"
else
    log "Python packages up to date"
fi

# 3. Debian's chromium for the Playwright tests (Playwright's own browser download is not used), and Debian's haproxy
#    for the scale-out browser tests (tests/browser/test_scale_out.py, issue 12 §6).
if [ "$BROWSER" = 1 ]; then
    if [ -x /usr/bin/chromium ]; then
        log "chromium present"
    else
        apt_install chromium
    fi
    if [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null; then
        log "haproxy present"
    else
        apt_install haproxy
    fi
fi
