"""Builders for the sweepstakes tests (issue 6): funded eligible members and drawings moved through the real
lifecycle services (`domain.sweepstakes.drawings.publish` / `open_drawing` / `close_drawing`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session

from app.system import System
from domain.models import Drawing, Prize, User
from domain.points import ledger
from domain.shared.enums import Role, TransactionType
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.sweepstakes import drawings
from tests.support.builders import add_member
from tests.support.db import write_session

FUND_DAY = date(2026, 1, 5)


def eligible_member(session: UnitOfWork, *, points: int = 0, state_code: str = "TX", role: str = Role.user.value,
                    display_name: str = "Test Member", **kwargs: object) -> uuid.UUID:
    """An active, eligible (TX, born 1990) member with `points` earned points (one ledger `earn`); flushed."""
    user_id = add_member(session, state_code=state_code, connect=False, display_name=display_name,
                         **kwargs).user_id  # type: ignore[arg-type]
    if role != Role.user.value:
        user = session.get(User, user_id)
        assert user is not None
        user.role = role
        session.add(user)
        session.flush()
    if points:
        ledger.post(session, user_id=user_id, transaction_type=TransactionType.earn, amount=points,
                    idempotency_key=f"fund:{user_id}", platform_day=FUND_DAY)
    return user_id


def admin(session: UnitOfWork) -> uuid.UUID:
    return eligible_member(session, role=Role.admin.value, display_name="Admin")


def draft_drawing(
    session: Session, *, now: datetime | None = None, cost: int = 10,
    prizes: Sequence[tuple[int, str, int, str, float]] = ((1, "Grand prize", 1, "physical", 100.0),),
    eligibility: dict | None = None, sales_in: timedelta = timedelta(hours=1),
    draw_after_close: timedelta = timedelta(minutes=5), open_in: timedelta = -timedelta(hours=1),
    name: str = "Test Drawing",
) -> Drawing:
    """A complete draft (rules, prizes `(rank, name, quantity, fulfillment_type, value_usd)`); flushed."""
    now = now or utcnow()
    sales_close = now + sales_in
    drawing = Drawing(drawing_type="daily", name=name, ticket_cost_points=cost, open_time=now + open_in,
                      sales_close=sales_close, drawing_time=sales_close + draw_after_close,
                      eligibility=eligibility or {"tiers": [], "roles": [], "min_account_age_days": 0},
                      status="draft", rules_text="Official rules. No purchase necessary.", rules_version=1)
    session.add(drawing)
    session.flush()
    for rank, prize_name, quantity, kind, value in prizes:
        session.add(Prize(drawing_id=drawing.id, prize_rank=rank, name=prize_name, value_usd=value,
                          quantity=quantity, fulfillment_type=kind))
    session.flush()
    return drawing


def open_drawing(session: UnitOfWork, admin_id: uuid.UUID, **kwargs: object) -> Drawing:
    """A drawing taken draft → scheduled → open through the services (sales open now)."""
    drawing = draft_drawing(session, **kwargs)  # type: ignore[arg-type]
    drawings.publish(session, drawing.id, admin_id=admin_id)
    return drawings.open_drawing(session, drawing.id)


def open_drawing_committed(system: System | None = None, **kwargs: object) -> tuple[uuid.UUID, uuid.UUID]:
    """(drawing id, admin id) for an open drawing, committed."""
    with write_session(system) as session:
        admin_id = admin(session)
        return open_drawing(session, admin_id, **kwargs).id, admin_id
