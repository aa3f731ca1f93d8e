# FitTrack developer commands (README.md "Make targets"). `make run` and `make test` set up a fresh Debian machine
# themselves (venv, Python packages, chromium for tests, PostgreSQL/Redis for tests) and are safe to run again.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PY := .venv/bin/python
# Folders checked by `make lint` / formatted by `make format` (those that exist).
LINT_PATHS := $(wildcard app domain tasks pages components tests migrations bench)
# Extra arguments: make test PYTEST_ARGS='-k ledger -x'; make worker WORKER_ARGS='-w 8 -k thread';
# make bench BENCH_ARGS=--quick; make replay REPLAY_ARGS=--no-progress
PYTEST_ARGS ?=
WORKER_ARGS ?= -w 4 -k thread
REPLAY_ARGS ?=
TERRA_SIM_ARGS ?=
BENCH_ARGS ?=

.PHONY: help setup setup-test services run test bench lint format db-migrate db-seed db-reset backup restore worker replay terra-sim

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup:  ## create .venv and install Python packages (only when pyproject.toml changed)
	@scripts/setup.sh

setup-test:  ## setup + Debian's chromium for the browser tests
	@scripts/setup.sh --browser

services:  ## start the local PostgreSQL and Redis servers if they are not running
	@scripts/ensure_services.sh

run: setup db-seed  ## set up, migrate, seed, serve http://localhost:8080 (first run also replays the real data)
	@scripts/run.sh

test: setup-test services  ## the whole test suite (SQLite, PostgreSQL, Redis, chromium), then branch coverage
	.venv/bin/pytest --cov --cov-report= $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then scripts/coverage_summary.sh; fi  # the whole suite: domain/ >= 90 %

bench: setup services  ## benchmarks; results are written under bench-results/
	$(PY) -m bench $(BENCH_ARGS)

lint: setup  ## ruff check + mypy + import contracts (all run; fails if any finds something)
	@status=0; \
	echo ".venv/bin/ruff check $(LINT_PATHS)"; .venv/bin/ruff check $(LINT_PATHS) || status=1; \
	echo ".venv/bin/mypy $(LINT_PATHS)"; .venv/bin/mypy $(LINT_PATHS) || status=1; \
	echo ".venv/bin/lint-imports"; .venv/bin/lint-imports --no-cache || status=1; \
	exit $$status

format: setup  ## ruff format + ruff check --fix
	.venv/bin/ruff format $(LINT_PATHS)
	.venv/bin/ruff check --fix $(LINT_PATHS)

db-migrate: setup  ## alembic upgrade head on DATABASE_URL
	.venv/bin/alembic upgrade head

db-seed: db-migrate  ## demo accounts + synthetic population (idempotent; never in ENV=prod)
	$(PY) -m app.cli.seed

db-reset: setup  ## empty the database (SQLite: delete the file), then migrate and seed
	@scripts/db_reset.sh
	@$(MAKE) --no-print-directory db-seed

backup: setup  ## consistent backup of DATABASE_URL into var/backups/ (SQLite backup API / pg_dump), with a manifest
	$(PY) -m app.cli.backup backup $(if $(OUT),--out "$(OUT)",)

restore: setup  ## replace DATABASE_URL's data with a backup: make restore FROM=var/backups/<file> (stop the app first)
	@if [ -z "$(FROM)" ]; then echo "usage: make restore FROM=var/backups/<file>  (list: ls var/backups)" >&2; exit 2; fi
	@read -r -p "Replace every row of the database named by DATABASE_URL with $(FROM)? [y/N] " answer; \
	if [ "$$answer" = "y" ] || [ "$$answer" = "Y" ]; then $(PY) -m app.cli.backup restore "$(FROM)" --yes; \
	else echo "[restore] cancelled"; exit 1; fi

worker: setup  ## a Huey consumer process (with REDIS_URL); extra workers: make worker WORKER_ARGS='-w 4 -k thread -n'
	.venv/bin/huey_consumer app.worker.huey $(WORKER_ARGS) -f

replay: setup  ## replay the real Fitbit data against a running app (make run in another terminal)
	$(PY) -m app.cli.replay --base-url "$$(scripts/app_url.sh)" $(REPLAY_ARGS)

terra-sim: setup  ## local Terra stand-in on :8090 sending webhooks to the app (README "Local Terra stand-in")
	$(PY) -m tests.terra_sim --port 8090 --fittrack-url "$$(scripts/app_url.sh)" $(TERRA_SIM_ARGS)
