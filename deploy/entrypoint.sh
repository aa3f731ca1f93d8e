#!/usr/bin/env bash
# Entry point of the FitTrack image (Dockerfile; README "Production with Oracle and Redis").
#
#   web                       (default) wait for the database, `alembic upgrade head`, then `python app/main.py`
#   worker [consumer options] wait for the database, then `huey_consumer app.worker.huey -w $WORKER_THREADS -k thread -f`
#                             plus the options given: `worker -n` = no periodic tasks (every consumer but one)
#   migrate                   wait for the database, then `alembic upgrade head`, and exit
#   anything else             run as given (e.g. `python -m app.cli.seed`, `bash`)
#
# Container-only variables (not app settings): WORKER_THREADS (Huey worker threads, default 4) and
# DB_WAIT_SECONDS (how long to wait for the database to accept a login, default 180).
# The last step is `exec`, so the app or consumer gets the container's stop signal directly: SIGTERM for the web app
# (uvicorn shuts down cleanly), SIGINT for consumers (Huey's graceful stop: running tasks finish; compose.yml sets it).
set -euo pipefail
cd /app

wait_for_database() {
    python -m deploy.wait_for_database --timeout "${DB_WAIT_SECONDS:-180}"
}

migrate() {
    echo "[entrypoint] alembic upgrade head"
    alembic upgrade head
}

mode="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi

case "$mode" in
    web)
        wait_for_database
        migrate
        echo "[entrypoint] starting the web app on ${APP_HOST:-0.0.0.0}:${APP_PORT:-8080}"
        exec python app/main.py "$@"
        ;;
    worker)
        wait_for_database
        echo "[entrypoint] starting huey_consumer app.worker.huey -w ${WORKER_THREADS:-4} -k thread -f $*"
        exec huey_consumer app.worker.huey -w "${WORKER_THREADS:-4}" -k thread -f "$@"
        ;;
    migrate)
        wait_for_database
        migrate
        ;;
    *)
        exec "$mode" "$@"
        ;;
esac
