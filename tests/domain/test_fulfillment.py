"""Prize fulfillment (PRODUCT.md §6, issue 6 §6, issue 7 §3): fulfillments created by the real draw engine, the
winner's address, digital codes, the tax-form flag, admin transitions (illegal ones refused, every action audited),
the day-7 reminder and the day-14 forfeit with an alternate drawn from the same stream, and the hourly task's emails.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.system import System
from domain.models import AuditLog, Drawing, Notification, OutboxMessage, PrizeFulfillment, Ticket, User
from domain.shared.enums import FulfillmentStatus
from domain.shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.shared.events import MailQueued, MailRequested
from domain.sweepstakes import fulfillment
from tasks import fulfillment as fulfillment_tasks
from tasks import register_tasks
from tests.support.db import read_session, write_session
from tests.support.fulfillment import ADDRESS, T0, add_user, fulfillment_row, fulfillments_of, run_drawing
from tests.support.system import current

S = FulfillmentStatus


def public_site(system_factory: Callable[..., System], base_url: str) -> System:
    """Another System on the test's database whose email links point at `base_url` (`PUBLIC_BASE_URL`); it becomes
    the current one."""
    site = system_factory(public_base_url=base_url)
    register_tasks(site)
    return site


def run_deadlines(now: datetime) -> fulfillment.DeadlineReport:
    """The hourly task's work (`tasks.fulfillment.run_deadlines`) on the current test System at `now`."""
    return fulfillment_tasks.run_deadlines(current(), now)


def audits(db_system: System | None, action: str) -> list[AuditLog]:
    with read_session(db_system) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == action)
                                 .order_by(col(AuditLog.created_at))).all())


def notes_of(user_id: uuid.UUID, kind: str) -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).where(Notification.user_id == user_id,
                                                            Notification.kind == kind)).all())


def outbox(template: str, system: System | None = None) -> list[OutboxMessage]:
    with read_session(system) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.template == template)).all())


def mail_to(user_id: uuid.UUID, template: str) -> list[OutboxMessage]:
    with read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.template == template,
                                                             OutboxMessage.to_address == user.email)).all())


def confirm(fid: uuid.UUID, user_id: uuid.UUID, address: dict | None = None, when=T0 + timedelta(days=1)):  # type: ignore[no-untyped-def]
    with write_session() as session:
        return fulfillment.confirm_address(session, fid, user_id=user_id, address=address or ADDRESS,
                                           clock=lambda: when)


def act(service, fid: uuid.UUID, admin: uuid.UUID, when=T0 + timedelta(days=2), **kwargs):  # type: ignore[no-untyped-def]
    with write_session() as session:
        return service(session, fid, admin_id=admin, ip_address="198.51.100.7", clock=lambda: when, **kwargs)


# ------------------------------------------------------------------------------------------------- creation
def test_each_win_creates_a_fulfillment_with_deadline_code_and_tax_flag(db_system: System) -> None:
    drawn = run_drawing(db_system, prizes=[("Treadmill", 1200.0, "physical", 1), ("Gift card", 599.99, "digital", 1),
                                        ("Headphones", 600.0, "physical", 1)])
    assert len(drawn.fulfillments) == 3
    with read_session(db_system) as session:
        rows = {session.get(PrizeFulfillment, fid).prize_id: session.get(PrizeFulfillment, fid)  # type: ignore[union-attr]
                for fid in drawn.fulfillments}
    treadmill, card, headphones = (rows[pid] for pid in drawn.prize_ids)
    for row in rows.values():
        assert row.status == S.winner_notified.value and row.notified_at == T0
    assert len({row.user_id for row in rows.values()}) == 3  # one prize per member
    assert treadmill.deadline_at == T0 + timedelta(days=14) and treadmill.digital_code is None
    assert treadmill.tax_form_needed and headphones.tax_form_needed and not card.tax_form_needed
    assert card.deadline_at is None and re.fullmatch(r"FT-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", card.digital_code or "")
    created = audits(db_system, "fulfillment.created")
    assert len(created) == 3 and all(a.actor_id is None for a in created)
    with read_session(db_system) as session:
        for row in rows.values():
            ticket = session.get(Ticket, row.ticket_id)
            assert ticket is not None and ticket.user_id == row.user_id and ticket.is_winner


