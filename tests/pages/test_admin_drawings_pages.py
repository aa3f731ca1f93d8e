"""The admin drawing pages through NiceGUI's `user` fixture (issue 7 §1, §11): create a draft with eligibility and
rules, add prizes (and a picture) in the dialog, publish with a confirmation, cancel with a reason, "execute now" only
once sales have closed, the audit record, the list's filters — and members refused."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User as SimulatedUser
from PIL import Image
from sqlmodel import col, select

from app.system import System
from domain.models import AuditLog, Drawing, Prize
from domain.shared.calendar import PLATFORM_TZ
from domain.sweepstakes import drawings, editor, sponsors
from domain.sweepstakes.editor import DrawingFields, PrizeFields
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in


def element(user: SimulatedUser, marker: str) -> Any:
    found = user.find(marker=marker).elements
    assert len(found) == 1, (marker, len(found))
    return next(iter(found))


def local_input(moment: datetime) -> str:
    return moment.astimezone(PLATFORM_TZ).strftime("%Y-%m-%dT%H:%M")


def actions(drawing_id: uuid.UUID) -> list[str]:
    with read_session() as session:
        rows = session.exec(select(AuditLog).where(col(AuditLog.target_id) == str(drawing_id))
                            .order_by(col(AuditLog.created_at))).all()
        return [row.action for row in rows]


def make_draft(admin_id: uuid.UUID, *, prizes: int = 0, name: str = "Weekly Sweat Sweepstakes") -> uuid.UUID:
    now = datetime.now(UTC)
    with write_session() as session:
        drawing = editor.create_draft(session, DrawingFields(
            drawing_type="weekly", name=name, ticket_cost_points=50, drawing_time=now + timedelta(days=7),
            open_time=now + timedelta(hours=1), rules_text="# Rules\n\nNO PURCHASE NECESSARY."), admin_id=admin_id)
        for rank in range(1, prizes + 1):
            editor.add_prize(session, drawing.id, PrizeFields(name=f"Prize {rank}", value_usd=100,
                                                                      prize_rank=rank), admin_id=admin_id)
        return drawing.id


async def _admin(user: SimulatedUser) -> uuid.UUID:
    admin = member(role="admin", display_name="Admin", connect=False)
    await sign_in(user, email_of(admin.user_id))
    return admin.user_id


async def test_create_a_draft_with_eligibility_and_rules(user: SimulatedUser) -> None:
    admin_id = await _admin(user)
    await user.open("/admin/drawings/new")
    await user.should_see("Official rules", retries=300)
    user.find(marker="drawing-name").type("Spring Step Challenge Draw")
    element(user, "drawing-type").set_value("monthly")
    element(user, "ticket-cost").set_value(75)
    when = datetime.now(UTC) + timedelta(days=10)
    element(user, "drawing-time").set_value(local_input(when))
    element(user, "eligibility-tiers").set_value(["F-30-39-INT", "OPEN"])
    element(user, "eligibility-age").set_value(30)
    await user.should_see("Open to members of tiers F-30-39-INT, OPEN whose account is at least 30 days old.",
                          retries=300)
    element(user, "rules-text").set_value("# Official rules\n\n**NO PURCHASE NECESSARY.**")
    await user.should_see(marker="rules-preview", content="NO PURCHASE NECESSARY.", retries=300)
    user.find(marker="create-draft").click()
    await user.should_see("Draft created. Add prizes, then publish.", retries=300)
    await user.should_see(marker="drawing-title", retries=300)
    assert element(user, "drawing-title").text == "Spring Step Challenge Draw"
    with read_session() as session:
        drawing = session.exec(select(Drawing)).one()
    assert drawing.status == "draft" and drawing.drawing_type == "monthly" and drawing.ticket_cost_points == 75
    assert drawing.eligibility == {"tiers": ["F-30-39-INT", "OPEN"], "roles": [], "min_account_age_days": 30}
    assert drawing.rules_text == "# Official rules\n\n**NO PURCHASE NECESSARY.**"
    assert abs(drawing.drawing_time - when.replace(second=0, microsecond=0)) < timedelta(minutes=1)
    assert drawing.sales_close == drawing.drawing_time - timedelta(minutes=5)
    assert actions(drawing.id) == ["drawing.create"]
    assert drawing.created_by == admin_id


async def test_invalid_draft_shows_a_readable_error(user: SimulatedUser) -> None:
    await _admin(user)
    await user.open("/admin/drawings/new")
    await user.should_see("Official rules", retries=300)
    user.find(marker="drawing-name").type("No time")
    user.find(marker="create-draft").click()
    await user.should_see("Drawing time is required", retries=300)
    element(user, "drawing-time").set_value(local_input(datetime.now(UTC) - timedelta(days=1)))
    user.find(marker="create-draft").click()
    await user.should_see("The drawing time must be in the future", retries=300)
    with read_session() as session:
        assert session.exec(select(Drawing)).first() is None


async def test_add_prizes_upload_a_picture_and_publish(user: SimulatedUser, system: System) -> None:
    admin_id = await _admin(user)
    with write_session() as session:
        sponsor = sponsors.create_sponsor(session, sponsors.SponsorFields(name="Cadence Audio"), admin_id=admin_id)
    drawing_id = make_draft(admin_id)
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="drawing-title", retries=300)
    user.find("Prizes (0)").click()
    await user.should_see("No prizes yet", retries=300)

    user.find(marker="publish").click()  # not ready: no prize
    await user.should_see("Not ready to publish: Add at least one prize.", retries=300)

    user.find(marker="add-prize").click()
    await user.should_see("Add a prize", retries=300)
    user.find(marker="prize-name").type("Bone-conduction headphones")
    element(user, "prize-value").set_value(130)
    element(user, "prize-sponsor").set_value(str(sponsor.id))
    user.find(marker="save-prize").click()
    await user.should_see("Prize added", retries=300)
    await user.should_see("Sponsor: Cadence Audio", retries=300)

    png = io.BytesIO()
    Image.new("RGB", (1200, 1200), (200, 50, 50)).save(png, "PNG")
    upload = next(iter(user.find(ui.upload).elements))
    await upload.handle_uploads([SmallFileUpload("headphones.png", "image/png", png.getvalue())])
    await user.should_see("Picture saved (800 × 800, metadata removed)", retries=300)
    with read_session() as session:
        prize = session.exec(select(Prize)).one()
    assert prize.image_url and prize.image_url.startswith("/static/media/prizes/")
    assert (system.settings.media_dir / "prizes" / prize.image_url.rsplit("/", 1)[1]).is_file()
    await user.should_see(marker="prize-image", retries=300)

    upload = next(iter(user.find(ui.upload).elements))
    await upload.handle_uploads([SmallFileUpload("notes.txt", "image/png", b"not a picture at all")])
    await user.should_see("This file is not a readable picture", retries=300)

    user.find(marker="publish").click()
    await user.should_see("Publish this drawing?", retries=300)
    user.find(marker="confirm").click()
    await user.should_see("Published: the drawing is scheduled", retries=300)
    with read_session() as session:
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None and drawing.status == "scheduled"
    assert actions(drawing_id) == ["drawing.create", "prize.create", "prize.update", "drawing.published"]
    user.find("Audit (4)").click()
    await user.should_see("drawing.published", retries=300)


async def test_edit_rules_bumps_the_version(user: SimulatedUser) -> None:
    admin_id = await _admin(user)
    drawing_id = make_draft(admin_id, prizes=1)
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="drawing-title", retries=300)
    user.find("Official rules").click()
    await user.should_see(marker="rules-version", content="Version 1", retries=300)
    element(user, "rules-text").set_value("# Rules v2\n\nOne prize per member.")
    user.find(marker="save-rules").click()
    await user.should_see("Saved", retries=300)
    await user.should_see(marker="rules-version", content="Version 2", retries=300)
    with read_session() as session:
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None and drawing.rules_version == 2 and drawing.rules_text.startswith("# Rules v2")
    assert actions(drawing_id)[-1] == "drawing.update"


async def test_cancel_needs_a_reason(user: SimulatedUser) -> None:
    admin_id = await _admin(user)
    drawing_id = make_draft(admin_id, prizes=1)
    with write_session() as session:
        drawings.publish(session, drawing_id, admin_id=admin_id)
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="drawing-title", retries=300)
    user.find(marker="cancel-drawing").click()
    await user.should_see("Cancel this drawing?", retries=300)
    user.find(marker="confirm").click()
    await user.should_see("A reason is required", retries=300)
    user.find(marker="reason").type("Sponsor withdrew the prize")
    user.find(marker="confirm").click()
    await user.should_see("Drawing cancelled", retries=300)
    with read_session() as session:
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None and drawing.status == "cancelled"
        entry = session.exec(select(AuditLog).where(AuditLog.action == "drawing.cancelled")).one()
        assert entry.actor_id == admin_id and (entry.after_state or {})["reason"] == "Sponsor withdrew the prize"


async def test_execute_now_only_after_sales_close(user: SimulatedUser, system: System) -> None:
    admin_id = await _admin(user)
    drawing_id = make_draft(admin_id, prizes=1)

    def set_state(status: str, sales_close: datetime) -> None:
        with write_session() as session:
            row = session.get(Drawing, drawing_id)
            assert row is not None
            row.status, row.sales_close = status, sales_close
            session.add(row)

    now = datetime.now(UTC)
    set_state("open", now + timedelta(hours=2))
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="drawing-title", retries=300)
    await user.should_see("Execute now becomes available once sales close.", retries=300)
    await user.should_not_see(marker="execute")
    await user.should_see(marker="frozen", retries=300)

    set_state("closed", now - timedelta(minutes=1))
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="execute", retries=300)
    user.find(marker="execute").click()
    await user.should_see("Execute the draw now?", retries=300)
    user.find(marker="confirm").click()
    await user.should_see("Draw queued", retries=300)
    queued = [(task.name, task.args) for task in system.jobs.huey.pending()]  # the app's queue (no consumer here)
    assert queued == [("execute_drawing", (str(drawing_id),))]
    assert actions(drawing_id)[-1] == "drawing.execute_requested"


async def test_delete_draft(user: SimulatedUser) -> None:
    admin_id = await _admin(user)
    drawing_id = make_draft(admin_id, prizes=2)
    await user.open(f"/admin/drawings/{drawing_id}")
    await user.should_see(marker="delete-draft", retries=300)
    user.find(marker="delete-draft").click()
    await user.should_see("Delete this draft?", retries=300)
    user.find(marker="confirm").click()
    await user.should_see("Create drafts, add prizes and rules", retries=300)
    with read_session() as session:
        assert session.get(Drawing, drawing_id) is None
    assert actions(drawing_id)[-1] == "drawing.delete"


async def test_list_filters(user: SimulatedUser) -> None:
    admin_id = await _admin(user)
    make_draft(admin_id, name="Alpha weekly")
    published = make_draft(admin_id, prizes=1, name="Beta weekly")
    with write_session() as session:
        drawings.publish(session, published, admin_id=admin_id)
    await user.open("/admin/drawings")
    await user.should_see(marker="drawings-count", content="2 drawings", retries=300)
    table = element(user, "drawings-table")
    assert {row["name"] for row in table.rows} == {"Alpha weekly", "Beta weekly"}
    element(user, "status-filter").set_value("scheduled")
    await user.should_see(marker="drawings-count", content="1 drawing", retries=300)
    assert [row["name"] for row in element(user, "drawings-table").rows] == ["Beta weekly"]
    element(user, "status-filter").set_value("")
    user.find(marker="search").type("alpha")
    await user.should_see(marker="drawings-count", content="1 drawing", retries=300)
    assert element(user, "drawings-table").rows[0]["href"].startswith("/admin/drawings/")


async def test_members_are_refused(user: SimulatedUser) -> None:
    walker = member(display_name="Walker", connect=False)
    await sign_in(user, email_of(walker.user_id))
    for path in ("/admin/drawings", "/admin/drawings/new", f"/admin/drawings/{uuid.uuid4()}", "/admin/sponsors"):
        response = await user.http_client.get(path)
        assert response.status_code == 403, path
