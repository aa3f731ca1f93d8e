"""Issue 7 §11's end-to-end admin flow in Debian's chromium, at desktop and phone width: the admin creates a sponsor,
a drawing with two prizes (one sponsored), and publishes it; the drawing opens (the scheduler's step); a member buys
tickets on the drawing's page; sales close and the admin presses "Execute now" (the app's own Huey consumer runs the
draw task); the member confirms a shipping address; the admin ships the prize from the fulfillment queue; the member
sees it shipped with the tracking number. Names are unique per test (the desktop and phone runs share the module's
server): lists are searched for this test's sponsor and drawing.

Screenshots of every step go to `var/screenshots/admin/` (looked at by hand; not compared)."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlmodel import col, select

from app.settings import ROOT
from domain.models import Drawing, Prize, PrizeFulfillment, User
from domain.points import ledger
from domain.shared.calendar import PLATFORM_TZ
from domain.shared.enums import TransactionType
from domain.shared.types import utcnow
from tasks.drawings import run_due_work
from tests.browser.server import BrowserServer
from tests.support.builders import add_member
from tests.support.db import hash_password, read_session, write_session
from tests.support.members import PASSWORD

pytestmark = pytest.mark.browser
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800},
                                     "phone": {"width": 390, "height": 844}}
SHOTS = ROOT / "var" / "screenshots" / "admin"


def _people() -> tuple[str, str]:
    """An admin and a funded, eligible member (TX, 200 points); returns their emails."""
    emails = []
    with write_session() as session:
        for name, role in (("Avery Admin", "admin"), ("Grace Walker", "user")):
            built = add_member(session, display_name=name, state_code="TX", connect=False)
            user = session.get(User, built.user_id)
            assert user is not None
            user.password_hash, user.role = hash_password(PASSWORD), role
            session.add(user)
            emails.append(user.email)
            if role == "user":
                ledger.post(session, user_id=user.id, transaction_type=TransactionType.earn, amount=200,
                            idempotency_key=f"fund:{user.id}", platform_day=date(2026, 1, 5))
    return emails[0], emails[1]


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("input[type=email]").fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def _choose(page: Page, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _dialog(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".q-dialog").last


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_admin_runs_a_drawing_end_to_end(app_server: BrowserServer, browser: Browser, viewport: str,
                                         tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = app_server.base_url
    tag = uuid.uuid4().hex[:6]
    sponsor, drawing_name = f"Cadence Audio {tag}", f"Weekly Sweat Sweepstakes {tag}"
    admin_email, member_email = _people()
    admin = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
    member = browser.new_context(viewport=VIEWPORTS[viewport]).new_page()
    for page in (admin, member):
        page.set_default_timeout(20_000)

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{viewport}-{name}.png"), full_page=True)

    # --- the admin: a sponsor -------------------------------------------------------------------------------------
    _sign_in(admin, base, admin_email)
    admin.goto(f"{base}/admin/sponsors?q={tag}")
    expect(admin.get_by_text("0 sponsors")).to_be_visible()
    admin.get_by_role("button", name="New sponsor").click()
    dialog = _dialog(admin)
    dialog.get_by_label("Name", exact=True).fill(sponsor)
    dialog.get_by_label("Contact email").fill("partners@cadence.example")
    dialog.get_by_label("Website").fill("https://cadence.example")
    shot(admin, "1-new-sponsor")
    dialog.get_by_role("button", name="Create sponsor").click()
    admin.wait_for_url(f"{base}/admin/sponsors/**")
    expect(admin.get_by_text(sponsor).first).to_be_visible()
    shot(admin, "2-sponsor")

    # --- a draft with rules, then two prizes ----------------------------------------------------------------------
    admin.goto(base + "/admin/drawings")
    admin.get_by_role("button", name="New drawing").click()
    admin.wait_for_url(base + "/admin/drawings/new")
    admin.get_by_label("Name", exact=True).fill(drawing_name)
    admin.get_by_label("Ticket cost (points)").fill("10")
    when = (utcnow() + timedelta(days=2)).astimezone(PLATFORM_TZ)
    admin.get_by_label("Drawing time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    admin.locator("textarea").last.fill("# Official rules\n\n**NO PURCHASE NECESSARY.** One prize per member.")
    expect(admin.locator(".nicegui-markdown strong").get_by_text("NO PURCHASE NECESSARY.")).to_be_visible()
    shot(admin, "3-new-drawing")
    admin.get_by_role("button", name="Create draft").click()
    admin.wait_for_url(f"{base}/admin/drawings/*-*")
    expect(admin.get_by_text(drawing_name).first).to_be_visible()
    drawing_id = uuid.UUID(admin.url.rsplit("/", 1)[1])

    admin.get_by_role("tab", name="Prizes").click()
    for name, value, prize_sponsor, delivery in (("Bone-conduction headphones", "130", sponsor, None),
                                                 ("$20 store credit", "20", None, "Digital (code)")):
        admin.get_by_role("button", name="Add prize").click()
        dialog = _dialog(admin)
        dialog.get_by_label("Prize name").fill(name)
        dialog.get_by_label("Value (USD)").fill(value)
        if prize_sponsor:
            _choose(admin, "Sponsor", prize_sponsor)
        if delivery:
            _choose(admin, "Delivery", delivery)
        dialog.get_by_role("button", name="Save prize").click()
        expect(admin.get_by_text(name, exact=True)).to_be_visible()
    expect(admin.get_by_text(f"Sponsor: {sponsor}")).to_be_visible()
    picture = tmp_path / "headphones.jpg"
    Image.new("RGB", (1600, 1200), (14, 116, 144)).save(picture, "JPEG")
    admin.locator("input[type=file]").first.set_input_files(str(picture))  # the "Picture" button's file picker
    expect(admin.get_by_text("Picture saved (800 × 600, metadata removed)")).to_be_visible()
    expect(admin.locator("img[src$='.thumb.webp']")).to_have_count(1)
    shot(admin, "4-prizes")

    admin.get_by_role("button", name="Publish").click()
    _dialog(admin).get_by_role("button", name="Publish").click()
    expect(admin.get_by_text("Published: the drawing is scheduled")).to_be_visible()
    shot(admin, "5-published")

    # --- the scheduler opens it; the member buys tickets ------------------------------------------------------------
    steps = run_due_work(app_server.system)
    assert ("open", str(drawing_id)) in [(s["kind"], s["drawing_id"]) for s in steps], steps
    _sign_in(member, base, member_email)
    member.goto(f"{base}/drawings/{drawing_id}")
    expect(member.get_by_text("Bone-conduction headphones")).to_be_visible()
    member.get_by_role("button", name="Buy tickets").click()
    _dialog(member).get_by_role("button", name="One more").click()
    _dialog(member).get_by_role("button", name="Confirm purchase").click()
    expect(member.get_by_text("You bought 2 tickets (#1–#2) for 20 points. Good luck!")).to_be_visible()

    # --- sales close; the admin executes it now --------------------------------------------------------------------
    with write_session() as uow:
        drawing = uow.get(Drawing, drawing_id)
        assert drawing is not None
        drawing.sales_close = utcnow() - timedelta(seconds=5)  # the drawing time itself is still two days away
        uow.add(drawing)
    admin.goto(f"{base}/admin/drawings/{drawing_id}")
    admin.get_by_role("button", name="Execute now").click()
    _dialog(admin).get_by_role("button", name="Execute now").click()
    expect(admin.get_by_text("Draw queued")).to_be_visible()
    deadline = time.monotonic() + 30
    while True:  # the app's embedded Huey consumer runs the task
        with read_session() as session:
            drawing = session.get(Drawing, drawing_id)
            assert drawing is not None
            if drawing.status == "completed" or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert drawing.status == "completed"
    admin.reload()
    admin.get_by_role("tab", name="Results").click()
    expect(admin.get_by_text("Grace Walker").first).to_be_visible()
    shot(admin, "6-results")
    admin.get_by_role("tab", name="Audit").click()
    expect(admin.get_by_text("drawing.executed")).to_be_visible()
    expect(admin.get_by_text("drawing.execute_requested")).to_be_visible()
    shot(admin, "7-audit")

    # --- the member confirms an address; the admin ships; the member sees it shipped -------------------------------
    with read_session() as session:
        fulfillment = session.exec(select(PrizeFulfillment).join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id))
                                   .where(Prize.drawing_id == drawing_id)).one()
    member.goto(f"{base}/prizes/{fulfillment.id}")
    member.get_by_label("Full name").fill("Grace Walker")
    member.get_by_label("Street address").fill("12 Main Street")
    member.get_by_label("City").fill("Austin")
    member.get_by_label("State").fill("TX")
    member.get_by_role("option", name="TX", exact=True).click()
    member.get_by_label("ZIP code").fill("78701")
    member.get_by_role("button", name="Confirm address").click()
    expect(member.get_by_text("Address confirmed — we will ship your prize soon.")).to_be_visible()

    admin.goto(base + "/admin/fulfillment")
    admin.locator(".q-card").filter(has_text=drawing_name).get_by_role("button", name="Ship").click()
    dialog = _dialog(admin)
    dialog.get_by_label("Carrier").fill("UPS")
    dialog.get_by_label("Tracking number").fill("1Z999AA10123456784")
    dialog.get_by_role("button", name="Mark shipped").click()
    expect(admin.get_by_text("Shipped with UPS")).to_be_visible()
    shot(admin, "8-shipped")

    member.goto(f"{base}/prizes/{fulfillment.id}")
    expect(member.get_by_text("UPS · tracking number 1Z999AA10123456784")).to_be_visible()
    shot(member, "9-member-sees-shipped")

    # --- the admin lists: the drawing completed, the sponsor's prize value ---------------------------------------
    admin.goto(f"{base}/admin/drawings?q={tag}")
    expect(admin.get_by_text("1 drawing", exact=True)).to_be_visible()
    expect(admin.get_by_role("link", name=drawing_name)).to_be_visible()
    shot(admin, "10-drawings-list")
    admin.goto(f"{base}/admin/sponsors?q={tag}")
    expect(admin.get_by_text("1 sponsor", exact=True)).to_be_visible()
    expect(admin.locator(".q-table")).to_contain_text("$130")
    shot(admin, "11-sponsors-list")