def test_create_for_win_is_idempotent_and_leaves_the_winner_email(
        system_factory: Callable[..., System]) -> None:
    """A second call for the same win returns the row and asks for no email; a fresh win requests the winner email
    (`MailRequested`), which its policy queues in the same transaction, linked under `PUBLIC_BASE_URL`."""
    drawn = run_drawing(prizes=[("Yoga mat", 40.0, "physical", 1)])
    row = fulfillment_row(None, drawn.fulfillments[0])
    assert len(outbox("drawing_won")) == 1  # the draw's winner, queued with the draw (the `WinAwarded` policy)
    with write_session() as session:
        ticket, prize = session.get(Ticket, row.ticket_id), session.get(fulfillment.Prize, row.prize_id)
        assert ticket is not None and prize is not None
        again = fulfillment.create_for_win(session, ticket=ticket, prize=prize, clock=lambda: T0 + timedelta(days=1))
        assert again.id == row.id and again.deadline_at == row.deadline_at
        assert session.events == []  # an existing row asks for no second email
    assert len(outbox("drawing_won")) == 1
    other = add_user(name="Late Winner")
    site = public_site(system_factory, "https://fittrack.example/")  # same database, links to the public site
    with write_session(site) as session:  # a fresh win requests its email; the policy queues it right away
        drawing = session.get(Drawing, drawn.drawing_id)
        assert drawing is not None
        ticket = Ticket(drawing_id=drawing.id, user_id=other, ticket_number=999)
        session.add(ticket)
        session.flush()
        prize = session.get(fulfillment.Prize, drawn.prize_ids[0])
        assert prize is not None
        fulfillment.create_for_win(session, ticket=ticket, prize=prize, clock=lambda: T0)
        requested = [e for e in session.events if isinstance(e, MailRequested)]
        queued = [e for e in session.events if isinstance(e, MailQueued)]
        assert len(requested) == 1 and len(queued) == 1
        assert requested[0].template == "drawing_won" and requested[0].path.startswith("/prizes/")  # type: ignore[union-attr]
        assert session.get(OutboxMessage, queued[0].message_id) is not None  # in this very transaction
    [message] = [m for m in outbox("drawing_won") if m.id == queued[0].message_id]
    assert message.subject == "You won Yoga mat in Spring Weekly!"
    assert "Late Winner" in message.text_body and "https://fittrack.example/prizes/" in message.text_body
    assert "May 15, 2026" in message.text_body  # the 14-day deadline
    assert len(outbox("drawing_won")) == 2


def test_ticket_and_prize_of_different_drawings_are_refused() -> None:
    first, second = run_drawing(), run_drawing()
    with write_session() as session:
        row = session.get(PrizeFulfillment, first.fulfillments[0])
        assert row is not None
        ticket, prize = session.get(Ticket, row.ticket_id), session.get(fulfillment.Prize, second.prize_ids[0])
        with pytest.raises(InvalidInput):
            fulfillment.create_for_win(session, ticket=ticket, prize=prize)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------- the winner
def test_winner_confirms_and_corrects_the_address_until_it_ships(db_system: System) -> None:
    admin = add_user(db_system, role="admin", name="Admin")
    drawn = run_drawing(db_system)
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(db_system, fid).user_id
    with write_session(db_system) as session:
        row = fulfillment.confirm_address(session, fid, user_id=winner, address=ADDRESS,
                                          clock=lambda: T0 + timedelta(days=1))
    assert row.status == S.address_confirmed.value and row.address_confirmed_at == T0 + timedelta(days=1)
    assert row.shipping_address == {"full_name": "Dana Winner", "line1": "12 Main St", "line2": "Apt 4",
                                    "city": "Austin", "state": "TX", "postal_code": "78701",
                                    "phone": "+1 512 555 0100", "country": "US"}
    with write_session(db_system) as session:
        fulfillment.confirm_address(session, fid, user_id=winner, address={**ADDRESS, "line1": "14 Main St"},
                                    clock=lambda: T0 + timedelta(days=2))
    assert fulfillment_row(db_system, fid).shipping_address["line1"] == "14 Main St"  # type: ignore[index]
    confirmed = audits(db_system, "fulfillment.address_confirmed")
    assert [a.actor_id for a in confirmed] == [winner, winner]
    with write_session(db_system) as session:
        fulfillment.ship(session, fid, admin_id=admin, carrier="UPS", tracking_number="1Z999")
    with write_session(db_system) as session, pytest.raises(Conflict, match="shipped"):
        fulfillment.confirm_address(session, fid, user_id=winner, address=ADDRESS)


