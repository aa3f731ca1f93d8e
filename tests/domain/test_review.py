"""Review queue: implausible days are held (not credited), approve credits through the ledger, reject keeps them out,
lowered totals are flagged instead of clawed back (PRODUCT.md §4)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlmodel import select

from app.system import System
from domain.models import AuditLog, DailyPointTotal, PointTransaction, ReviewItem, TrackerConnection, User
from domain.points import review
from domain.points.ledger import verify_invariants
from domain.shared.errors import Conflict
from domain.tracking.ingest import apply_event
from tests.support.db import read_session, write_session
from tests.support.terra import daily_body

DAY = date(2016, 4, 20)


def member(db_system: System, role: str = "user") -> tuple[uuid.UUID, str]:
    terra_id = str(uuid.uuid4())
    with write_session(db_system) as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active", role=role)
        session.add(user)
        session.flush()
        session.add(TrackerConnection(user_id=user.id, provider="FITBIT", terra_user_id=terra_id, is_primary=True,
                                      status="connected"))
        return user.id, terra_id


def apply(db_system: System, body: dict, ordering_ts: int) -> None:
    with write_session(db_system) as session:
        apply_event(session, body, ordering_ts=ordering_ts)


def balance(db_system: System, user_id: uuid.UUID) -> int:
    with read_session(db_system) as session:
        return session.get(User, user_id).point_balance


def test_implausible_day_is_held_then_approved(db_system: System) -> None:
    user_id, terra_id = member(db_system)
    admin_id, _ = member(db_system, role="admin")
    apply(db_system, daily_body(terra_id, DAY, steps=65_000, vigorous_min=60), 1)
    assert balance(db_system, user_id) == 0
    with read_session(db_system) as session:
        items, total = review.list_review_items(session)
    assert total == 1 and items[0].kind == "held_points"
    # steps 200 + goal 100 + vigorous 120 + streak 5 = 425
    assert items[0].amount == 425 and "65000 steps" in items[0].reason
    apply(db_system, daily_body(terra_id, DAY, steps=65_000, vigorous_min=60), 2)  # same data again: not held twice
    with read_session(db_system) as session:
        assert review.list_review_items(session)[0][0].amount == 425

    with write_session(db_system) as session:
        review.approve_hold(session, items[0].id, admin_id)
    assert balance(db_system, user_id) == 425
    with read_session(db_system) as session:
        assert session.get(DailyPointTotal, (user_id, DAY)).points == 425
        assert session.exec(select(AuditLog).where(AuditLog.action == "review.approved")).one().actor_id == admin_id
    with write_session(db_system) as session, pytest.raises(Conflict):
        review.approve_hold(session, items[0].id, admin_id)
    apply(db_system, daily_body(terra_id, DAY, steps=65_000, vigorous_min=60), 3)
    assert balance(db_system, user_id) == 425
    with write_session(db_system) as session:
        assert verify_invariants(session).ok


def test_rejected_hold_is_not_credited_or_held_again(db_system: System) -> None:
    user_id, terra_id = member(db_system)
    admin_id, _ = member(db_system, role="admin")
    apply(db_system, daily_body(terra_id, DAY, steps=70_000), 1)
    with read_session(db_system) as session:
        item = review.list_review_items(session)[0][0]
    with write_session(db_system) as session:
        review.reject_hold(session, item.id, admin_id)
    apply(db_system, daily_body(terra_id, DAY, steps=70_000), 2)
    assert balance(db_system, user_id) == 0
    with read_session(db_system) as session:
        assert review.list_review_items(session)[1] == 0


def test_lowered_total_is_flagged_not_clawed_back(db_system: System) -> None:
    user_id, terra_id = member(db_system)
    admin_id, _ = member(db_system, role="admin")
    apply(db_system, daily_body(terra_id, DAY, steps=12_000), 1)
    assert balance(db_system, user_id) == 120 + 100 + 5
    apply(db_system, daily_body(terra_id, DAY, steps=4_000), 2)
    assert balance(db_system, user_id) == 225
    with read_session(db_system) as session:
        items, _ = review.list_review_items(session)
        assert [i.kind for i in items] == ["lowered_total"]
        assert session.exec(select(PointTransaction).where(PointTransaction.amount < 0)).first() is None
    with write_session(db_system) as session:
        review.acknowledge(session, items[0].id, admin_id)
    with read_session(db_system) as session:
        assert session.get(ReviewItem, items[0].id).status == "acknowledged"


def test_manual_upload_earns_nothing(db_system: System) -> None:
    user_id, terra_id = member(db_system)
    apply(db_system, daily_body(terra_id, DAY, steps=15_000, upload_type=2), 1)
    assert balance(db_system, user_id) == 0


def test_streak_is_independent_of_arrival_order(db_system: System) -> None:
    forward, terra_f = member(db_system)
    backward, terra_b = member(db_system)
    days = [date(2016, 4, d) for d in range(12, 24)]  # 12 qualifying days: the bonus grows to 5 × 10 then stays
    for i, day in enumerate(days):
        apply(db_system, daily_body(terra_f, day, steps=6_000), i)
    for i, day in enumerate(reversed(days)):
        apply(db_system, daily_body(terra_b, day, steps=6_000), i)
    expected = 12 * 60 + 5 * sum(min(n, 10) for n in range(1, 13))
    assert balance(db_system, forward) == balance(db_system, backward) == expected


def test_credited_day_that_turns_implausible_is_flagged_and_the_rest_held(db_system: System) -> None:
    user_id, terra_id = member(db_system)
    apply(db_system, daily_body(terra_id, DAY, steps=12_000), 1)  # plausible: 120 + 100 + 5 credited
    apply(db_system, daily_body(terra_id, DAY, steps=61_000, vigorous_min=30), 2)  # now implausible: +60 held
    assert balance(db_system, user_id) == 225
    with read_session(db_system) as session:
        items, _ = review.list_review_items(session)
    by_kind = {item.kind: item for item in items}
    assert set(by_kind) == {"held_points", "plausibility"}
    assert by_kind["held_points"].amount == 200 + 100 + 60 + 5 - 225
    assert "225 points already credited" in by_kind["plausibility"].reason


def test_review_paging_is_validated(db_system: System) -> None:
    from domain.shared.errors import InvalidInput

    with read_session(db_system) as session:
        for page, limit in ((0, 20), (1, 0), (1, 101)):
            with pytest.raises(InvalidInput):
                review.list_review_items(session, page=page, limit=limit)
