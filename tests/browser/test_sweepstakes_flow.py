"""Issue 6's end-to-end sweepstakes flow in Debian's chromium, at desktop and phone width: a member opens the
drawings list, buys tickets through the dialog (cost, balance after, odds after, confirm), claims the free entry; the
drawing closes and executes (its times moved into the past, then the scheduler's step runs — the clock advanced);
the open page switches to the results by itself, the bell shows the win, the member confirms a shipping address on
the prize page, and the public results verify with `python -m app.cli.verify_draw <results URL>`.

Screenshots of every step go to `var/screenshots/sweepstakes/` (looked at by hand; not compared)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from app.settings import ROOT
from app.system import System
from domain.models import Drawing, Prize, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.types import utcnow
from domain.sweepstakes import drawings
from tasks.drawings import run_due_work
from tests.browser.server import BrowserServer
from tests.support.builders import add_member
from tests.support.db import hash_password, write_session
from tests.support.members import PASSWORD

pytestmark = pytest.mark.browser
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800},
                                     "phone": {"width": 390, "height": 844}}
SHOTS = ROOT / "var" / "screenshots" / "sweepstakes"


def _world() -> tuple[str, uuid.UUID]:
    """A funded, eligible member (TX, 200 points) and an open drawing (10 points a ticket, one physical prize);
    returns (email, drawing id)."""
    with write_session() as session:
        built = add_member(session, display_name="Grace Walker", state_code="TX", connect=False)
        user = session.get(User, built.user_id)
        assert user is not None
        user.password_hash = hash_password(PASSWORD)
        session.add(user)
        ledger.post(session, user_id=user.id, transaction_type=TransactionType.earn, amount=200,
                    idempotency_key=f"fund:{user.id}", platform_day=date(2026, 1, 5))
        admin = add_member(session, display_name="Admin", state_code="TX", connect=False).user_id
        now = utcnow()
        drawing = Drawing(drawing_type="daily", name="Daily Step-Up Draw", ticket_cost_points=10,
                          description="Spend 10 points per ticket or claim your free entry.",
                          open_time=now - timedelta(hours=1), sales_close=now + timedelta(hours=2),
                          drawing_time=now + timedelta(hours=2, minutes=5), status="draft",
                          eligibility={"tiers": [], "roles": [], "min_account_age_days": 0},
                          rules_text="Official rules. NO PURCHASE NECESSARY.", rules_version=1)
        session.add(drawing)
        session.flush()
        session.add(Prize(drawing_id=drawing.id, prize_rank=1, name="GPS running smartwatch", value_usd=350.0,
                          quantity=1, fulfillment_type="physical"))
        session.flush()
        drawings.publish(session, drawing.id, admin_id=admin)
        drawings.open_drawing(session, drawing.id)
        return user.email, drawing.id


def _advance_past_the_draw(system: System, drawing_id: uuid.UUID) -> None:
    """Move the drawing's sales close and drawing time into the past, then run the scheduler's due work (close and
    execute, each in its own transaction) — what the per-minute task does once the times have come."""
    with write_session() as session:
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None
        now = utcnow()
        drawing.sales_close, drawing.drawing_time = now - timedelta(minutes=6), now - timedelta(minutes=1)
        session.add(drawing)
    steps = run_due_work(system)
    assert [s["kind"] for s in steps if s["drawing_id"] == str(drawing_id)] == ["close", "execute"], steps


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_buy_enter_free_draw_results_claim(app_server: BrowserServer, browser: Browser, viewport: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page: Page = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.set_default_timeout(20_000)

    def shot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{viewport}-{name}.png"), full_page=True)

    email, drawing_id = _world()
    base = app_server.base_url
    page.goto(base + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/drawings")
    card = page.locator(f"a[href='/drawings/{drawing_id}']")
    expect(card).to_contain_text("Daily Step-Up Draw")
    expect(card.locator(".ft-countdown")).to_contain_text("h")  # "1h 59m 58s", ticking in the browser
    shot("1-list")
    card.click()
    page.wait_for_url(f"{base}/drawings/{drawing_id}")
    expect(page.get_by_text("GPS running smartwatch")).to_be_visible()

    page.get_by_role("button", name="Buy tickets").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("10 pts", exact=True)).to_be_visible()
    dialog.get_by_role("button", name="One more").click()
    dialog.get_by_role("button", name="One more").click()
    expect(dialog.get_by_text("30 pts", exact=True)).to_be_visible()  # cost
    expect(dialog.get_by_text("170 pts", exact=True)).to_be_visible()  # balance after
    expect(dialog.get_by_text("100%", exact=True)).to_be_visible()  # odds after (the only entrant)
    shot("2-dialog")
    dialog.get_by_role("button", name="Confirm purchase").click()
    expect(page.get_by_text("You bought 3 tickets (#1–#3) for 30 points. Good luck!")).to_be_visible()
    expect(page.locator("header").get_by_text("170", exact=True)).to_be_visible()  # header balance, live

    page.get_by_role("button", name="Enter free").click()
    expect(page.get_by_text("Your free entry is in: ticket #4. Good luck!")).to_be_visible()
    expect(page.get_by_text("Free entry claimed")).to_be_visible()
    expect(page.get_by_text("4 of 4 tickets")).to_be_visible()
    shot("3-entered")

    page.evaluate("window.__sameDocument = true")
    _advance_past_the_draw(app_server.system, drawing_id)
    # The open page notices the status change by itself (live re-read) and shows the winners.
    expect(page.get_by_text("Grace Walker (you!)")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_text("Buy tickets")).to_have_count(0)
    shot("4-drawn")

    page.reload()
    page.get_by_role("button", name="Notifications").click()
    expect(page.get_by_text("You won GPS running smartwatch!")).to_be_visible()
    shot("5-bell")
    page.get_by_text("You won GPS running smartwatch!").click()
    page.wait_for_url(f"{base}/prizes/**")
    page.get_by_label("Full name").fill("Grace Walker")
    page.get_by_label("Street address").fill("12 Main Street")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State").fill("TX")
    page.get_by_role("option", name="TX", exact=True).click()
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_role("button", name="Confirm address").click()
    expect(page.get_by_text("Address confirmed — we will ship your prize soon.")).to_be_visible()
    shot("6-claimed")

    page.goto(f"{base}/my/entries")
    expect(page.get_by_text("Address confirmed", exact=True)).to_be_visible()
    expect(page.get_by_text("4 tickets (1 free)")).to_be_visible()
    shot("7-my-entries")

    page.goto(f"{base}/results/{drawing_id}")
    expect(page.get_by_text("How to verify")).to_be_visible()
    expect(page.get_by_text("Download ticket list (4 tickets)")).to_be_visible()
    shot("8-results")
    page.goto(f"{base}/rules/{drawing_id}")
    expect(page.get_by_text("NO PURCHASE NECESSARY. A purchase does not improve your chances of winning.")) \
        .to_be_visible()
    shot("9-rules")

    url = f"{base}/api/v1/drawings/{drawing_id}/results"
    done = subprocess.run([sys.executable, "-m", "app.cli.verify_draw", url], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RESULT: MATCH" in done.stdout