@pytest.mark.parametrize(("change", "field"), [
    ({"postal_code": "7870"}, "postal_code"), ({"state": "NY"}, "state"), ({"state": "ZZ"}, "state"),
    ({"full_name": "  "}, "full_name"), ({"line1": "x" * 101}, "line1"), ({"phone": "call me"}, "phone"),
    ({"city": None}, "city"),
])
def test_invalid_addresses_are_refused_and_change_nothing(change: dict, field: str) -> None:
    drawn = run_drawing()
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    with pytest.raises(InvalidInput) as caught:
        confirm(fid, winner, {**ADDRESS, **change})
    assert caught.value.extra["field"] == field
    assert fulfillment_row(None, fid).status == S.winner_notified.value


def test_address_problems_lists_every_problem() -> None:
    clean, problems = fulfillment.address_problems({"state": "fl", "postal_code": "123"})
    assert set(problems) == {"full_name", "line1", "city", "state", "postal_code"}
    assert problems["state"].startswith("Prizes cannot ship to FL") and clean["state"] == "FL"
    clean, problems = fulfillment.address_problems({**ADDRESS, "postal_code": "78701-1234", "line2": ""})
    assert problems == {} and "line2" not in clean and clean["postal_code"] == "78701-1234"


def test_only_the_winner_before_the_deadline_and_only_for_physical_prizes() -> None:
    drawn = run_drawing(prizes=[("Bike", 300.0, "physical", 1), ("Code", 25.0, "digital", 1)])
    bike, code = drawn.fulfillments
    winner = fulfillment_row(None, bike).user_id
    stranger = add_user(name="Stranger")
    with pytest.raises(NotFound):
        confirm(bike, stranger)
    with pytest.raises(NotFound):
        confirm(uuid.uuid4(), winner)
    with pytest.raises(Conflict, match="digital"):
        confirm(code, fulfillment_row(None, code).user_id)
    with pytest.raises(Conflict, match="deadline"):
        confirm(bike, winner, when=T0 + timedelta(days=14))
    assert fulfillment_row(None, bike).status == S.winner_notified.value


def test_digital_code_is_revealed_only_to_the_winner_and_marks_it_delivered() -> None:
    drawn = run_drawing(prizes=[("Streaming code", 60.0, "digital", 1)])
    fid = drawn.fulfillments[0]
    row = fulfillment_row(None, fid)
    with read_session() as session:
        assert fulfillment.get_for_member(session, fid, row.user_id).digital_code is None  # not yet revealed
        with pytest.raises(NotFound):
            fulfillment.get_for_member(session, fid, add_user())
    with write_session() as session:
        fulfillment.reveal_code(session, fid, user_id=row.user_id, clock=lambda: T0 + timedelta(hours=1))
    with write_session() as session:  # a second reveal changes nothing
        again = fulfillment.reveal_code(session, fid, user_id=row.user_id, clock=lambda: T0 + timedelta(days=3))
    assert again.status == S.delivered.value and again.delivered_at == T0 + timedelta(hours=1)
    with read_session() as session:
        mine = fulfillment.for_member(session, row.user_id)
        assert [m.digital_code for m in mine] == [row.digital_code]
        assert fulfillment.get_fulfillment(session, fid).digital_code is None  # admins never see it
        assert all(v.digital_code is None for v in fulfillment.list_fulfillments(session)[0])
    assert len(audits(None, "fulfillment.code_revealed")) == 1


