"""Sponsors (issue 7 §2): the domain rules (validation, unique names, totals by SQL aggregate excluding cancelled
drawings, audit entries) and the admin pages through the `user` fixture (create, edit, logo upload, deactivate and
reactivate with a confirmation, the sponsor's prizes and total value)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User as SimulatedUser
from PIL import Image
from sqlmodel import col, select

from app.system import System
from domain.models import AuditLog, Drawing, Sponsor, User
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.sweepstakes import editor, sponsors
from domain.sweepstakes.editor import DrawingFields, PrizeFields
from domain.sweepstakes.sponsors import SponsorFields
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in


def admin_account(system: System | None = None) -> uuid.UUID:
    with write_session(system) as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="x", role="admin", status="active")
        session.add(user)
        session.flush()
        return user.id


def drawing_with_prizes(system: System | None, admin: uuid.UUID, sponsor_id: uuid.UUID,
                        values: list[tuple[float, int]], *, name: str = "Weekly") -> uuid.UUID:
    now = datetime.now(UTC)
    with write_session(system) as session:
        drawing = editor.create_draft(session, DrawingFields(
            drawing_type="weekly", name=name, ticket_cost_points=10, drawing_time=now + timedelta(days=3)),
            admin_id=admin)
        for rank, (value, quantity) in enumerate(values, start=1):
            editor.add_prize(session, drawing.id, PrizeFields(
                name=f"Prize {rank}", value_usd=value, quantity=quantity, prize_rank=rank, sponsor_id=sponsor_id),
                admin_id=admin)
        return drawing.id


def test_validation_and_unique_names(db_system: System) -> None:
    admin = admin_account(db_system)
    with write_session(db_system) as session:
        created = sponsors.create_sponsor(session, SponsorFields(
            name="  Stride Athletic Co. ", contact_email=" Sales@Stride.Example ", website_url="https://stride.example",
            contact_name="", notes="   "), admin_id=admin, ip_address="198.51.100.4")
        assert created.name == "Stride Athletic Co." and created.contact_email == "sales@stride.example"
        assert created.contact_name is None and created.notes is None and created.status == "active"
    bad = [SponsorFields(name=""), SponsorFields(name="x" * 129), SponsorFields(name="A", contact_email="a@b"),
           SponsorFields(name="A", website_url="javascript:alert(1)"), SponsorFields(name="A", logo_url="file:///x"),
           SponsorFields(name="A", notes="n" * 2001)]
    for values in bad:
        with pytest.raises(InvalidInput), write_session(db_system) as session:
            sponsors.create_sponsor(session, values, admin_id=admin)
    with pytest.raises(Conflict), write_session(db_system) as session:
        sponsors.create_sponsor(session, SponsorFields(name="STRIDE athletic co."), admin_id=admin)
    with pytest.raises(NotFound), write_session(db_system) as session:
        sponsors.update_sponsor(session, uuid.uuid4(), SponsorFields(name="Nobody"), admin_id=admin)
    with read_session(db_system) as session:
        entries = session.exec(select(AuditLog).where(col(AuditLog.action).startswith("sponsor."))).all()
        assert [(e.action, e.ip_address) for e in entries] == [("sponsor.create", "198.51.100.4")]


def test_names_are_unique_in_the_database_too(db_system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two admins creating the same sponsor at once both pass the name check; the unique `name_key` (the
    lower-cased name) lets only one commit, and the other gets a Conflict with nothing written."""
    admin = admin_account(db_system)
    with write_session(db_system) as session:
        sponsors.create_sponsor(session, SponsorFields(name="Cadence Audio"), admin_id=admin)
    monkeypatch.setattr(sponsors, "_check_unique_name", lambda *args, **kwargs: None)  # the check already passed
    with pytest.raises(Conflict), write_session(db_system) as session:
        sponsors.create_sponsor(session, SponsorFields(name="CADENCE audio"), admin_id=admin)
    with read_session(db_system) as session:
        assert [(s.name, s.name_key) for s in session.exec(select(Sponsor)).all()] == [
            ("Cadence Audio", "cadence audio")]
        assert len(session.exec(select(AuditLog).where(AuditLog.action == "sponsor.create")).all()) == 1


def test_totals_are_sql_aggregates_and_skip_cancelled_drawings(db_system: System) -> None:
    admin = admin_account(db_system)
    with write_session(db_system) as session:
        stride = sponsors.create_sponsor(session, SponsorFields(name="Stride"), admin_id=admin).id
        peak = sponsors.create_sponsor(session, SponsorFields(name="PeakFuel"), admin_id=admin).id
        sponsors.create_sponsor(session, SponsorFields(name="Quiet Co."), admin_id=admin)
    drawing_with_prizes(db_system, admin, stride, [(150.0, 1), (25.5, 4)])
    drawing_with_prizes(db_system, admin, peak, [(50.0, 2)])
    cancelled = drawing_with_prizes(db_system, admin, stride, [(1000.0, 1)], name="Cancelled one")
    with write_session(db_system) as session:
        row = session.get(Drawing, cancelled)
        assert row is not None
        row.status = "cancelled"
        session.add(row)
    with read_session(db_system) as session:
        rows, total = sponsors.list_sponsors(session)
        assert total == 3
        assert [(r.sponsor.name, r.prize_count, r.total_value_usd) for r in rows] == [
            ("PeakFuel", 1, 100.0), ("Quiet Co.", 0, 0.0), ("Stride", 2, 252.0)]
        assert sponsors.sponsor_summary(session, stride).total_value_usd == 252.0
        prizes = sponsors.sponsor_prizes(session, stride)
        assert len(prizes) == 3 and {p.drawing_status for p in prizes} == {"draft", "cancelled"}
        only, count = sponsors.list_sponsors(session, q="peak")
        assert count == 1 and only[0].sponsor.name == "PeakFuel"


