"""`domain.sweepstakes.editor` rules (issue 7 §1) and `app.adapters.images` (Pillow): the eligibility builder
(Hypothesis), schedule validation and defaults, rules versioning, audit only of changed fields, frozen drawings, and
uploads validated, cleaned of metadata and resized."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlmodel import col, select

from app.adapters import images
from app.system import System
from domain.accounts.tiers import BOARD_CODES
from domain.models import AuditLog, Drawing, User
from domain.shared.errors import Conflict, InvalidInput
from domain.sweepstakes import editor
from domain.sweepstakes.editor import DrawingFields, PrizeFields
from tests.support.db import read_session, write_session

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def fields(**overrides: Any) -> DrawingFields:
    base: dict[str, Any] = dict(drawing_type="daily", name="Daily Step-Up Draw", ticket_cost_points=25,
                                drawing_time=NOW + timedelta(days=1), rules_text="Rules v1")
    base.update(overrides)
    return DrawingFields(**base)


def admin() -> uuid.UUID:
    with write_session() as session:
        user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="x", role="admin", status="active")
        session.add(user)
        session.flush()
        return user.id


# ------------------------------------------------------------------------------------------------- eligibility
@settings(max_examples=150, deadline=None)
@given(tiers=st.lists(st.sampled_from(BOARD_CODES), max_size=8), roles=st.lists(st.sampled_from(["user", "premium",
       "admin"]), max_size=3), age=st.integers(0, 3650))
def test_eligibility_is_normalised_and_stable(tiers: list[str], roles: list[str], age: int) -> None:
    raw = {"tiers": [t.lower() for t in tiers], "roles": [r.upper() for r in roles], "min_account_age_days": age}
    clean = editor.validate_eligibility(raw)
    assert clean == {"tiers": sorted(set(tiers)), "roles": sorted(set(roles)), "min_account_age_days": age}
    assert editor.validate_eligibility(clean) == clean
    sentence = editor.describe_eligibility(clean)
    assert sentence.endswith(".") and all(t in sentence for t in clean["tiers"])


@given(bad=st.text(min_size=1, max_size=12).filter(lambda s: s.strip().upper() not in BOARD_CODES))
def test_unknown_tiers_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        editor.validate_eligibility({"tiers": [bad]})


@pytest.mark.parametrize("raw", [{"min_account_age_days": -1}, {"min_account_age_days": 3651},
                                 {"min_account_age_days": 1.5}, {"min_account_age_days": True},
                                 {"roles": ["owner"]}, {"tiers": "OPEN"}, {"states": ["TX"]}])
def test_bad_eligibility(raw: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        editor.validate_eligibility(raw)


def test_everyone_when_empty() -> None:
    assert editor.describe_eligibility(None) == "Every eligible active member may enter."
    assert editor.validate_eligibility({}) == {"tiers": [], "roles": [], "min_account_age_days": 0}


# ---------------------------------------------------------------------------------------------------- schedule
def test_schedule_defaults_and_checks() -> None:
    clean = editor.clean_drawing(fields(), NOW)
    assert clean.open_time == NOW and clean.sales_close == NOW + timedelta(days=1, minutes=-5)
    eastern = timezone(timedelta(hours=-4))
    local = editor.clean_drawing(fields(drawing_time=datetime(2026, 6, 2, 21, 0, tzinfo=eastern)), NOW)
    assert local.drawing_time == datetime(2026, 6, 3, 1, 0, tzinfo=UTC)
    refused = {
        "drawing_time": fields(drawing_time=NOW - timedelta(minutes=1)),
        "sales_close": fields(sales_close=NOW + timedelta(days=2)),
        "open_time": fields(open_time=NOW + timedelta(days=1)),
        "ticket_cost_points": fields(ticket_cost_points=0),
        "drawing_type": fields(drawing_type="hourly"),
        "name": fields(name="   "),
    }
    for field, values in refused.items():
        with pytest.raises(InvalidInput) as caught:
            editor.clean_drawing(values, NOW)
        assert caught.value.extra["field"] == field
    with pytest.raises(InvalidInput, match="time zone"):
        editor.clean_drawing(fields(drawing_time=datetime(2026, 6, 2, 21, 0)), NOW)


def test_updates_audit_only_changes_and_version_the_rules() -> None:
    admin_id = admin()
    with write_session() as session:
        drawing = editor.create_draft(session, fields(), admin_id=admin_id, clock=clock)
    with write_session() as session:
        editor.update_drawing(session, drawing.id, fields(open_time=NOW), admin_id=admin_id, clock=clock)
        same = editor.update_drawing(session, drawing.id, fields(open_time=NOW), admin_id=admin_id,
                                             clock=clock)
        assert same.rules_version == 1
        changed = editor.update_drawing(session, drawing.id, fields(open_time=NOW, rules_text="Rules v2",
                                                                            ticket_cost_points=30),
                                                admin_id=admin_id, clock=clock)
        assert changed.rules_version == 2
    with read_session() as session:
        entries = session.exec(select(AuditLog).where(col(AuditLog.target_id) == str(drawing.id))
                               .order_by(col(AuditLog.created_at), col(AuditLog.action))).all()
    assert [e.action for e in entries] == ["drawing.create", "drawing.update"]
    update = entries[1]
    assert update.before_state == {"rules_text": "Rules v1", "ticket_cost_points": 25, "rules_version": 1}
    assert update.after_state == {"rules_text": "Rules v2", "ticket_cost_points": 30, "rules_version": 2}


def test_frozen_from_open_and_prize_rules() -> None:
    admin_id = admin()
    with write_session() as session:
        drawing = editor.create_draft(session, fields(), admin_id=admin_id, clock=clock)
        prize = editor.add_prize(session, drawing.id, PrizeFields(name="Gift card", value_usd=24.999),
                                         admin_id=admin_id)
        assert prize.value_usd == 25.0
        for bad in (PrizeFields(name="", value_usd=5), PrizeFields(name="X", value_usd=0),
                    PrizeFields(name="X", value_usd=5, quantity=0), PrizeFields(name="X", value_usd=5, prize_rank=51),
                    PrizeFields(name="X", value_usd=float("nan")), PrizeFields(name="X", value_usd=5,
                                                                                 fulfillment_type="drone")):
            with pytest.raises(InvalidInput):
                editor.add_prize(session, drawing.id, bad, admin_id=admin_id)
        with pytest.raises(Conflict, match="rank 1"):
            editor.add_prize(session, drawing.id, PrizeFields(name="Dup", value_usd=5), admin_id=admin_id)
    with write_session() as session:
        row = session.get(Drawing, drawing.id)
        assert row is not None
        row.status = "open"
        session.add(row)
    for attempt in (
        lambda s: editor.update_drawing(s, drawing.id, fields(), admin_id=admin_id, clock=clock),
        lambda s: editor.add_prize(s, drawing.id, PrizeFields(name="Y", value_usd=5, prize_rank=2),
                                           admin_id=admin_id),
        lambda s: editor.remove_prize(s, drawing.id, prize.id, admin_id=admin_id),
        lambda s: editor.delete_draft(s, drawing.id, admin_id=admin_id),
    ):
        with pytest.raises(Conflict), write_session() as session:
            attempt(session)
    with read_session() as session:
        row = session.get(Drawing, drawing.id)
        assert row is not None
        assert editor.execution_refusal(row, NOW).startswith("Ticket sales are still open")  # type: ignore
        assert editor.execution_refusal(row, row.sales_close) is None


# ------------------------------------------------------------------------------------------------------ images
@pytest.fixture
def media(system: System) -> Path:
    """`MEDIA_DIR` of the test System (a per-test folder, not created until the first upload)."""
    return Path(system.settings.media_dir)


def _jpeg_with_exif(size: tuple[int, int], orientation: int = 1) -> bytes:
    picture = Image.new("RGB", size, (10, 200, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (40.0, 44.0, 54.36)}  # GPS IFD
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"private note")
    return out.getvalue()


def test_upload_is_resized_oriented_and_stripped(media: Path) -> None:
    stored = images.store_image(media, _jpeg_with_exif((1000, 2000), orientation=6), kind="prizes")  # rotated 90°
    assert (stored.width, stored.height) == (800, 400)  # orientation applied, then fitted into 800 px
    path = media / "prizes" / stored.url.rsplit("/", 1)[1]
    with Image.open(path) as saved:
        assert saved.format == "WEBP" and saved.size == (800, 400)
        assert not saved.getexif() and "exif" not in saved.info and "xmp" not in saved.info
        assert "icc_profile" not in saved.info
    raw = path.read_bytes()
    assert b"SecretCam" not in raw and b"private note" not in raw
    with Image.open(media / "prizes" / stored.thumbnail_url.rsplit("/", 1)[1]) as thumb:
        assert thumb.size == (240, 120)
    small = images.store_image(media, _jpeg_with_exif((100, 50)), kind="sponsors")
    assert (small.width, small.height) == (100, 50)  # never enlarged
    images.delete_image(media, stored.url)
    assert not path.exists()


def test_animated_gif_keeps_its_first_frame(media: Path) -> None:
    frames = [Image.new("P", (64, 64), color) for color in (0, 2, 3)]  # frame 1 fully transparent (index 0)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], transparency=0)
    stored = images.store_image(media, out.getvalue(), kind="prizes")
    with Image.open(media / "prizes" / stored.url.rsplit("/", 1)[1]) as saved:
        assert getattr(saved, "n_frames", 1) == 1 and saved.mode == "RGBA"


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"GIF89a" + b"\x00" * 20, "not a readable picture"),
    (b"%PDF-1.7 not an image", "not a readable picture"),
    (b"\x00" * (images.MAX_UPLOAD_BYTES + 1), "limit is 5 MB"),
])
def test_bad_uploads_are_refused(media: Path, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        images.store_image(media, data, kind="prizes")
    assert not media.exists() or not any(media.rglob("*.webp"))


def test_other_formats_and_bombs_are_refused(media: Path) -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")
    with pytest.raises(InvalidInput, match="BMP files are not accepted"):
        images.store_image(media, bmp.getvalue(), kind="prizes")
    huge = io.BytesIO()
    Image.new("1", (9000, 9000)).save(huge, "PNG")  # tiny file, 81 megapixels
    with pytest.raises(InvalidInput, match="megapixels"):
        images.store_image(media, huge.getvalue(), kind="prizes")
    truncated = _jpeg_with_exif((400, 400))[:-200]
    with pytest.raises(InvalidInput):
        images.store_image(media, truncated, kind="prizes")