# ------------------------------------------------------------------------------------------------- admin actions
def test_ship_and_deliver_are_audited_with_before_after_and_ip(db_system: System) -> None:
    admin = add_user(db_system, role="admin", name="Admin")
    drawn = run_drawing(db_system)
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(db_system, fid).user_id
    with write_session(db_system) as session:
        fulfillment.confirm_address(session, fid, user_id=winner, address=ADDRESS, clock=lambda: T0)
    with write_session(db_system) as session:
        fulfillment.ship(session, fid, admin_id=admin, carrier=" UPS  Ground ", tracking_number=" 1Z999AA1 ",
                         ip_address="198.51.100.7", clock=lambda: T0 + timedelta(days=2))
    row = fulfillment_row(db_system, fid)
    assert (row.status, row.carrier, row.tracking_number, row.shipped_at) == (
        S.shipped.value, "UPS Ground", "1Z999AA1", T0 + timedelta(days=2))
    with write_session(db_system) as session:
        fulfillment.mark_delivered(session, fid, admin_id=admin, ip_address="198.51.100.7",
                                   clock=lambda: T0 + timedelta(days=5))
    assert fulfillment_row(db_system, fid).status == S.delivered.value
    shipped, delivered = audits(db_system, "fulfillment.shipped"), audits(db_system, "fulfillment.delivered")
    assert len(shipped) == 1 and len(delivered) == 1
    assert shipped[0].actor_id == admin and shipped[0].ip_address == "198.51.100.7"
    assert shipped[0].target_type == "prize_fulfillment" and shipped[0].target_id == str(fid)
    assert shipped[0].before_state["status"] == "address_confirmed"  # type: ignore[index]
    assert shipped[0].after_state["tracking_number"] == "1Z999AA1"  # type: ignore[index]
    assert delivered[0].after_state["status"] == "delivered"  # type: ignore[index]
    with read_session(db_system) as session:
        kinds = session.exec(select(Notification.kind).where(Notification.user_id == winner)).all()
    assert sorted(kinds) == ["drawing_won", "prize_shipped"]


ILLEGAL = [
    # (status reached first, action that must be refused)
    ("winner_notified", "ship"), ("winner_notified", "deliver"), ("winner_notified", "invalid"),
    ("address_confirmed", "deliver"), ("shipped", "ship"), ("shipped", "forfeit"), ("shipped", "invalid"),
    ("delivered", "deliver"), ("delivered", "forfeit"), ("forfeited", "ship"), ("forfeited", "forfeit"),
]


def _reach(status: str, fid: uuid.UUID, winner: uuid.UUID, admin: uuid.UUID) -> None:
    if status in ("address_confirmed", "shipped", "delivered"):
        confirm(fid, winner)
    if status in ("shipped", "delivered"):
        act(fulfillment.ship, fid, admin, carrier="USPS", tracking_number="9400")
    if status == "delivered":
        act(fulfillment.mark_delivered, fid, admin)
    if status == "forfeited":
        act(fulfillment.forfeit, fid, admin, reason="Winner declined the prize")


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_transitions_are_refused_and_not_audited(status: str, action: str) -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(tickets_per_member=[1, 1, 1, 1])
    fid = drawn.fulfillments[0]
    _reach(status, fid, fulfillment_row(None, fid).user_id, admin)
    with read_session() as session:
        before = len(session.exec(select(AuditLog)).all())
    calls = {"ship": (fulfillment.ship, {"carrier": "UPS", "tracking_number": "1Z"}),
             "deliver": (fulfillment.mark_delivered, {}),
             "invalid": (fulfillment.mark_address_invalid, {"reason": "Undeliverable"}),
             "forfeit": (fulfillment.forfeit, {"reason": "Ineligible"})}
    service, kwargs = calls[action]
    with pytest.raises(Conflict):
        act(service, fid, admin, **kwargs)
    assert fulfillment_row(None, fid).status == status
    with read_session() as session:
        assert len(session.exec(select(AuditLog)).all()) == before


