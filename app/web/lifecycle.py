"""Process runtime wired into NiceGUI's lifecycle (NiceGUI owns FastAPI's lifespan, so we use its hooks):

startup  — route uvicorn's logs through ours, and start the embedded Huey consumer (`system.jobs.start_consumer`,
           `HUEY_WORKERS` threads) when `consumer` is true, `HUEY_EMBEDDED` is true and `REDIS_URL` is not set (with
           Redis, separate `huey_consumer app.worker.huey` processes run the tasks);
shutdown — stop the embedded consumer gracefully (a no-op when none runs).

The tasks are registered on `system.jobs` by `tasks.register_tasks(system)` (from `app.main.install`) before the app
starts; the JWT key pair is loaded by `app.system.build_system`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.adapters.log_config import route_uvicorn_logs

if TYPE_CHECKING:
    from app.system import System


def install(app: Any, system: System, *, consumer: bool = True) -> None:
    """Register the startup and shutdown hooks for `system` on the NiceGUI `app` (call before `ui.run`);
    `consumer=False` never starts the embedded consumer (tests that run tasks themselves)."""

    def startup() -> None:
        settings = system.settings
        route_uvicorn_logs()
        if consumer and settings.huey_embedded and not settings.redis_url:
            system.jobs.start_consumer(settings.huey_workers)

    def shutdown() -> None:
        system.jobs.stop_consumer()

    app.on_startup(startup)
    app.on_shutdown(shutdown)
