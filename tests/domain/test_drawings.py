"""The drawing lifecycle and draw execution (PRODUCT.md §6; issue 6 §1, §4): legal and illegal transitions, the seed
commitment and the frozen ticket-list hash, the draw by the recipe, idempotent and crash-safe execution, cancelled
drawings (no tickets; admin cancel with refunds), alternates after a forfeit, due work and the public results."""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.system import System
from domain.models import AuditLog, Drawing, Notification, PointTransaction, PrizeFulfillment, Ticket, User
from domain.shared.enums import DrawingStatus, FulfillmentStatus
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import drawings, recipe, tickets
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, draft_drawing, eligible_member, open_drawing

S = DrawingStatus


def _actions(session: Session, drawing_id: uuid.UUID) -> list[str]:
    rows = session.exec(select(AuditLog).where(AuditLog.target_id == str(drawing_id))
                        .order_by(col(AuditLog.created_at), col(AuditLog.id))).all()
    return [r.action for r in rows]


def _buy(session: UnitOfWork, user_id: uuid.UUID, drawing_id: uuid.UUID, quantity: int = 1) -> tickets.Purchase:
    return tickets.purchase(session, user_id=user_id, drawing_id=drawing_id, quantity=quantity,
                            idempotency_key=uuid.uuid4().hex)


def _expected(drawing: Drawing, session: Session, units: int, alternates: int = 0) -> recipe.DrawResult:
    assert drawing.server_seed_hex is not None
    return recipe.draw(bytes.fromhex(drawing.server_seed_hex), drawing.id, drawings.entries(session, drawing.id),
                     units, alternates)


def test_whole_life_by_the_recipe(db_system: System) -> None:
    """draft → scheduled → open → closed → completed: commitment at open, hash at close, winners per
    domain.sweepstakes.recipe, one prize per member, winning tickets marked, fulfillments and notifications created,
    every step audited."""
    with write_session(db_system) as session:
        admin_id = admin(session)
        members = [eligible_member(session, points=1000, display_name=f"Member {i}") for i in range(4)]
        drawing = draft_drawing(session, prizes=((1, "Bike", 1, "physical", 900.0),
                                                 (2, "Voucher", 2, "digital", 25.0)))
        drawing_id = drawing.id
        assert drawing.seed_commitment is None
        drawings.publish(session, drawing_id, admin_id=admin_id, ip_address="203.0.113.5")
        opened = drawings.open_drawing(session, drawing_id)
        assert opened.status == S.open.value and opened.rules_frozen_at is not None
        assert opened.server_seed_hex is not None
        assert opened.seed_commitment == hashlib.sha256(bytes.fromhex(opened.server_seed_hex)).hexdigest()
        for i, member in enumerate(members):
            _buy(session, member, drawing_id, quantity=i + 1)
        tickets.claim_free_entry(session, user_id=members[0], drawing_id=drawing_id)

    with write_session(db_system) as session:
        closed = drawings.close_drawing(session, drawing_id)
        assert closed.status == S.closed.value and closed.total_tickets == 11
        orm = [recipe.Entry.of(t.ticket_number, t.user_id) for t in session.exec(
            select(Ticket).where(Ticket.drawing_id == drawing_id).order_by(col(Ticket.ticket_number))).all()]
        assert drawings.entries(session, drawing_id) == orm  # the raw Core read gives canonical ids on each dialect
        assert closed.ticket_list_hash == recipe.ticket_list_hash(orm)
        assert drawings.results(session, drawing_id, include_tickets=False).tickets == []
        assert len(drawings.results(session, drawing_id).tickets) == 11
        lines = drawings.frozen_ticket_lines(session, closed)
        assert drawings.frozen_ticket_lines(session, closed) is lines  # frozen: cached by (id, hash)
        assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == closed.ticket_list_hash

    with write_session(db_system) as session:
        outcome = drawings.execute_drawing(session, drawing_id)
        assert not outcome.replayed and outcome.drawing.status == S.completed.value
        expected = _expected(outcome.drawing, session, units=3)

    assert [w.ticket_number for w in outcome.winners] == [e.ticket_number for e in expected.winners]
    assert [w.prize_rank for w in outcome.winners] == [1, 2, 2]
    assert len({w.user_id for w in outcome.winners}) == 3  # one prize per member
    with read_session(db_system) as session:
        won = session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id, col(Ticket.is_winner))).all()
        assert sorted(t.ticket_number for t in won) == sorted(w.ticket_number for w in outcome.winners)
        fulfillments = session.exec(select(PrizeFulfillment)).all()
        assert {f.ticket_id for f in fulfillments} == {w.ticket_id for w in outcome.winners}
        notes = session.exec(select(Notification).where(Notification.kind == "drawing_won")).all()
        assert sorted(n.user_id for n in notes) == sorted(w.user_id for w in outcome.winners)
        assert _actions(session, drawing_id) == ["drawing.published", "drawing.opened", "drawing.closed",
                                                 "drawing.executed"]
        published = session.exec(select(AuditLog).where(AuditLog.action == "drawing.published")).one()
        assert published.actor_id == admin_id and published.ip_address == "203.0.113.5"
        executed = session.exec(select(AuditLog).where(AuditLog.action == "drawing.executed")).one()
        assert executed.actor_id is None and executed.after_state is not None
        assert executed.after_state["server_seed"] == outcome.drawing.server_seed_hex