def test_admin_actions_need_an_active_admin_and_valid_input() -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing()
    fid = drawn.fulfillments[0]
    confirm(fid, fulfillment_row(None, fid).user_id)
    with pytest.raises(Forbidden):
        act(fulfillment.ship, fid, add_user(), carrier="UPS", tracking_number="1Z")
    with pytest.raises(InvalidInput) as caught:
        act(fulfillment.ship, fid, admin, carrier="UPS", tracking_number="  ")
    assert caught.value.extra["field"] == "tracking_number"
    with pytest.raises(InvalidInput) as caught:
        act(fulfillment.ship, fid, admin, carrier="", tracking_number="1Z")
    assert caught.value.extra["field"] == "carrier"
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(InvalidInput):
            act(fulfillment.forfeit, fid, admin, reason=reason)
        with pytest.raises(InvalidInput):
            act(fulfillment.mark_address_invalid, fid, admin, reason=reason)
    with pytest.raises(NotFound):
        act(fulfillment.mark_delivered, uuid.uuid4(), admin)
    assert fulfillment_row(None, fid).status == S.address_confirmed.value


def test_address_invalid_asks_again_with_a_new_deadline_and_reminder(
        system_factory: Callable[..., System]) -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing()
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    run_deadlines(T0 + timedelta(days=7))  # the first reminder
    confirm(fid, winner, when=T0 + timedelta(days=8))
    site = public_site(system_factory, "http://testserver")  # same database; email links to this site
    with write_session(site) as session:
        fulfillment.mark_address_invalid(session, fid, admin_id=admin,
                                         reason="The carrier returned it: no such street.",
                                         clock=lambda: T0 + timedelta(days=10))
    row = fulfillment_row(None, fid)
    assert row.status == S.address_invalid.value and row.deadline_at == T0 + timedelta(days=24)
    assert row.reminder_sent_at is None and row.notes == "The carrier returned it: no such street."
    assert len(notes_of(winner, "address_invalid")) == 1
    message = outbox("address_invalid")[0]
    assert "no such street" in message.text_body and "May 25, 2026" in message.text_body
    assert "http://testserver/prizes/" in message.text_body
    assert run_deadlines(T0 + timedelta(days=16)).reminded == []  # 8 days left: not yet
    assert run_deadlines(T0 + timedelta(days=17)).reminded == [fid]  # day 7 of the new window
    confirm(fid, winner, {**ADDRESS, "line1": "1 Real Rd"}, when=T0 + timedelta(days=18))
    assert fulfillment_row(None, fid).status == S.address_confirmed.value
    assert run_deadlines(T0 + timedelta(days=30)).forfeited == []  # confirmed: no forfeit


# ------------------------------------------------------------------------------------------------- deadlines
def test_day_7_reminder_once_then_day_14_forfeit_and_alternate(db_system: System) -> None:
    drawn = run_drawing(db_system, tickets_per_member=[3, 2, 2, 1])
    fid = drawn.fulfillments[0]
    first = fulfillment_row(db_system, fid)
    with read_session(db_system) as session:
        assert fulfillment.due_deadlines(session, T0 + timedelta(days=6, hours=23)) == []
    with write_session(db_system) as session:
        report = fulfillment.process_deadlines(session, T0 + timedelta(days=7))
        mail = [e for e in session.events if isinstance(e, MailRequested)]
        queued = [e for e in session.events if isinstance(e, MailQueued)]
    assert report.reminded == [fid] and report.forfeited == []
    assert [m.template for m in mail] == ["address_reminder"] and mail[0].path == f"/prizes/{fid}"
    assert len(queued) == 1 and [m.id for m in outbox("address_reminder", db_system)] == [queued[0].message_id]
    with write_session(db_system) as session:  # again: nothing (reminded once)
        assert fulfillment.process_deadlines(session, T0 + timedelta(days=9)).reminded == []
    assert fulfillment_row(db_system, fid).reminder_sent_at == T0 + timedelta(days=7)
    with write_session(db_system) as session:
        assert fulfillment.process_deadlines(session, T0 + timedelta(days=13, hours=23)).forfeited == []
    with write_session(db_system) as session:
        report = fulfillment.process_deadlines(session, T0 + timedelta(days=14))
    assert report.forfeited == [fid] and len(report.alternates) == 1 and report.unfilled_prizes == []
    forfeited, alternate = fulfillment_row(db_system, fid), fulfillment_row(db_system, report.alternates[0])
    assert forfeited.status == S.forfeited.value and forfeited.forfeit_at == T0 + timedelta(days=14)
    assert forfeited.notes == fulfillment.DEADLINE_FORFEIT_REASON
    assert alternate.user_id != first.user_id and alternate.prize_id == first.prize_id
    assert alternate.status == S.winner_notified.value
    assert alternate.deadline_at == T0 + timedelta(days=28)  # a fresh 14 days for the alternate
    with read_session(db_system) as session:
        ticket = session.get(Ticket, alternate.ticket_id)
        assert ticket is not None and ticket.user_id == alternate.user_id and ticket.drawing_id == drawn.drawing_id
        drawing = session.get(Drawing, drawn.drawing_id)
        assert drawing is not None and drawing.results is not None
        assert drawing.results["alternates"][0]["ticket_number"] == ticket.ticket_number
    forfeits = audits(db_system, "fulfillment.forfeited")
    assert len(forfeits) == 1 and forfeits[0].actor_id is None
    with write_session(db_system) as session:  # rerun at the same moment: nothing more
        again = fulfillment.process_deadlines(session, T0 + timedelta(days=14))
    assert again.forfeited == [] and again.alternates == []


