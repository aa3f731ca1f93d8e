"""FitTrack's composition root: settings, logging, API routers, the Terra webhook, pages, and the runtime
(embedded Huey consumer, publish/subscribe bridge) wired into NiceGUI's FastAPI `app`. Run: `python app/main.py`."""

from __future__ import annotations

import sys
from pathlib import Path

# Run by path (`python app/main.py`), Python puts app/ first on sys.path, where our modules could shadow top-level
# packages: put the project root there instead, so everything is imported as `app.*`.
_APP_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _APP_DIR]
sys.path.insert(0, str(_APP_DIR.parent))  # run by path (`python app/main.py`, pytest runpy)

from nicegui import app, ui  # noqa: E402

from app import metrics, realtime, runtime  # noqa: E402
from app.api import api_router  # noqa: E402
from app.api.problems import install_problem_handlers  # noqa: E402
from app.logging_setup import configure_logging, install_request_id  # noqa: E402
from app.settings import ROOT, get_settings  # noqa: E402
from app.web_auth import install_page_guard  # noqa: E402
from app.webhooks import router as webhook_router  # noqa: E402

settings = get_settings()
configure_logging(settings)
install_problem_handlers(app)
install_page_guard(app)
metrics.install(app)  # request counts/latency by route template; GET /metrics
install_request_id(app)  # outermost of our middlewares: every response carries X-Request-ID
app.include_router(api_router)
app.include_router(webhook_router)
app.add_static_files("/assets", str(ROOT / "assets"))
runtime.install(app)
realtime.install(app)

import pages  # noqa: E402,F401  (importing registers every @ui.page)

if __name__ in {"__main__", "__mp_main__"}:
    ui.run(
        host=settings.app_host,
        port=settings.app_port,
        title="FitTrack",
        favicon=str(ROOT / "assets" / "favicon.svg"),
        storage_secret=settings.storage_secret,
        reload=False,
        show=False,
        reconnect_timeout=10.0,
        fastapi_docs={"title": "FitTrack API", "summary": "Points, tiers, leaderboards and the Terra webhook (/api/v1)",
                      "description": "JSON API of FitTrack. Errors are RFC 7807 problem details; ids are UUIDs; "
                                     "times are ISO 8601 UTC. Authenticate with `POST /api/v1/auth/login`.",
                      "version": "1", "terms_of_service": None, "contact": None, "license_info": None},
        endpoint_documentation="none",
    )