def test_illegal_transitions_are_refused() -> None:
    with write_session() as session:
        admin_id = admin(session)
        draft = draft_drawing(session)
        with pytest.raises(Conflict):
            drawings.open_drawing(session, draft.id)  # draft → open skips scheduling
        with pytest.raises(Conflict):
            drawings.close_drawing(session, draft.id)
        with pytest.raises(Conflict):
            drawings.execute_drawing(session, draft.id)
        drawings.publish(session, draft.id, admin_id=admin_id)
        with pytest.raises(Conflict):
            drawings.publish(session, draft.id, admin_id=admin_id)  # already scheduled
        with pytest.raises(Conflict):
            drawings.close_drawing(session, draft.id)  # scheduled → closed skips open
        with pytest.raises(NotFound):
            drawings.publish(session, uuid.uuid4(), admin_id=admin_id)
    for key, target in drawings.TRANSITIONS.items():
        assert key not in target
    assert drawings.TRANSITIONS[S.completed] == set() and drawings.TRANSITIONS[S.cancelled] == set()


@pytest.mark.parametrize(("change", "field"), [
    ({"drawing_time_days": -2}, "drawing_time"),
    ({"no_rules": True}, "rules_text"),
    ({"no_prizes": True}, "prizes"),
    ({"open_after_close": True}, "open_time"),
])
def test_publish_checks_the_draft(change: dict, field: str) -> None:
    with write_session() as session:
        admin_id = admin(session)
        drawing = draft_drawing(session, prizes=() if change.get("no_prizes") else
                                ((1, "Prize", 1, "physical", 10.0),))
        if "drawing_time_days" in change:
            drawing.drawing_time = utcnow() + timedelta(days=change["drawing_time_days"])
            drawing.sales_close = drawing.drawing_time - timedelta(minutes=5)
        if change.get("no_rules"):
            drawing.rules_text = "  "
        if change.get("open_after_close"):
            drawing.open_time = drawing.sales_close + timedelta(minutes=1)
        session.add(drawing)
        session.flush()
        with pytest.raises(InvalidInput) as caught:
            drawings.publish(session, drawing.id, admin_id=admin_id)
        assert caught.value.extra["field"] == field


def test_steps_already_done_are_no_ops() -> None:
    """A second runner (or a rerun) finds the step done: nothing changes and no second audit entry is written."""
    with write_session() as session:
        admin_id = admin(session)
        drawing = open_drawing(session, admin_id)
        commitment = drawing.seed_commitment
        assert drawings.open_drawing(session, drawing.id).seed_commitment == commitment
        member = eligible_member(session, points=100)
        _buy(session, member, drawing.id)
        drawings.close_drawing(session, drawing.id)
        list_hash = drawing.ticket_list_hash
        assert drawings.close_drawing(session, drawing.id).ticket_list_hash == list_hash
        assert drawings.open_drawing(session, drawing.id).status == S.closed.value
        assert _actions(session, drawing.id).count("drawing.closed") == 1
        assert _actions(session, drawing.id).count("drawing.opened") == 1


