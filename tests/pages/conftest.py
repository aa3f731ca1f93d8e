"""Fixtures of the page tests (NiceGUI's simulated user on the session's one app, tests/conftest.py `user`):

- `create_user`: more simulated browsers on the same app and the same test System (NiceGUI's own `create_user`
  would enter the app's lifespan a second time: a second live listener, a second start-up);
- `live`: the app's live feed (`app.web.realtime.LiveFeed`, `app.state.live_feed`), whose listener shares the test
  System's pub/sub, so whatever the test commits in `system.uow()` reaches the open pages; `landed`: a probe of the
  feed's "points landed" batches (e.g. to let the test's own set-up commits pass before a page opens);
- `terra`: the in-process Terra stand-in (tests/terra_sim) with this test's System configured for it
  (`tests.support.terra_standin`);
- `serve`: hand the app another System for the rest of the test (e.g. one with `ENV=prod`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app.system import System
from app.web.realtime import LiveFeed, PointsLanded
from tests.support.terra_standin import terra_fixture  # noqa: F401  (the `terra` fixture)


@pytest.fixture
async def create_user(user: User) -> AsyncIterator[Callable[[], User]]:
    """A factory of further simulated browsers (own cookies and storage) on the session's app."""
    clients: list[httpx.AsyncClient] = []

    def build() -> User:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test")
        clients.append(http)
        return User(http)

    yield build
    for http in clients:
        await http.aclose()


@pytest.fixture
def live(user: User) -> LiveFeed:
    """The app's live feed (listening on the test System's pub/sub)."""
    feed: LiveFeed = core.app.state.live_feed
    return feed


@dataclass
class PointsProbe:
    """Every "points landed" batch the app's feed emitted since the probe was subscribed."""

    batches: list[PointsLanded]

    def touched(self, user_id: uuid.UUID | str) -> bool:
        return any(batch.touches_user(user_id) for batch in self.batches)

    async def wait_for(self, *user_ids: uuid.UUID | str, timeout: float = 15.0) -> None:
        """Wait until batches touching every one of `user_ids` have been emitted (AssertionError after `timeout`
        seconds)."""
        deadline = time.monotonic() + timeout
        while not all(self.touched(user_id) for user_id in user_ids):
            if time.monotonic() > deadline:
                raise AssertionError(f"no live batch for {user_ids} within {timeout} s")
            await asyncio.sleep(0.01)


@pytest.fixture
def landed(live: LiveFeed) -> Iterator[PointsProbe]:
    """A probe subscribed to the app's "points landed" batches for this test (unsubscribed afterwards)."""
    probe = PointsProbe([])
    live.points.landed.subscribe(probe.batches.append)
    yield probe
    live.points.landed.unsubscribe(probe.batches.append)


@pytest.fixture
def serve(user: User) -> Callable[[System], None]:
    """`serve(other)`: the app answers with `other` (pages and API) from now on; the next test's `user` fixture
    installs that test's own System again."""

    def use(other: System) -> None:
        other.pubsub = core.app.state.system.pubsub
        core.app.state.system = other

    return use
