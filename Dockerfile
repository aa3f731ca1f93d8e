# syntax=docker/dockerfile:1
# FitTrack production image (README "Production with Oracle and Redis"; compose.yml runs it as web, scheduler, worker).
#
# Stage 1 builds wheels of the runtime dependencies only (pyproject `dependencies`, no dev extras); stage 2 installs
# them offline from those wheels into a slim image and runs as an unprivileged user. All runtime dependencies ship
# manylinux wheels (psycopg[binary] bundles libpq; oracledb's default thin mode talks to Oracle over the network with
# no Instant Client), so neither stage needs a compiler or system libraries.
#
# Entry point: deploy/entrypoint.sh — `web` (default: wait for the database, `alembic upgrade head`, then
# `python app/main.py`), `worker [huey_consumer options]`, `migrate`, or any other command as given.
# No container engine runs on the development machines: tests/test_containers.py lints this file with hadolint and
# checks it structurally (see README).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# Only what pip needs to resolve the project: its metadata (readme = README.md) — the code is copied in stage 2.
COPY pyproject.toml README.md ./
RUN pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# `pip install .` equivalent, offline from the wheels of stage 1 (runtime dependencies only). The versions are pinned by
# what stage 1 resolved from pyproject's ranges; --no-index means nothing else can be installed (hence DL3013 ignored).
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels fittrack

# Unprivileged user; /var/lib/fittrack holds what the app writes (JWT keys, NiceGUI's storage). compose.yml mounts a
# named volume there, which Docker seeds with this directory's ownership on first use.
RUN groupadd --system --gid 10001 fittrack \
    && useradd --system --uid 10001 --gid fittrack --home-dir /var/lib/fittrack --shell /usr/sbin/nologin fittrack \
    && mkdir -p /var/lib/fittrack/keys /var/lib/fittrack/nicegui \
    && chown -R fittrack:fittrack /var/lib/fittrack

WORKDIR /app
COPY --chown=root:root alembic.ini ./
COPY --chown=root:root app/ app/
COPY --chown=root:root domain/ domain/
COPY --chown=root:root pages/ pages/
COPY --chown=root:root components/ components/
COPY --chown=root:root tasks/ tasks/
COPY --chown=root:root migrations/ migrations/
COPY --chown=root:root assets/ assets/
COPY --chown=root:root --chmod=0755 deploy/entrypoint.sh deploy/wait_for_database.py deploy/

# Defaults for a container (every one can be overridden; the meaning of each is in README "Settings").
# (DL3064 ignored: the *_KEY_PATH variables are file paths, not key material.)
# NICEGUI_STORAGE_PATH is NiceGUI's own variable (where app.storage files go; default ./.nicegui, not writable here).
# STORAGE_SECRET and TERRA_SIGNING_SECRET have no usable default: with ENV=prod the app refuses to start without them.
# hadolint ignore=DL3064
ENV ENV=prod \
    APP_HOST=0.0.0.0 \
    APP_PORT=8080 \
    JWT_PRIVATE_KEY_PATH=/var/lib/fittrack/keys/jwt_private.pem \
    JWT_PUBLIC_KEY_PATH=/var/lib/fittrack/keys/jwt_public.pem \
    NICEGUI_STORAGE_PATH=/var/lib/fittrack/nicegui

# Numeric ids (the fittrack user and group created above), so `runAsNonRoot`-style checks can verify them.
USER 10001:10001
EXPOSE 8080

# Liveness only (GET /health/live answers while the process serves); readiness (/health/ready: database, Redis, a
# consumer answering) is for a load balancer. The slim image has no curl, so Python's urllib does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('APP_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