def test_no_tickets_means_cancelled() -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        outcome = drawings.execute_drawing(session, drawing.id)
        assert outcome.drawing.status == S.cancelled.value and outcome.winners == [] and not outcome.replayed
        assert outcome.drawing.results == {"cancelled": True, "reason": drawings.NO_TICKETS_REASON}
        again = drawings.execute_drawing(session, drawing.id)
        assert again.replayed and again.winners == []
        assert sorted(_actions(session, drawing.id)[-2:]) == ["drawing.cancelled", "drawing.closed"]  # same moment
        assert drawings.results(session, drawing.id).cancelled_reason == drawings.NO_TICKETS_REASON


def test_execute_is_idempotent_and_resumes_after_a_crash(db_system: System) -> None:
    """A draw whose transaction dies before commit leaves the drawing closed; the rerun draws the same winners. A
    completed draw is never drawn again: rerunning returns the stored winners."""
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session), prizes=((1, "A", 2, "physical", 50.0),))
        drawing_id = drawing.id
        for _ in range(6):
            _buy(session, eligible_member(session, points=100), drawing_id, quantity=2)
        drawings.close_drawing(session, drawing_id)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), write_session(db_system) as session:
        crashed = drawings.execute_drawing(session, drawing_id)
        crashed_numbers = [w.ticket_number for w in crashed.winners]
        raise Crash  # e.g. the worker died before commit
    with read_session(db_system) as reader:
        assert drawings.get_drawing(reader, drawing_id).status == S.closed.value
        assert reader.exec(select(PrizeFulfillment)).all() == []

    with write_session(db_system) as session:
        first = drawings.execute_drawing(session, drawing_id)
    with write_session(db_system) as session:
        second = drawings.execute_drawing(session, drawing_id)
    assert [w.ticket_number for w in first.winners] == crashed_numbers
    assert second.replayed and second.winners == first.winners
    with read_session(db_system) as reader:
        assert _actions(reader, drawing_id).count("drawing.executed") == 1
        assert len(reader.exec(select(PrizeFulfillment)).all()) == 2


def test_two_runners_at_once_draw_once(pg_system: System) -> None:
    """Two executions racing on PostgreSQL: the drawing row lock serialises them; one draws, the other replays."""
    with write_session(pg_system) as session:
        drawing = open_drawing(session, admin(session))
        drawing_id = drawing.id
        for _ in range(5):
            _buy(session, eligible_member(session, points=100), drawing_id)
        drawings.close_drawing(session, drawing_id)
    barrier = threading.Barrier(2)
    outcomes: list[drawings.DrawOutcome] = []

    def run() -> None:
        barrier.wait(timeout=30)
        with write_session(pg_system) as session:
            outcomes.append(drawings.execute_drawing(session, drawing_id))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert outcomes[0].winners == outcomes[1].winners
    with read_session(pg_system) as reader:
        assert _actions(reader, drawing_id).count("drawing.executed") == 1
        assert len(reader.exec(select(PrizeFulfillment)).all()) == 1


def test_execute_now_closes_an_open_drawing_first() -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        _buy(session, eligible_member(session, points=100), drawing.id)
        outcome = drawings.execute_drawing(session, drawing.id)
        assert outcome.drawing.status == S.completed.value and len(outcome.winners) == 1
        assert outcome.drawing.ticket_list_hash is not None
        assert sorted(_actions(session, drawing.id)[-2:]) == ["drawing.closed", "drawing.executed"]  # same moment


def test_a_tampered_ticket_list_is_refused() -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        _buy(session, eligible_member(session, points=100), drawing.id)
        drawings.close_drawing(session, drawing.id)
        session.add(Ticket(drawing_id=drawing.id, user_id=eligible_member(session), ticket_number=99))
        session.flush()
        with pytest.raises(Conflict, match="changed after it was frozen"):
            drawings.execute_drawing(session, drawing.id)


