"""FitTrack's web entry point: build the `System` from the settings, wire it into NiceGUI's FastAPI `app` (API
routers, the Terra webhook, pages, the embedded Huey consumer, the live-push listener) and serve.
Run: `python app/main.py`."""

from __future__ import annotations

import sys
from pathlib import Path

# Run by path (`python app/main.py`), Python puts app/ first on sys.path, where our modules could shadow top-level
# packages: put the project root there instead, so everything is imported as `app.*`.
_APP_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _APP_DIR]
sys.path.insert(0, str(_APP_DIR.parent))

from nicegui import app, ui  # noqa: E402
from nicegui.ui_run import DocsConfig  # noqa: E402

from app.adapters import metrics  # noqa: E402
from app.adapters.log_config import configure_logging, install_request_id  # noqa: E402
from app.api import api_router  # noqa: E402
from app.settings import ROOT, load_settings  # noqa: E402
from app.system import System, build_system  # noqa: E402
from app.web import lifecycle, protections, realtime  # noqa: E402
from app.web.auth import install_page_guard  # noqa: E402
from app.web.capacity import install_capacity  # noqa: E402
from app.web.downloads import router as downloads_router  # noqa: E402
from app.web.problems import install_problem_handlers  # noqa: E402
from app.web.webhooks import router as webhook_router  # noqa: E402
from tasks import register_tasks  # noqa: E402

FASTAPI_DOCS: DocsConfig = {
    "title": "FitTrack API", "summary": "Points, tiers, leaderboards and the Terra webhook (/api/v1)",
    "description": "JSON API of FitTrack. Errors are RFC 7807 problem details; ids are UUIDs; times are ISO 8601 UTC. "
                   "Authenticate with `POST /api/v1/auth/login`.",
    "version": "1", "terms_of_service": None, "contact": None, "license_info": None,
}


def install(system: System, *, consumer: bool = True) -> None:
    """Wire `system` into NiceGUI's `app` once per process: `app.state.system` (read by the FastAPI dependencies and
    the page decorators), middlewares, routers, static files, the tasks, the live-push feed, start-up/shutdown hooks
    (`consumer=False` keeps the embedded Huey consumer from starting, for tests that run tasks themselves), and
    every page."""
    app.state.system = system
    configure_logging(system.settings)
    install_problem_handlers(app)
    install_page_guard(app)
    install_capacity(app, system.settings)  # issue 12 §1: thread limits + admission limit (fast 503 + Retry-After)
    metrics.install(app)  # request counts/latency by route template; GET /metrics
    protections.install(app)  # issue 13: trusted hosts, body limits, safe JSON, browser headers, websocket origin
    install_request_id(app)  # outermost of our middlewares: every response carries X-Request-ID
    app.include_router(api_router)
    app.include_router(webhook_router)
    app.include_router(downloads_router)  # the admin pages' CSV downloads (browser session)
    app.add_static_files("/assets", str(ROOT / "assets"))
    register_tasks(system)
    realtime.install(app, system)
    lifecycle.install(app, system, consumer=consumer)
    import pages  # noqa: F401  (importing registers every @ui.page)


if __name__ in {"__main__", "__mp_main__"}:
    settings = load_settings()
    system = build_system(settings)
    install(system)
    ui.run(
        host=settings.app_host,
        port=settings.app_port,
        title="FitTrack",
        favicon=str(ROOT / "assets" / "favicon.svg"),
        storage_secret=settings.storage_secret,
        reload=False,
        show=False,
        reconnect_timeout=10.0,
        fastapi_docs=FASTAPI_DOCS,
        endpoint_documentation="none",
        **protections.run_options(settings),  # issue 13: forwarded headers from FORWARDED_ALLOW_IPS, Secure cookie
    )
