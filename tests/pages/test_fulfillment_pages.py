"""The winner's prize pages (`/prizes`, `/prizes/{id}`) and the admin fulfillment queue (`/admin/fulfillment`)
through NiceGUI's `user` fixture: confirm an address (with field errors), reveal a digital code, see shipping;
admins filter the queue, ship, mark an address invalid, forfeit and deliver through confirmation dialogs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from domain.models import AuditLog, PrizeFulfillment
from domain.shared.types import utcnow
from domain.sweepstakes import fulfillment
from tests.support.db import read_session, write_session
from tests.support.fulfillment import ADDRESS, fulfillment_row, run_drawing
from tests.support.members import email_of, member, sign_in


def winners_drawing(**kwargs):  # type: ignore[no-untyped-def]
    """A drawing run now whose three members can sign in; returns (drawn, {fulfillment id: winner id})."""
    people = [member(display_name=name, state_code="TX").user_id for name in ("Ana Winner", "Ben Runner", "Cy Walker")]
    drawn = run_drawing(members=people, tickets_per_member=[1, 1, 1], at=utcnow() - timedelta(minutes=5), **kwargs)
    return drawn, {fid: fulfillment_row(None, fid).user_id for fid in drawn.fulfillments}


def element(user: SimulatedUser, marker: str) -> Any:
    """The one element with `marker` (typed loosely: inputs, selects and labels alike)."""
    return next(iter(user.find(marker=marker).elements))


def fill_address(user: SimulatedUser, address: dict) -> None:
    for key, value in address.items():
        element(user, f"address-{key}").set_value(value.upper() if key == "state" else value)


async def test_winner_confirms_a_shipping_address(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing()
    fid = drawn.fulfillments[0]
    await sign_in(user, email_of(winners[fid]))
    await user.open("/prizes")
    await user.should_see("Fitness watch", retries=300)
    await user.should_see("Confirm your address")
    await user.open(f"/prizes/{fid}")
    await user.should_see("Fitness watch", retries=300)
    await user.should_see("13 days left")
    fill_address(user, {**ADDRESS, "postal_code": "787"})
    user.find(marker="confirm-address").click()
    await user.should_see("Please check the highlighted fields")
    zip_field = element(user, "address-postal_code")
    assert "5-digit ZIP" in zip_field.props.get("error-message", "")
    assert fulfillment_row(None, fid).status == "winner_notified"
    fill_address(user, ADDRESS)
    user.find(marker="confirm-address").click()
    await user.should_see("Address confirmed. We will ship your prize soon.", retries=300)
    await user.should_see(marker="change-address")
    row = fulfillment_row(None, fid)
    assert row.status == "address_confirmed" and row.shipping_address["city"] == "Austin"  # type: ignore[index]
    user.find(marker="change-address").click()
    await user.should_see(marker="address-form")
    element(user, "address-line1").set_value("99 New Rd")
    user.find(marker="confirm-address").click()
    await user.should_see(marker="confirmed", retries=300)
    assert fulfillment_row(None, fid).shipping_address["line1"] == "99 New Rd"  # type: ignore[index]


async def test_other_members_prize_is_not_found(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing()
    fid = drawn.fulfillments[0]
    outsider = member(display_name="Outsider").user_id
    await sign_in(user, email_of(outsider))
    await user.open(f"/prizes/{fid}")
    await user.should_see("Prize not found", retries=300)
    await user.should_not_see("Fitness watch")
    await user.open("/prizes/not-a-uuid")
    await user.should_see("Prize not found")
    await user.open("/prizes")
    await user.should_see("No prizes yet", retries=300)


async def test_digital_code_and_tax_form_notice(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing(prizes=[("Gift card", 750.0, "digital", 1)])
    fid = drawn.fulfillments[0]
    await sign_in(user, email_of(winners[fid]))
    await user.open(f"/prizes/{fid}")
    await user.should_see("Gift card", retries=300)
    await user.should_see(marker="tax-form")
    await user.should_not_see(marker="address-form")
    await user.should_not_see(marker="digital-code")
    user.find(marker="reveal").click()
    await user.should_see(marker="digital-code", retries=300)
    code = fulfillment_row(None, fid).digital_code
    assert code and element(user, "digital-code").text == code
    assert fulfillment_row(None, fid).status == "delivered"


async def test_shipped_and_forfeited_prizes(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing(prizes=[("Bike", 300.0, "physical", 1), ("Mat", 20.0, "physical", 1)])
    bike, mat = drawn.fulfillments
    admin = member(role="admin", display_name="Admin").user_id
    with write_session() as session:
        fulfillment.confirm_address(session, bike, user_id=winners[bike], address=ADDRESS)
    with write_session() as session:
        fulfillment.ship(session, bike, admin_id=admin, carrier="UPS", tracking_number="1Z-TRACK-42")
    await sign_in(user, email_of(winners[bike]))
    await user.open(f"/prizes/{bike}")
    await user.should_see("1Z-TRACK-42", retries=300)
    await user.should_see("Your prize is on its way")
    await user.should_not_see(marker="change-address")
    with write_session() as session:
        fulfillment.forfeit(session, mat, admin_id=admin, reason="Winner declined the prize")
    await user.open("/logout")
    await sign_in(user, email_of(winners[mat]))
    await user.open(f"/prizes/{mat}")
    await user.should_see("This prize was forfeited", retries=300)
    await user.should_see("Winner declined the prize")


async def test_pending_prize_says_it_is_being_prepared(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing(prizes=[("Gift card", 25.0, "digital", 1)])
    fid = drawn.fulfillments[0]
    with write_session() as session:  # e.g. seeded data: a win not yet announced
        row = session.get(PrizeFulfillment, fid)
        row.status = "pending"  # type: ignore[union-attr]
        session.add(row)
    await sign_in(user, email_of(winners[fid]))
    await user.open(f"/prizes/{fid}")
    await user.should_see("We are preparing your prize", retries=300)
    await user.should_not_see(marker="reveal")


# ------------------------------------------------------------------------------------------------- admin queue
async def test_admin_ships_then_delivers_from_the_queue(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing(prizes=[("Rowing machine", 900.0, "physical", 1)])
    fid = drawn.fulfillments[0]
    with write_session() as session:
        fulfillment.confirm_address(session, fid, user_id=winners[fid], address=ADDRESS)
    admin = member(role="admin", display_name="Ops Admin").user_id
    await sign_in(user, email_of(admin))
    await user.open("/admin/fulfillment")
    await user.should_see("Rowing machine", retries=300)
    await user.should_see(marker="tax-flag")
    await user.should_see("Dana Winner")  # the confirmed address
    user.find(marker="ship").click()
    await user.should_see("Mark as shipped")
    user.find(marker="confirm").click()  # empty fields: refused in the dialog
    await user.should_see("Required")
    assert fulfillment_row(None, fid).status == "address_confirmed"
    user.find(marker="dialog-carrier").type("FedEx")
    user.find(marker="dialog-tracking_number").type("7712 3456 7890")
    user.find(marker="confirm").click()
    await user.should_see("Shipped with FedEx", retries=300)
    row = fulfillment_row(None, fid)
    assert (row.status, row.carrier, row.tracking_number) == ("shipped", "FedEx", "7712 3456 7890")
    await user.should_see(marker="deliver", retries=300)  # still in the "open" queue, now shipped
    user.find(marker="deliver").click()
    await user.should_see("Mark as delivered?")
    user.find(marker="confirm").click()
    await user.should_see("Marked delivered", retries=300)
    assert fulfillment_row(None, fid).status == "delivered"
    with read_session() as session:
        actions = sorted(a.action for a in session.exec(select(AuditLog).where(AuditLog.actor_id == admin)))
    assert actions == ["fulfillment.delivered", "fulfillment.shipped"]
    await user.should_see("No prizes match these filters.", retries=300)  # delivered: no longer open
    element(user, "status-filter").set_value("")  # all statuses
    await user.should_see(marker="history", retries=300)
    element(user, "history").set_value(True)  # the audit trail of this prize, oldest first
    await user.should_see("created · System", retries=300)
    await user.should_see("address confirmed · ")  # by the winner
    await user.should_see("shipped · Ops Admin")
    await user.should_see("delivered · Ops Admin")


async def test_admin_marks_address_invalid_and_forfeits(user: SimulatedUser) -> None:
    drawn, winners = winners_drawing(prizes=[("Kettlebell", 80.0, "physical", 1)])
    fid = drawn.fulfillments[0]
    with write_session() as session:
        fulfillment.confirm_address(session, fid, user_id=winners[fid], address=ADDRESS)
    admin = member(role="admin", display_name="Ops Admin").user_id
    await sign_in(user, email_of(admin))
    await user.open("/admin/fulfillment")
    await user.should_see("Kettlebell", retries=300)
    user.find(marker="address-invalid").click()
    await user.should_see(marker="dialog-reason", retries=300)
    user.find(marker="dialog-reason").type("No such street in Austin")
    user.find(marker="confirm").click()
    await user.should_see("The winner was asked for a new address", retries=300)
    assert fulfillment_row(None, fid).status == "address_invalid"
    await user.should_see("No such street in Austin", retries=300)
    user.find(marker="forfeit").click()
    await user.should_see("Forfeit this prize?")
    user.find(marker="dialog-reason").type("Winner never answered")
    user.find(marker="confirm").click()
    await user.should_see("Forfeited", retries=300)
    assert fulfillment_row(None, fid).status == "forfeited"
    with read_session() as session:
        alternates, total = fulfillment.list_fulfillments(session, status="winner_notified")
    assert total == 1 and alternates[0].user_id != winners[fid]
    await user.should_see(alternates[0].display_name, retries=300)  # the queue reloaded with the alternate


async def test_admin_queue_filters_and_empty_state(user: SimulatedUser) -> None:
    winners_drawing(prizes=[("Treadmill", 1500.0, "physical", 1), ("Socks", 9.0, "physical", 1)])
    admin = member(role="admin", display_name="Ops Admin").user_id
    await sign_in(user, email_of(admin))
    await user.open("/admin/fulfillment?tax=true")
    await user.should_see("Treadmill", retries=300)
    await user.should_not_see("Socks")
    await user.open("/admin/fulfillment")
    await user.should_see("Socks", retries=300)
    await user.should_see("2 prizes")
    chip = element(user, "chip-winner_notified")
    assert any(isinstance(e, ui.label) and e.text == "2" for e in chip.descendants())
    element(user, "deadline-filter").set_value("overdue")
    await user.should_see("No prizes match these filters.", retries=300)
    await user.should_not_see("Socks")


async def test_member_is_refused_on_the_admin_queue(user: SimulatedUser) -> None:
    plain = member(display_name="Plain Member").user_id
    await sign_in(user, email_of(plain))
    response = await user.http_client.get("/admin/fulfillment")
    assert response.status_code == 403
    assert "Fitness" not in response.text
