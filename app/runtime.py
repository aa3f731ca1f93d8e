"""Process runtime wired into NiceGUI's lifecycle (NiceGUI owns FastAPI's lifespan, so we use its hooks):

startup  — route uvicorn's logs through ours, make sure the JWT key pair exists, and start the embedded Huey
           consumer when `HUEY_EMBEDDED` is true and `REDIS_URL` is not set (with Redis, separate
           `huey_consumer tasks.huey` processes run the tasks);
shutdown — stop the embedded consumer gracefully.
"""

from __future__ import annotations

from typing import Any

from app.logging_setup import route_uvicorn_logs
from app.settings import get_settings


def _startup() -> None:
    import tasks  # noqa: F401  (registers every task on the Huey instance before the consumer starts)
    from app import jobs
    from app.security.jwt import ensure_keys

    settings = get_settings()
    route_uvicorn_logs()
    ensure_keys(settings)
    if settings.huey_embedded and not settings.redis_url:
        jobs.start_embedded_consumer(settings.huey_workers)


def _shutdown() -> None:
    from app import jobs

    jobs.stop_embedded_consumer()


def install(app: Any) -> None:
    """Register the startup and shutdown hooks on the NiceGUI `app` (call before `ui.run`)."""
    app.on_startup(_startup)
    app.on_shutdown(_shutdown)
