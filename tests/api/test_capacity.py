"""Issue 12 §1 "No collapse": a saturated server answers a fast 503 with `Retry-After` (the admission limit), no
request holds a pooled database connection while it waits for a worker thread, the pool is sized from the thread
limits, and logged errors carry neither local variables nor a heavy traceback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI

from app.adapters.db import POOL_OVERFLOW, create_db_engine
from app.adapters.log_config import TRACEBACK_FRAMES, TRACEBACK_MAX_CHARS, configure_logging
from app.settings import Settings
from app.system import System
from app.web.capacity import AdmissionLimit
from tests.support.api import bearer
from tests.support.members import member, send_daily


def capped_app(*, limit: int, queue: int, wait_seconds: float) -> tuple[FastAPI, asyncio.Event]:
    """A FastAPI app behind `AdmissionLimit` whose `/slow` holds its slot until the returned event is set."""
    release = asyncio.Event()
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await release.wait()
        return {"status": "done"}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(AdmissionLimit, limit=limit, queue=queue, wait_seconds=wait_seconds, retry_after=3)
    return app, release


async def test_a_saturated_server_answers_503_with_retry_after_at_once() -> None:
    app, release = capped_app(limit=2, queue=1, wait_seconds=30)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        busy = [asyncio.create_task(client.get("/slow")) for _ in range(3)]  # 2 served, 1 waiting
        await asyncio.sleep(0.05)
        started = time.monotonic()
        refused = await client.get("/slow")
        elapsed = time.monotonic() - started
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "3"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "at-capacity"
        assert elapsed < 0.5  # refused at once, not after a stall
        probe = await client.get("/health/live")  # probes are never limited
        assert probe.status_code == 200
        release.set()
        answers = await asyncio.gather(*busy)
    assert [r.status_code for r in answers] == [200, 200, 200]  # the waiting one got its turn


async def test_a_request_that_waits_too_long_gets_503() -> None:
    app, release = capped_app(limit=1, queue=10, wait_seconds=0.2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
        first = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        late = await client.get("/slow")
        assert late.status_code == 503 and late.headers["retry-after"] == "3"
        assert 0.15 < time.monotonic() - started < 1.0
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/slow")).status_code == 200  # the slot was given back


@pytest.fixture
def hop_probe(system: System, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every worker-thread hop requested on the event loop records how many pooled connections of `system` were
    checked out at that moment (while the request waits for its thread)."""
    seen: list[int] = []
    original = anyio.to_thread.run_sync
    pool: Any = system.db.engine.pool  # a QueuePool

    async def recording_run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(pool.checkedout())
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recording_run_sync)
    yield seen


@pytest.mark.parametrize("path", ["/api/v1/points/balance", "/api/v1/activities",
                                  "/api/v1/leaderboards/daily"])
async def test_no_connection_is_held_while_a_request_waits_for_a_thread(
    http: httpx.AsyncClient, system: System, hop_probe: list[int], path: str,
) -> None:
    runner = member()
    send_daily(runner.terra_user_id, _today(), steps=8_000)
    hop_probe.clear()
    response = await http.get(path, headers=bearer(runner.user_id))
    assert response.status_code == 200, response.text
    # two hops: the user's read and the endpoint; the response is validated on the loop, the paging is async
    assert len(hop_probe) == 2, hop_probe
    assert hop_probe == [0] * len(hop_probe)
    pool: Any = system.db.engine.pool
    assert pool.checkedout() == 0


def _today() -> Any:
    from domain.shared.calendar import platform_day
    from domain.shared.types import utcnow

    return platform_day(utcnow())


def test_the_pool_serves_every_thread_without_waiting(tmp_path: Any) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", web_threads=30, io_threads=6, huey_workers=3,
                        db_pool_timeout_seconds=4)
    assert settings.capacity_pool_size == 30 + 6 + 3 + 4
    engine = create_db_engine(settings.database_url, pool_size=settings.capacity_pool_size,
                              pool_timeout=settings.db_pool_timeout_seconds)
    try:
        pool: Any = engine.pool
        assert pool.size() == settings.capacity_pool_size
        assert pool._max_overflow == POOL_OVERFLOW and pool._timeout == 4
    finally:
        engine.dispose()
    assert Settings(db_pool_size=7).capacity_pool_size == 7


def _deep(depth: int, secret_local: str) -> None:
    if depth:
        _deep(depth - 1, secret_local)
    raise ValueError("boom at the bottom")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_logged_errors_have_no_locals_and_a_bounded_traceback(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging(Settings(env=env, storage_secret="x" * 40, terra_signing_secret="y" * 40))
        log = logging.getLogger("fittrack.test")
        started = time.perf_counter()
        try:
            _deep(60, secret_local="LOCAL-VALUE-" + "z" * 5000)
        except ValueError:
            log.exception("request failed")
        elapsed = time.perf_counter() - started
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    err = capsys.readouterr().err
    assert "request failed" in err and "boom at the bottom" in err
    assert "LOCAL-VALUE" not in err and "secret_local =" not in err
    assert err.count("_deep") <= TRACEBACK_FRAMES + 1
    assert len(err) < TRACEBACK_MAX_CHARS + 1500
    assert elapsed < 0.5