def test_the_hourly_task_queues_emails_and_in_app_notices() -> None:
    drawn = run_drawing(tickets_per_member=[1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    run_deadlines(T0 + timedelta(days=7, minutes=5))
    run_deadlines(T0 + timedelta(days=8))
    assert len(outbox("address_reminder")) == 1 and len(notes_of(winner, "address_reminder")) == 1
    reminder = outbox("address_reminder")[0]
    assert reminder.subject == "Reminder: confirm your shipping address for Fitness watch"
    assert "May 15, 2026 at 18:00 UTC" in reminder.text_body and f"/prizes/{fid}" in reminder.text_body
    report = run_deadlines(T0 + timedelta(days=15))
    assert report.forfeited == [fid] and len(report.alternates) == 1
    assert len(notes_of(winner, "prize_forfeited")) == 1
    forfeited_mail = outbox("prize_forfeited")[0]
    assert "within 14 days" in forfeited_mail.text_body
    alternate = fulfillment_row(None, report.alternates[0])
    assert len(notes_of(alternate.user_id, "drawing_won")) == 1  # the draw engine tells the alternate in-app
    assert len(mail_to(alternate.user_id, "drawing_won")) == 1  # ... and the winner email comes from create_for_win
    assert len(mail_to(winner, "drawing_won")) == 1  # the first winner's, queued with the draw
    assert len(outbox("drawing_won")) == 2


def test_forfeit_without_tickets_left_leaves_the_prize_unfilled() -> None:
    drawn = run_drawing(tickets_per_member=[2])  # one member: nobody else can win
    fid = drawn.fulfillments[0]
    report = run_deadlines(T0 + timedelta(days=14))
    assert report.forfeited == [fid] and report.alternates == [] and report.unfilled_prizes == [drawn.prize_ids[0]]
    assert fulfillments_of(None, drawn.drawing_id) == [fid]


def test_admin_forfeit_draws_an_alternate() -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(prizes=[("Rower", 900.0, "physical", 2)], tickets_per_member=[1, 1, 1, 1])
    first = drawn.fulfillments[0]
    confirm(first, fulfillment_row(None, first).user_id)
    with write_session() as session:
        outcome = fulfillment.forfeit_with_alternate(session, first, admin_id=admin,
                                                     reason="Winner is a sponsor's employee",
                                                     ip_address="198.51.100.7", clock=lambda: T0 + timedelta(days=3))
    assert outcome.fulfillment.status == S.forfeited.value and outcome.alternate is not None
    holders = {fulfillment_row(None, f).user_id for f in fulfillments_of(None, drawn.drawing_id)}
    assert len(holders) == 3  # two original winners and the alternate: one prize per member
    assert outcome.alternate.tax_form_needed  # $900 prize
    forfeit_audit = audits(None, "fulfillment.forfeited")[0]
    assert forfeit_audit.actor_id == admin and forfeit_audit.after_state["reason"] == "Winner is a sponsor's employee"  # type: ignore[index]


# ------------------------------------------------------------------------------------------------- the queue
def test_queue_filters_by_status_deadline_and_tax_flag() -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(prizes=[("TV", 800.0, "physical", 1), ("Mat", 30.0, "physical", 1),
                                ("Code", 10.0, "digital", 1)], tickets_per_member=[1, 1, 1])
    tv, mat, code = drawn.fulfillments
    confirm(mat, fulfillment_row(None, mat).user_id)
    act(fulfillment.ship, mat, admin, carrier="UPS", tracking_number="1Z")
    with read_session() as session:
        def ids(**kwargs):  # type: ignore[no-untyped-def]
            rows, total = fulfillment.list_fulfillments(session, **kwargs)
            assert total == len(rows)
            return {row.id for row in rows}

        assert ids() == {tv, mat, code}
        assert ids(status="shipped") == {mat} and ids(status="winner_notified") == {tv, code}
        assert ids(status="open") == {tv, mat, code}
        assert ids(tax_form=True) == {tv} and ids(tax_form=False) == {mat, code}
        assert ids(due_before=T0 + timedelta(days=15)) == {tv}  # the digital prize has no deadline
        assert ids(due_before=T0 + timedelta(days=13)) == set()
        rows, total = fulfillment.list_fulfillments(session, limit=2, page=2)
        assert total == 3 and len(rows) == 1
        counts = fulfillment.status_counts(session)
        assert counts["winner_notified"] == 2 and counts["shipped"] == 1 and counts["tax_form"] == 1
        view = fulfillment.get_fulfillment(session, tv)
        assert view.prize_name == "TV" and view.drawing_name == "Spring Weekly"
        assert view.display_name.startswith("Member")
        for bad in ({"status": "lost"}, {"page": 0}, {"limit": 101}):
            with pytest.raises(InvalidInput):
                fulfillment.list_fulfillments(session, **bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------- properties
ACTIONS = ["confirm", "invalid", "ship", "deliver", "forfeit", "reveal", "tick"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8), st.booleans())
def test_any_sequence_of_actions_follows_the_status_flow(steps: list[str], digital: bool) -> None:
    """Whatever is tried in whatever order: every accepted change is a legal transition with one audit entry, every
    refused one changes nothing, and a forfeit always hands the prize to another ticket holder (or leaves it unfilled
    when no other member holds a ticket)."""
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(prizes=[("Prize", 650.0, "digital" if digital else "physical", 1)],
                        tickets_per_member=[1, 1])
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    clock_days = 1
    for step in steps:
        before = fulfillment_row(None, fid)
        with read_session() as session:
            audits_before = len(session.exec(select(AuditLog).where(AuditLog.target_id == str(fid))).all())
        when = T0 + timedelta(days=clock_days)
        try:
            if step == "confirm":
                confirm(fid, winner, when=when)
            elif step == "invalid":
                act(fulfillment.mark_address_invalid, fid, admin, when=when, reason="Undeliverable")
            elif step == "ship":
                act(fulfillment.ship, fid, admin, when=when, carrier="UPS", tracking_number="1Z")
            elif step == "deliver":
                act(fulfillment.mark_delivered, fid, admin, when=when)
            elif step == "forfeit":
                act(fulfillment.forfeit, fid, admin, when=when, reason="Declined")
            elif step == "reveal":
                with write_session() as session:
                    fulfillment.reveal_code(session, fid, user_id=winner, clock=functools.partial(lambda at: at, when))
            else:
                clock_days += 8
                run_deadlines(T0 + timedelta(days=clock_days))
        except (Conflict, InvalidInput):
            assert fulfillment_row(None, fid).status == before.status
            continue
        after = fulfillment_row(None, fid)
        with read_session() as session:
            audits_after = len(session.exec(select(AuditLog).where(AuditLog.target_id == str(fid))).all())
        if after.status != before.status:
            assert S(after.status) in fulfillment.TRANSITIONS[S(before.status)]
            assert audits_after == audits_before + 1
        if after.status == S.forfeited.value:
            others = [f for f in fulfillments_of(None, drawn.drawing_id) if f != fid]
            assert len(others) <= 1
            if others:
                assert fulfillment_row(None, others[0]).user_id != winner
            break
