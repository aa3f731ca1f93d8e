"""The batched recompute (issue 12 §4): a late upload that changes the streak of the following 9 days reads each
table of the days' data once, not once per day per streak step, and still credits exactly what recomputing each day
on its own credits (the rules themselves are covered by test_points_properties.py and test_ledger_stateful.py).

Statements are counted with a SQLAlchemy `before_cursor_execute` listener on the test System's engine, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from app.system import System
from domain.models import DailyPointTotal, DailySummary, PointTransaction, TrackerConnection
from domain.points import engine
from domain.points.rules import STREAK_BONUS_MAX_DAYS
from domain.tracking.ingest import apply_event
from tests.support.builders import daily_payload, make_member

FIRST = date(2016, 4, 12)
DAYS = [FIRST + timedelta(days=n) for n in range(STREAK_BONUS_MAX_DAYS)]  # the late day and the 9 after it
DATA_TABLES = ("daily_summaries", "activities", "daily_point_totals", "review_items")


@contextmanager
def counted(system: System) -> Iterator[list[str]]:
    """Every SQL statement `system`'s engine runs inside the block, in order."""
    statements: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(system.db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(system.db.engine, "before_cursor_execute", listen)


def selects_from(statements: list[str]) -> Counter[str]:
    """How many SELECTs read each table (its name right after FROM)."""
    tables: Counter[str] = Counter()
    for statement in statements:
        match = re.match(r"\s*SELECT\s.*?\sFROM\s+(\w+)", statement, re.S | re.I)
        if match:
            tables[match.group(1)] += 1
    return tables


def _late_upload_member(system: System) -> tuple[uuid.UUID, str]:
    """A member whose days 2–10 each have 6,000 steps (qualifying) while day 1 has not arrived yet."""
    member = make_member(system)
    assert member.terra_user_id is not None
    with system.uow() as uow:
        for n, day in enumerate(DAYS[1:], start=1):
            apply_event(uow, daily_payload(member.terra_user_id, day, steps=6_000), ordering_ts=n)
    return member.user_id, member.terra_user_id


def test_a_late_upload_reads_each_days_data_once(db_system: System) -> None:
    user_id, terra_user_id = _late_upload_member(db_system)
    with db_system.uow() as uow, counted(db_system) as statements:
        outcome = apply_event(uow, daily_payload(terra_user_id, DAYS[0], steps=6_000), ordering_ts=100)
    # the late day starts a streak that now runs through all 10 days: each later day earns 5 more points
    assert sorted(c.platform_day for c in outcome.points_changes) == DAYS
    reads = selects_from(statements)
    # one read per table for the whole run — ingest's own look-up of the stored summary of the uploaded day, then
    # the engine's one range read (streak look-back and the 9 later days included)
    assert reads["daily_summaries"] == 2, statements
    for table in ("activities", "review_items", "daily_point_totals"):  # the ledger posts on the rows read here
        assert reads[table] == 1, statements
    assert reads["users"] == 1, statements  # the member is locked once for ingest, engine and ledger
    assert reads["tracker_connections"] == 1, statements  # the primary flags come with the summaries and sessions
    # the ledger: one read per credited day (the idempotency key and the next entry number together)
    assert reads["point_transactions"] == len(DAYS), statements
    with db_system.read() as session:
        totals = {t.platform_day: t.points for t in session.exec(
            select(DailyPointTotal).where(DailyPointTotal.user_id == user_id))}
    # day n of the streak earns 60 (steps) + 5·n (streak bonus)
    assert totals == {day: 60 + 5 * (n + 1) for n, day in enumerate(DAYS)}


def test_the_batched_run_credits_what_day_by_day_recomputes_credit(db_system: System) -> None:
    batched, terra_batched = _late_upload_member(db_system)
    single, _ = _late_upload_member(db_system)
    with db_system.uow() as uow:  # `batched`: the late day through ingest (one batched run over 10 days)
        apply_event(uow, daily_payload(terra_batched, DAYS[0], steps=6_000), ordering_ts=100)
    with db_system.read() as session:
        connection_id = session.exec(select(TrackerConnection.id).where(TrackerConnection.user_id == single)).one()
    with db_system.uow() as uow:  # `single`: the same summary stored, then each day recomputed on its own
        uow.add(DailySummary(connection_id=connection_id, user_id=single, summary_date=DAYS[0], steps=6_000,
                             upload_type=1, ordering_ts=100))
        uow.flush()
        for day in DAYS:
            engine.recompute_day(uow, single, day)

    def entries(user_id: uuid.UUID) -> list[tuple[date | None, int]]:
        with db_system.read() as session:
            return [(e.platform_day, e.amount) for e in session.exec(
                select(PointTransaction).where(PointTransaction.user_id == user_id)
                .order_by(col(PointTransaction.entry_seq)))]

    assert entries(batched) == entries(single)
    assert len(entries(batched)) == 2 * len(DAYS) - 1  # 9 days before the late upload, then one entry per day
