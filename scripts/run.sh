#!/usr/bin/env bash
# `make run` orchestration (after set-up, migrations and seeding): start the app in the background, and the first time
# (no var/replay.done marker) run the real-data replay against it as soon as /health/live answers; then keep serving
# in the foreground until Ctrl-C, which stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_URL=$(scripts/app_url.sh)
HOSTPORT=${BASE_URL#http://}
CLIENT_HOST=${HOSTPORT%:*}
PORT=${HOSTPORT##*:}

if (exec 3<>"/dev/tcp/$CLIENT_HOST/$PORT") 2>/dev/null; then
    echo "[run] port $PORT on $CLIENT_HOST is already in use: stop the other server or set APP_PORT (see README)" >&2
    exit 1
fi

APP_PID=""
REPLAY_PID=""
stop() {
    trap - INT TERM EXIT
    for pid in $REPLAY_PID $APP_PID; do
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for pid in $REPLAY_PID $APP_PID; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop' EXIT

# The local demo replays the 2016 Fitbit dataset, older than the 35-day credit window (issue 13 §2): this dev server
# credits days of any age unless DAY_CREDIT_WINDOW_DAYS is set. `python app/main.py` and production keep the window.
export DAY_CREDIT_WINDOW_DAYS="${DAY_CREDIT_WINDOW_DAYS:-0}"
echo "[run] starting FitTrack on http://localhost:$PORT"
.venv/bin/python app/main.py &
APP_PID=$!

if [ ! -f var/replay.done ]; then
    echo "[run] waiting for $BASE_URL/health/live before the first real-data replay"
    ready=0
    for _ in $(seq 1 240); do
        if ! kill -0 "$APP_PID" 2>/dev/null; then break; fi
        if .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
            "$BASE_URL/health/live" 2>/dev/null; then ready=1; break; fi
        sleep 0.5
    done
    if [ "$ready" = 1 ]; then
        .venv/bin/python -m app.cli.replay --base-url "$BASE_URL" &
        REPLAY_PID=$!
        if wait "$REPLAY_PID"; then
            echo "[run] replay done; FitTrack keeps serving on http://localhost:$PORT (Ctrl-C stops it)"
        else
            echo "[run] the replay failed (see above); the app keeps serving. Retry with: make replay" >&2
        fi
        REPLAY_PID=""
    elif kill -0 "$APP_PID" 2>/dev/null; then
        echo "[run] $BASE_URL/health/live did not answer within 120 s; skipping the replay (retry: make replay)" >&2
    fi
fi

set +e
wait "$APP_PID"
status=$?
APP_PID=""
exit "$status"
