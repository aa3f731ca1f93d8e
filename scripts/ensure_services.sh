#!/usr/bin/env bash
# Make sure the local PostgreSQL and Redis servers the test suite needs are running (PRODUCT.md §2: tests run on
# SQLite and on a real PostgreSQL server; Redis backs the production ports). Safe to run again: a server that already
# answers is left alone. Installs the Debian packages only if the servers are missing entirely.
#
#   PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (the tests connect as postgres@127.0.0.1 without a password)
#   Redis:      127.0.0.1:6379, no persistence
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

log() { echo "[services] $*"; }

apt_install() {
    log "apt-get install $*"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() {  # port_open PORT -> 0 when something listens on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {  # wait_for_port NAME PORT
    for _ in $(seq 1 60); do
        if port_open "$2"; then return 0; fi
        sleep 0.5
    done
    echo "[services] $1 did not start listening on 127.0.0.1:$2 within 30 s" >&2
    return 1
}

ensure_postgres() {
    if port_open 5432; then log "PostgreSQL is running"; return 0; fi
    if [ -z "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
        apt_install postgresql
        # A cluster we just created: let local test clients in as postgres without a password (127.0.0.1 only).
        local version hba
        version=$(ls /etc/postgresql | sort -V | tail -n1)
        hba="/etc/postgresql/$version/main/pg_hba.conf"
        $SUDO sed -i -E 's/^(local\s+all\s+postgres\s+)peer/\1trust/; s/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
    fi
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    log "starting PostgreSQL $version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for_port PostgreSQL 5432
}

ensure_redis() {
    if port_open 6379; then log "Redis is running"; return 0; fi
    if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
    log "starting Redis"
    $SUDO mkdir -p /var/lib/redis /var/log/redis
    $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for_port Redis 6379
}

ensure_postgres
ensure_redis
