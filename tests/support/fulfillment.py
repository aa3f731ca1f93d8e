"""Helpers for the fulfillment tests: a drawing run through the real draw engine (`domain.sweepstakes.drawings`), so
every fulfillment comes from `create_for_win` exactly as in production."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from app.system import System
from domain.models import Drawing, Prize, PrizeFulfillment, Profile, Ticket, User
from domain.shared.enums import DrawingStatus, FulfillmentType
from domain.sweepstakes import drawings
from tests.support.db import read_session, write_session

T0 = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)  # the draw time of every test drawing


@dataclass(frozen=True)
class Drawn:
    drawing_id: uuid.UUID
    prize_ids: list[uuid.UUID]
    members: list[uuid.UUID]
    fulfillments: list[uuid.UUID]  # in award order


def add_user(system: System | None = None, *, role: str = "user", name: str = "Winner", email: str | None = None,
             state: str = "TX") -> uuid.UUID:
    with write_session(system) as session:
        user = User(email=email or f"{uuid.uuid4().hex[:12]}@example.test", password_hash="x", role=role,
                    status="active")
        session.add(user)
        session.flush()
        session.add(Profile(user_id=user.id, display_name=name, date_of_birth=date(1990, 1, 1), state_code=state,
                            biological_sex="F", fitness_level="INT", tier_code="F-30-39-INT"))
        return user.id


def run_drawing(system: System | None = None, *, prizes: list[tuple[str, float, str, int]] | None = None,
                tickets_per_member: list[int] | None = None, members: list[uuid.UUID] | None = None,
                at: datetime = T0) -> Drawn:
    """A drawing with `prizes` [(name, value_usd, "physical"|"digital", quantity)] in rank order, members holding
    `tickets_per_member` tickets each, opened and executed at `at` by `domain.sweepstakes.drawings`."""
    prizes = prizes or [("Fitness watch", 249.0, FulfillmentType.physical.value, 1)]
    tickets_per_member = tickets_per_member or [3, 2, 1]
    members = members or [add_user(system, name=f"Member {i + 1}") for i in range(len(tickets_per_member))]
    with write_session(system) as session:
        drawing = Drawing(drawing_type="weekly", name="Spring Weekly", ticket_cost_points=10,
                          drawing_time=at, sales_close=at - timedelta(minutes=5), status=DrawingStatus.scheduled.value,
                          rules_text="Official rules", open_time=at - timedelta(days=7))
        session.add(drawing)
        session.flush()
        prize_ids = []
        for rank, (name, value, kind, quantity) in enumerate(prizes, start=1):
            prize = Prize(drawing_id=drawing.id, prize_rank=rank, name=name, value_usd=value, quantity=quantity,
                          fulfillment_type=kind)
            session.add(prize)
            session.flush()
            prize_ids.append(prize.id)
        drawing_id = drawing.id
    with write_session(system) as session:
        drawings.open_drawing(session, drawing_id, clock=lambda: at - timedelta(days=7))
        number = 0
        for member, count in zip(members, tickets_per_member, strict=True):
            for _ in range(count):
                number += 1
                session.add(Ticket(drawing_id=drawing_id, user_id=member, ticket_number=number))
    with write_session(system) as session:
        drawings.execute_drawing(session, drawing_id, clock=lambda: at)
    return Drawn(drawing_id, prize_ids, members, fulfillments_of(system, drawing_id))


def fulfillments_of(system: System | None, drawing_id: uuid.UUID) -> list[uuid.UUID]:
    with read_session(system) as session:
        return list(session.exec(
            select(PrizeFulfillment.id).join(Prize, col(Prize.id) == col(PrizeFulfillment.prize_id))
            .where(Prize.drawing_id == drawing_id)
            .order_by(col(PrizeFulfillment.created_at), col(Prize.prize_rank))).all())


def fulfillment_row(system: System | None, fulfillment_id: uuid.UUID) -> PrizeFulfillment:
    with read_session(system) as session:
        row = session.get(PrizeFulfillment, fulfillment_id)
        assert row is not None
        return row


ADDRESS = {"full_name": "Dana Winner", "line1": "12 Main St", "line2": "Apt 4", "city": "Austin", "state": "tx",
           "postal_code": "78701", "phone": "+1 512 555 0100"}