def test_admin_cancel_refunds_purchases(db_system: System) -> None:
    with write_session(db_system) as session:
        admin_id = admin(session)
        drawing = open_drawing(session, admin_id, cost=30)
        buyer, free = eligible_member(session, points=200), eligible_member(session)
        _buy(session, buyer, drawing.id, quantity=2)
        _buy(session, buyer, drawing.id, quantity=1)
        tickets.claim_free_entry(session, user_id=free, drawing_id=drawing.id)
        drawing_id = drawing.id
    with write_session(db_system) as session:
        with pytest.raises(InvalidInput):
            drawings.cancel(session, drawing_id, admin_id=admin_id, reason=" ")
        cancelled = drawings.cancel(session, drawing_id, admin_id=admin_id, reason="Sponsor withdrew",
                                    ip_address="198.51.100.7")
        assert cancelled.status == S.cancelled.value
    with read_session(db_system) as session:
        user = session.get(User, buyer)
        assert user is not None and user.point_balance == 200
        reversals = session.exec(select(PointTransaction).where(PointTransaction.user_id == buyer,
                                                                PointTransaction.transaction_type == "reverse")).all()
        assert sorted(r.amount for r in reversals) == [30, 60]
        entry = session.exec(select(AuditLog).where(AuditLog.action == "drawing.cancelled")).one()
        assert entry.actor_id == admin_id and entry.after_state is not None
        assert entry.after_state["refunded_points"] == 90 and entry.after_state["reason"] == "Sponsor withdrew"
    with write_session(db_system) as session, pytest.raises(Conflict):
        drawings.cancel(session, drawing_id, admin_id=admin_id, reason="again")


def test_completed_drawings_cannot_be_cancelled() -> None:
    with write_session() as session:
        admin_id = admin(session)
        drawing = open_drawing(session, admin_id)
        _buy(session, eligible_member(session, points=100), drawing.id)
        drawings.execute_drawing(session, drawing.id)
        with pytest.raises(Conflict):
            drawings.cancel(session, drawing.id, admin_id=admin_id, reason="too late")


def _forfeit(session: Session, ticket_id: uuid.UUID) -> None:
    row = session.exec(select(PrizeFulfillment).where(PrizeFulfillment.ticket_id == ticket_id)).one()
    row.status = FulfillmentStatus.forfeited.value
    session.add(row)
    session.flush()


def test_alternates_continue_the_stream(db_system: System) -> None:
    with write_session(db_system) as session:
        drawing = open_drawing(session, admin(session), prizes=((1, "Watch", 1, "physical", 300.0),))
        drawing_id = drawing.id
        members = [eligible_member(session, points=100) for _ in range(3)]
        for member in members:
            _buy(session, member, drawing_id, quantity=2)
        outcome = drawings.execute_drawing(session, drawing_id)
        prize_id = outcome.winners[0].prize_id
        expected = _expected(outcome.drawing, session, units=1, alternates=2)

        with pytest.raises(Conflict):  # nothing forfeited yet
            drawings.draw_alternate(session, drawing_id, prize_id)
        _forfeit(session, outcome.winners[0].ticket_id)
        first = drawings.draw_alternate(session, drawing_id, prize_id)
        assert first is not None and first.ticket_number == expected.alternates[0].ticket_number
        assert first.user_id != outcome.winners[0].user_id
        with pytest.raises(Conflict):  # the same forfeit is replaced once
            drawings.draw_alternate(session, drawing_id, prize_id)
        _forfeit(session, first.ticket_id)
        second = drawings.draw_alternate(session, drawing_id, prize_id)
        assert second is not None and second.ticket_number == expected.alternates[1].ticket_number
        assert len({outcome.winners[0].user_id, first.user_id, second.user_id}) == 3
        _forfeit(session, second.ticket_id)
        assert drawings.draw_alternate(session, drawing_id, prize_id) is None  # every member has won once
        results = drawings.results(session, drawing_id).as_json()
        assert [a["ticket_number"] for a in results["alternates"]] == [first.ticket_number, second.ticket_number]
        assert results["alternates"][0]["replaces_ticket_number"] == outcome.winners[0].ticket_number
        assert _actions(session, drawing_id).count("drawing.alternate") == 3
        assert len(session.exec(select(PrizeFulfillment)).all()) == 3


