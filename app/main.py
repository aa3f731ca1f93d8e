"""FitTrack's composition root: settings, logging, API routers, the Terra webhook, pages, and the runtime
(embedded Huey consumer, publish/subscribe bridge) wired into NiceGUI's FastAPI `app`. Run: `python app/main.py`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run by path (`python app/main.py`, pytest runpy)

from nicegui import app, ui  # noqa: E402

from app import realtime, runtime  # noqa: E402
from app.api import api_router  # noqa: E402
from app.api.problems import install_problem_handlers  # noqa: E402
from app.logging_setup import configure_logging  # noqa: E402
from app.settings import ROOT, get_settings  # noqa: E402
from app.webhooks import router as webhook_router  # noqa: E402

settings = get_settings()
configure_logging(settings)
install_problem_handlers(app)
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
    )
