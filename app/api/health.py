"""Health endpoints (issue 2 API conventions), mounted at the root (no `/api/v1` prefix).

- `GET /health/live` → 200 whenever the process serves requests.
- `GET /health/ready` → 200 when the database answers `SELECT 1`, Redis answers PING (only if `REDIS_URL` is set)
  and a Huey consumer runs the `ping` task (`system.jobs.enqueue("ping")`) within 3 s; otherwise 503 problem
  details whose `checks` name what failed (details are logged, not returned). The blocking checks run in worker
  threads, concurrently, off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis
import sqlalchemy as sa
import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import SystemDep
from app.system import System
from app.web.problems import problem_response

router = APIRouter(prefix="/health", tags=["health"])
QUEUE_TIMEOUT_SECONDS = 3.0
_log = structlog.get_logger("fittrack.health")


def _check_database(system: System) -> None:
    with system.db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1")).scalar_one()


def _check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        if not client.ping():
            raise RuntimeError("PING failed")
    finally:
        client.close()


def _check_queue(system: System) -> None:
    result = system.jobs.enqueue("ping")
    if result is None:
        raise RuntimeError("the queue returned no result handle")
    answer = result.get(blocking=True, timeout=QUEUE_TIMEOUT_SECONDS, max_delay=0.1)
    if answer != "pong":
        raise RuntimeError(f"unexpected answer {answer!r}")


async def _run(name: str, check: Any, *args: Any) -> tuple[str, str | None]:
    try:
        await asyncio.to_thread(check, *args)
        return name, None
    except Exception as exc:  # a failing dependency is the answer, not an error of this endpoint
        _log.warning("health.check_failed", check=name, error=f"{type(exc).__name__}: {exc}"[:500])
        return name, type(exc).__name__


@router.get("/live", summary="Liveness: the process answers")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: database, Redis (if configured) and the task queue answer",
            responses={503: {"description": "A dependency is not ready (problem details)"}})
async def ready(system: SystemDep) -> JSONResponse:
    settings = system.settings
    jobs = [_run("database", _check_database, system), _run("queue", _check_queue, system)]
    if settings.redis_url:
        jobs.append(_run("redis", _check_redis, settings.redis_url))
    results = dict(await asyncio.gather(*jobs))
    checks = {name: ("ok" if error is None else "failed") for name, error in results.items()}
    failed = sorted(name for name, error in results.items() if error is not None)
    if failed:
        return problem_response(
            503, "Service not ready", f"Not ready: {', '.join(failed)}", instance="/health/ready",
            checks=checks,
        )
    return JSONResponse({"status": "ok", "checks": checks})
