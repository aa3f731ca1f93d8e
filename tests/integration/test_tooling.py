"""Tooling stays true to the code (issue 2 deliverable 1): every setting is documented in README.md and .env.example
with its real default, the Makefile has every required target, and the shell scripts parse and are executable."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from app.settings import ROOT, Settings

SETTINGS = {name.upper(): field for name, field in Settings.model_fields.items()}
README = (ROOT / "README.md").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def _readme_settings_table() -> dict[str, str]:
    """env var → default column, from the README's "Settings" table."""
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, re.M)
    return {name: default.strip() for name, default in rows}


def _documented_default(name: str) -> str:
    """The default as documented: booleans lower-case, None as "unset", repo paths as `<repo>/…`."""
    default = SETTINGS[name].default
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return str(default).lower()
    text = str(default)
    if str(ROOT) in text:
        text = text.replace(str(ROOT), "<repo>")
    elif str(ROOT.parent) in text:
        text = text.replace(str(ROOT.parent), "<repo>/..")
    return text


def test_readme_documents_every_setting_with_its_default() -> None:
    table = _readme_settings_table()
    assert set(table) == set(SETTINGS), "README settings table out of step with app/settings.py"
    for name, documented in table.items():
        expected = _documented_default(name)
        shown = expected if expected == "unset" else "empty" if expected == "" else f"`{expected}`"
        assert documented == shown, f"{name}: README says {documented}, settings say {shown}"


def test_env_example_lists_every_setting_with_its_default() -> None:
    """Each setting appears as a commented `# NAME=value` line whose value means the default (relative paths are
    relative to the repo root, where `make` runs); settings without a default are left empty (REDIS_URL shows the
    usual local URL as an example)."""
    assignments = dict(re.findall(r"^# ([A-Z_]+)=(.*)$", ENV_EXAMPLE, re.M))
    assert set(assignments) == set(SETTINGS), ".env.example out of step with app/settings.py"
    for name, value in assignments.items():
        expected = _documented_default(name)
        if expected == "unset":
            assert name == "REDIS_URL" or value == "", f"{name} has no default; leave it empty"
        elif "<repo>" in expected:
            prefix = "sqlite:///" if expected.startswith("sqlite:///") else ""
            assert value.startswith(prefix), name
            documented_path = (ROOT / value.removeprefix(prefix)).resolve()
            actual_path = Path(str(SETTINGS[name].default).removeprefix(prefix)).resolve()
            assert documented_path == actual_path, f"{name}: {value!r} is not the default {actual_path}"
        else:
            assert value == expected, f"{name}: .env.example says {value!r}, settings say {expected!r}"


def test_env_example_values_are_accepted_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting every line of .env.example gives valid settings."""
    for name, value in re.findall(r"^# ([A-Z_]+)=(.*)$", ENV_EXAMPLE, re.M):
        monkeypatch.setenv(name, value)
    Settings()


@pytest.mark.parametrize(
    "target",
    ["run", "test", "bench", "lint", "format", "db-migrate", "db-seed", "db-reset", "worker", "replay", "setup"],
)
def test_makefile_has_target(target: str) -> None:
    proc = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


SCRIPTS = sorted(ROOT.glob("scripts/*.sh")) + [ROOT / ".ci" / "run"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_is_executable_bash(script: Path) -> None:
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script.read_text()
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_ensure_services_leaves_running_servers_alone() -> None:
    """With PostgreSQL and Redis up (the suite needs them), the script only reports them and exits 0."""
    proc = subprocess.run(
        [str(ROOT / "scripts" / "ensure_services.sh")], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "PostgreSQL is running" in proc.stdout and "Redis is running" in proc.stdout
