"""The local Terra stand-in (tests/terra_sim) wired into a test System: the `terra` fixture runs it in-process,
gives the test's System Terra credentials (`TERRA_DEV_ID` / `TERRA_API_KEY` / `TERRA_BASE_URL`), and makes
`app.services.terra_sync.client_from_settings` answer clients bound to the stand-in (pages, API routes and tasks build
their Terra client through it). Shared by tests/integration/test_sync.py, tests/api/test_connections.py and
tests/pages/test_connections_page.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.adapters.terra.client import TerraClient
from app.services import terra_sync
from app.system import System
from domain.accounts.members import connect_tracker
from domain.models import TrackerConnection
from domain.tracking import connections
from tests.support.db import read_session, write_session
from tests.support.members import member
from tests.terra_sim import SimConfig, SimState, create_app
from tests.terra_sim.app import SimUser

SIM_URL = "http://terra-sim.test"


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Terra:
    """The in-process stand-in: its ASGI `app`, its `sim` state, and `client()` making a FitTrack Terra client
    that talks to it (no retries' sleeping, no shared circuit breaker)."""

    app: FastAPI
    sim: SimState
    config: SimConfig

    def client(self, **kwargs: Any) -> TerraClient:
        options: dict[str, Any] = {"max_retries": 1, "sleep": _no_sleep, "circuit": None} | kwargs
        return TerraClient(base_url=SIM_URL, dev_id=self.config.dev_id, api_key=self.config.api_key,
                           transport=httpx.ASGITransport(app=self.app), **options)

    def api_requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.sim.requests if path is None or r["path"].endswith(path)]


def _test_system(request: pytest.FixtureRequest) -> System:
    """The System the test runs on: `db_system` when the test uses it (e.g. through `client`), else `system`."""
    name = "db_system" if "db_system" in request.fixturenames else "system"
    found: System = request.getfixturevalue(name)
    return found


@pytest.fixture(name="terra")
def terra_fixture(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Terra]:
    """The stand-in in-process; the test's System configured for it and `terra_sync.client_from_settings` answering
    clients bound to it."""
    config = SimConfig(data_webhook_days=0, data_delay_seconds=0)
    app = create_app(config)
    stand_in = Terra(app=app, sim=app.state.sim, config=config)
    settings = _test_system(request).settings
    monkeypatch.setattr(settings, "terra_dev_id", config.dev_id)
    monkeypatch.setattr(settings, "terra_api_key", config.api_key)
    monkeypatch.setattr(settings, "terra_base_url", SIM_URL)
    monkeypatch.setattr(terra_sync, "client_from_settings", lambda system: stand_in.client())
    yield stand_in


def connected_member(terra: Terra, *, provider: str = "FITBIT", person: str | None = None) -> tuple[uuid.UUID,
                                                                                                    SimUser]:
    """A member whose `provider` connection is bound to a new stand-in user (a real Fitbit dataset person)."""
    built = member(connect=False)
    sim_user = terra.sim.create_user(provider=provider, reference_id=str(built.user_id), person=person)
    with write_session() as session:
        connect_tracker(session, user_id=built.user_id, provider=provider, terra_user_id=sim_user.user_id)
    return built.user_id, sim_user


def connection_of(user_id: uuid.UUID, provider: str = "FITBIT") -> TrackerConnection:
    with read_session() as session:
        return connections.get_connection(session, user_id, provider)
