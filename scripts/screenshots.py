"""Screenshots of the main pages at desktop (1280×800) and phone (390×844) widths into `var/screenshots/`.

Starts the app as a subprocess on a free port with a temporary database, seeds the demo data (`app.cli.seed`), adds a
held-points review item, then with Debian's chromium (Playwright) captures the landing page `/` signed out, signs in
through the login page and captures `/login`, `/`, `/leaderboard`, `/activity` and the dashboard in dark mode (demo
member; the dark-mode toggle is switched back afterwards) and `/admin`, `/admin/users`, `/admin/review` (demo admin).

    .venv/bin/python scripts/screenshots.py [--out var/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright  # noqa: E402

from app.cli.devserver import child_system  # noqa: E402
from app.system import System  # noqa: E402
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, Server, running_app  # noqa: E402

VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MEMBER_PAGES = [("dashboard", "/"), ("leaderboard", "/leaderboard"), ("activity", "/activity")]
ADMIN_PAGES = [("admin-overview", "/admin"), ("admin-users", "/admin/users"), ("admin-review", "/admin/review")]


def seed_demo_data(system: System) -> None:
    """Demo accounts + synthetic population, and one implausible day so the review queue has something in it, in the
    database of `system` (the child app's)."""
    from sqlmodel import col, select

    from app.cli.seed import seed
    from domain.accounts.members import get_member_by_email
    from domain.models import TrackerConnection
    from domain.shared.calendar import platform_day
    from domain.tracking.ingest import apply_event
    from tests.support.builders import daily_payload

    seed(system, out=lambda line: print(line))
    today = platform_day(system.clock())
    with system.uow() as session:
        demo = get_member_by_email(session, "member@demo.fittrack.test")
        assert demo is not None
        connection = session.exec(select(TrackerConnection).where(
            TrackerConnection.user_id != demo.id, col(TrackerConnection.terra_user_id).isnot(None))).first()
        assert connection is not None and connection.terra_user_id is not None
        apply_event(session, daily_payload(connection.terra_user_id, today, steps=72_500, moderate_seconds=3600),
                    ordering_ts=int(time.time() * 1000))


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1_200)  # data loads after the page skeleton; charts animate


def _toggle_dark_mode(page: Page) -> None:
    page.get_by_role("button", name="Toggle dark mode").click()
    page.wait_for_timeout(800)  # saved in a worker thread


def capture(browser: Browser, server: Server, out: Path, email: str, password: str,
            pages: list[tuple[str, str]], *, with_login: bool = False) -> list[Path]:
    """Screenshots of `pages` for each viewport, signed in as `email`. `with_login` (the member run) also captures
    the landing page (signed out), the login page and the dashboard in dark mode."""
    shots = []
    for device, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=1, color_scheme="light")
        page = context.new_page()
        page.set_default_timeout(20_000)
        if with_login:
            page.goto(server.base_url + "/")
            _settle(page)
            shots.append(out / f"landing-{device}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        page.goto(server.base_url + "/login")
        page.wait_for_selector("input[type=email]")
        if with_login:
            page.wait_for_timeout(300)
            shots.append(out / f"login-{device}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        page.locator("input[type=email]").fill(email)
        page.locator("input[type=password]").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.base_url + "/")
        for name, path in pages:
            page.goto(server.base_url + path)
            _settle(page)
            shots.append(out / f"{name}-{device}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        if with_login:
            page.goto(server.base_url + "/")
            _settle(page)
            _toggle_dark_mode(page)
            page.reload()
            _settle(page)
            shots.append(out / f"dashboard-dark-{device}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            _toggle_dark_mode(page)  # back to light for the next viewport
        context.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fittrack-shots-") as workdir, \
            running_app(Path(workdir)) as server, child_system(server) as system:
        seed_demo_data(system)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shots = capture(browser, server, args.out, "member@demo.fittrack.test", "demo-member-pass",
                            MEMBER_PAGES, with_login=True)
            shots += capture(browser, server, args.out, "admin@demo.fittrack.test", "demo-admin-pass", ADMIN_PAGES)
            browser.close()
    for shot in shots:
        print(shot.relative_to(ROOT) if shot.is_relative_to(ROOT) else shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