def test_due_work_picks_what_is_due() -> None:
    now = utcnow()
    with write_session() as session:
        admin_id = admin(session)
        to_open = draft_drawing(session, open_in=timedelta(minutes=-1))
        drawings.publish(session, to_open.id, admin_id=admin_id)
        later = draft_drawing(session, open_in=timedelta(minutes=30))
        drawings.publish(session, later.id, admin_id=admin_id)
        to_close = open_drawing(session, admin_id)
        to_execute = open_drawing(session, admin_id)
        drawings.close_drawing(session, to_execute.id)
        work = drawings.due_work(session, now + timedelta(minutes=2))
        assert ("open", to_open.id) in work and ("open", later.id) not in work
        assert ("close", to_close.id) not in work
        late = now + timedelta(hours=2)
        work = drawings.due_work(session, late)
        assert {("open", later.id), ("close", to_close.id), ("execute", to_execute.id)} <= set(work)
        assert [kind for kind, _ in work] == sorted((k for k, _ in work), key=["open", "close", "execute"].index)


def test_results_reveal_by_status_and_verify() -> None:
    """Nothing secret before its time; after the draw the published data alone recomputes the winners."""
    with write_session() as session:
        admin_id = admin(session)
        drawing = draft_drawing(session, prizes=((1, "Bike", 1, "physical", 700.0), (2, "Cap", 1, "digital", 5.0)))
        assert drawings.results(session, drawing.id).seed_commitment is None
        drawings.publish(session, drawing.id, admin_id=admin_id)
        drawings.open_drawing(session, drawing.id)
        hidden = eligible_member(session, points=100, display_name="Hidden Person")
        from domain.models import Profile

        profile = session.get(Profile, hidden)
        assert profile is not None
        profile.leaderboard_privacy = "hidden"
        session.add(profile)
        others = [eligible_member(session, points=100, display_name="Jane Doe") for _ in range(2)]
        for member in (hidden, *others):
            _buy(session, member, drawing.id, quantity=3)
        opened = drawings.results(session, drawing.id).as_json()
        assert opened["seed_commitment"] and opened["ticket_list_hash"] is None and opened["server_seed"] is None
        assert opened["tickets"] == [] and opened["winners"] == []
        drawings.close_drawing(session, drawing.id)
        closed = drawings.results(session, drawing.id).as_json()
        assert closed["ticket_list_hash"] and len(closed["tickets"]) == 9 and closed["server_seed"] is None
        drawings.execute_drawing(session, drawing.id)
        public = drawings.results(session, drawing.id).as_json()

    seed = bytes.fromhex(public["server_seed"])
    assert hashlib.sha256(seed).hexdigest() == public["seed_commitment"]
    listing = "\n".join(public["tickets"])
    assert hashlib.sha256(listing.encode()).hexdigest() == public["ticket_list_hash"]
    parsed = [recipe.Entry.of(int(n), u) for n, u in (line.split(":", 1) for line in public["tickets"])]
    again = recipe.draw(seed, public["drawing_id"], parsed, public["units"])
    assert [(w.ticket_number, w.user_id) for w in again.winners] == \
        [(w["ticket_number"], w["user_id"]) for w in public["winners"]]
    assert [w["prize_rank"] for w in public["winners"]] == [1, 2]
    names = {w["user_id"]: w["display_name"] for w in public["winners"]}
    for user_id, name in names.items():
        assert name == ("Hidden member" if user_id == str(hidden) else "Jane Doe")
    assert public["recipe"] == recipe.RECIPE


def test_list_drawings_filters_and_orders(db_system: System) -> None:
    with write_session(db_system) as session:
        admin_id = admin(session)
        soon = open_drawing(session, admin_id, sales_in=timedelta(hours=1), name="soon")
        later = open_drawing(session, admin_id, sales_in=timedelta(hours=5), name="later")
        draft = draft_drawing(session, name="draft")
        rows, total = drawings.list_drawings(session, status="open")
        assert total == 2 and [d.name for d in rows] == ["soon", "later"]
        rows, total = drawings.list_drawings(session, public=True)
        assert draft.id not in {d.id for d in rows} and total == 2
        rows, total = drawings.list_drawings(session)
        assert total == 3 and rows[-1].id == draft.id and {soon.id, later.id} <= {d.id for d in rows}
        rows, _ = drawings.list_drawings(session, page=2, limit=2)
        assert len(rows) == 1
        with pytest.raises(InvalidInput):
            drawings.list_drawings(session, status="bogus")
        with pytest.raises(InvalidInput):
            drawings.list_drawings(session, drawing_type="hourly")
        assert drawings.list_drawings(session, drawing_type="daily")[1] == 3