def test_deactivate_blocks_new_prizes_but_keeps_old_ones(db_system: System) -> None:
    admin = admin_account(db_system)
    with write_session(db_system) as session:
        sponsor = sponsors.create_sponsor(session, SponsorFields(name="Northwind"), admin_id=admin).id
    drawing_id = drawing_with_prizes(db_system, admin, sponsor, [(100.0, 1)])
    with write_session(db_system) as session:
        sponsors.set_status(session, sponsor, "inactive", admin_id=admin)
        sponsors.set_status(session, sponsor, "inactive", admin_id=admin)  # no-op, no second entry
    with pytest.raises(Conflict, match="inactive"), write_session(db_system) as session:
        editor.add_prize(session, drawing_id, PrizeFields(name="New", value_usd=5, prize_rank=2,
                                                                  sponsor_id=sponsor), admin_id=admin)
    with read_session(db_system) as session:
        assert sponsors.sponsor_summary(session, sponsor).prize_count == 1
        assert str(sponsor) not in sponsors.sponsor_options(session)
        assert str(sponsor) in sponsors.sponsor_options(session, include=sponsor)
        actions = [e.action for e in session.exec(select(AuditLog).where(AuditLog.target_id == str(sponsor)))]
        assert actions == ["sponsor.create", "sponsor.deactivate"]


# --------------------------------------------------------------------------------------------------------- pages
def element(user: SimulatedUser, marker: str) -> Any:
    found = user.find(marker=marker).elements
    assert len(found) == 1, (marker, len(found))
    return next(iter(found))


async def test_sponsor_pages_create_edit_logo_deactivate(user: SimulatedUser, system: System) -> None:
    admin = member(role="admin", display_name="Admin", connect=False)
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/sponsors")
    await user.should_see(marker="sponsors-count", content="0 sponsors", retries=300)
    user.find(marker="new-sponsor").click()
    await user.should_see(marker="sponsor-name", retries=300)
    user.find(marker="sponsor-name").type("Summit Outdoor Supply")
    user.find(marker="sponsor-email").type("not-an-email")
    user.find(marker="create-sponsor").click()
    await user.should_see("Enter a valid contact email", retries=300)
    element(user, "sponsor-email").set_value("team@summit.example")
    user.find(marker="sponsor-website").type("https://summit.example")
    user.find(marker="create-sponsor").click()
    await user.should_see("Sponsor created", retries=300)
    await user.should_see(marker="sponsor-title", retries=300)
    assert element(user, "sponsor-title").text == "Summit Outdoor Supply"
    with read_session() as session:
        sponsor = session.exec(select(Sponsor)).one()
    assert sponsor.contact_email == "team@summit.example" and sponsor.website_url == "https://summit.example"

    element(user, "sponsor-notes").set_value("Ships from Denver")
    user.find(marker="save-sponsor").click()
    await user.should_see("Saved", retries=300)

    logo = io.BytesIO()
    Image.new("RGBA", (1000, 400), (0, 0, 0, 0)).save(logo, "PNG")
    upload = next(iter(user.find(ui.upload).elements))
    await upload.handle_uploads([SmallFileUpload("logo.png", "image/png", logo.getvalue())])
    await user.should_see("Logo saved", retries=300)
    await user.should_see(marker="sponsor-logo", retries=300)
    with read_session() as session:
        stored = session.get(Sponsor, sponsor.id)
        assert stored is not None and stored.logo_url and stored.notes == "Ships from Denver"
    saved = Image.open(system.settings.media_dir / "sponsors" / stored.logo_url.rsplit("/", 1)[1])
    assert saved.size == (800, 320) and saved.mode == "RGBA"

    drawing_with_prizes(None, admin.user_id, sponsor.id, [(160.0, 1), (20.0, 5)], name="Rainy-Week Draw")
    await user.open(f"/admin/sponsors/{sponsor.id}")
    await user.should_see(marker="total-value", retries=300)
    assert element(user, "total-value").text == "$260"
    assert element(user, "prize-count").text == "2"
    assert {row["drawing"] for row in element(user, "sponsor-prizes").rows} == {"Rainy-Week Draw"}

    user.find(marker="deactivate").click()
    await user.should_see("Deactivate this sponsor?", retries=300)
    user.find(marker="confirm").click()
    await user.should_see("Sponsor deactivated", retries=300)
    await user.should_see(marker="activate", retries=300)
    with read_session() as session:
        assert session.get(Sponsor, sponsor.id).status == "inactive"  # type: ignore[union-attr]
        actions = [e.action for e in session.exec(select(AuditLog).where(AuditLog.target_id == str(sponsor.id))
                                                  .order_by(col(AuditLog.created_at)))]
    assert actions == ["sponsor.create", "sponsor.update", "sponsor.update", "sponsor.deactivate"]

    await user.open("/admin/sponsors?status=inactive")
    await user.should_see(marker="sponsors-count", content="1 sponsor", retries=300)
    row = element(user, "sponsors-table").rows[0]
    assert row["name"] == "Summit Outdoor Supply" and row["value"] == "$260" and row["logo"].endswith(".thumb.webp")
