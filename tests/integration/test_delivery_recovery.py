"""Nothing is lost: failing deliveries stay visible as `failed` and are retried with backoff; deliveries whose
enqueue was lost are swept up; the nightly audit records its result; approving held points while the same day is
being recomputed neither deadlocks nor double-credits (PostgreSQL row locks)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from huey.exceptions import TaskLockedException
from sqlmodel import select

from app.system import System
from domain.models import LedgerAudit, TrackerConnection, WebhookDelivery
from domain.models import User as Member
from domain.points import review
from domain.points.ledger import verify_invariants
from domain.shared.types import utcnow
from domain.tracking.ingest import apply_event
from tasks import webhooks as webhook_tasks
from tests.support.db import read_session, write_session
from tests.support.jobs import ensure_tasks
from tests.support.terra import daily_body

DAY = date(2016, 4, 21)


def member_with_tracker(system: System | None = None) -> tuple[uuid.UUID, str]:
    terra_id = str(uuid.uuid4())
    with write_session(system) as session:
        user = Member(email=f"{uuid.uuid4().hex[:8]}@example.test", password_hash="x", status="active")
        session.add(user)
        session.flush()
        session.add(TrackerConnection(user_id=user.id, provider="FITBIT", terra_user_id=terra_id, is_primary=True,
                                      status="connected"))
        return user.id, terra_id


def store(body: dict | str, *, minutes_ago: int = 0) -> uuid.UUID:
    with write_session() as session:
        delivery = WebhookDelivery(event_type="daily", body=body if isinstance(body, str) else json.dumps(body),
                                   ordering_ts=1, received_at=utcnow() - timedelta(minutes=minutes_ago))
        session.add(delivery)
        session.flush()
        return delivery.id


def test_failing_delivery_is_kept_as_failed_and_retried_with_backoff(system: System) -> None:
    broken = store('{"type": "daily", "user": {"user_id": "u"}, "data": [{"metadata": {}}]}')
    with pytest.raises(Exception, match="wrong shape"):
        webhook_tasks.run_delivery(system, broken)
    with read_session() as session:
        delivery = session.get(WebhookDelivery, broken)
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert delivery.error is not None and "InvalidInput" in delivery.error
    assert webhook_tasks.deliveries_to_sweep(system, now_pending=0) == []  # backoff: not before 2 minutes
    with write_session() as session:
        delivery = session.get(WebhookDelivery, broken)
        delivery.processed_at = utcnow() - timedelta(minutes=3)
    assert webhook_tasks.deliveries_to_sweep(system, now_pending=7) == [broken]  # failed ones skip the backlog
    with write_session() as session:
        session.get(WebhookDelivery, broken).attempts = webhook_tasks.MAX_ATTEMPTS
    assert webhook_tasks.deliveries_to_sweep(system, now_pending=0) == []


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [webhook_tasks.backoff(n).total_seconds() // 60 for n in (1, 2, 3, 6, 12)] == [2, 4, 8, 60, 60]


def test_stuck_delivery_is_swept_only_when_the_queue_is_idle(system: System) -> None:
    fresh = store({"type": "daily"}, minutes_ago=0)
    stuck = store({"type": "daily"}, minutes_ago=1)  # STUCK_AFTER is 20 s
    assert webhook_tasks.deliveries_to_sweep(system, now_pending=3) == []  # a backlog: still waiting its turn
    assert webhook_tasks.deliveries_to_sweep(system, now_pending=0) == [stuck]
    assert fresh not in webhook_tasks.deliveries_to_sweep(system, now_pending=0)


def test_a_delivery_lost_in_flight_is_swept_within_a_minute(system: System) -> None:
    """A worker killed mid-task leaves its delivery `received`; 20 s later the next sweep (every minute, and again
    half a minute after each) enqueues it again — at most 20 + 30 s, where it used to take 10 minutes."""
    ensure_tasks(system)
    lost = store({"type": "daily"})
    with write_session() as session:
        session.get(WebhookDelivery, lost).received_at = utcnow() - webhook_tasks.STUCK_AFTER - timedelta(seconds=1)
    assert system.jobs.task("sweep_deliveries").call_local() == 1
    queued = system.jobs.huey.pending() + system.jobs.huey.scheduled()
    assert [task.args for task in queued if task.name == "process_webhook_delivery"] == [(str(lost),)]
    again = [task for task in queued if task.name == "sweep_deliveries_again"]
    assert len(again) == 1
    assert again[0].eta is not None
    delay = (again[0].eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds()
    assert 0 < delay <= webhook_tasks.HALF_MINUTE_SECONDS
    assert webhook_tasks.STUCK_AFTER.total_seconds() + webhook_tasks.HALF_MINUTE_SECONDS < 60


async def test_sweeper_recovers_a_lost_enqueue_on_the_real_consumer(consumer: System) -> None:
    member_id, terra_id = member_with_tracker()
    lost = store(daily_body(terra_id, DAY, steps=9_000), minutes_ago=15)  # stored, never enqueued
    sweeper = consumer.jobs.task("sweep_deliveries")
    deadline = time.monotonic() + 60
    while status_of(lost) != "processed":  # sweeps started after the insert (the consumer's own may be running,
        assert time.monotonic() < deadline, "the sweeper never recovered the delivery"  # or the queue busy)
        with contextlib.suppress(TaskLockedException):
            sweeper.call_local()
        await asyncio.sleep(0.1)
    with read_session() as session:
        assert session.get(Member, member_id).point_balance == 90 + 5


def status_of(delivery_id: uuid.UUID) -> str | None:
    with read_session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        return delivery.status if delivery else None


def test_nightly_audit_records_its_result(system: System) -> None:
    member_id, terra_id = member_with_tracker()
    with write_session() as session:
        apply_event(session, daily_body(terra_id, DAY, steps=7_000), ordering_ts=1)
    assert ensure_tasks(system).jobs.task("audit_ledger").call_local() is True
    with read_session() as session:
        audit = session.exec(select(LedgerAudit)).one()
        assert audit.ok and audit.users_checked == 1 and audit.entries_checked == 1


def race(*calls: Callable[[], object]) -> list[BaseException]:
    """Run `calls` in parallel threads released together by a barrier; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - collected for the caller to assert
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def approve(system: System, item_id: uuid.UUID, admin_id: uuid.UUID) -> None:
    with write_session(system) as session:
        review.approve_hold(session, item_id, admin_id)


def resend(system: System, terra_id: str, steps: int) -> None:
    with write_session(system) as session:
        apply_event(session, daily_body(terra_id, DAY, steps=steps), ordering_ts=2)


def test_approval_racing_a_recompute_neither_deadlocks_nor_double_credits(pg_system: System) -> None:
    admin_id, _ = member_with_tracker(pg_system)
    for round_no in range(6):
        member_id, terra_id = member_with_tracker(pg_system)
        with write_session(pg_system) as session:
            apply_event(session, daily_body(terra_id, DAY, steps=65_000), ordering_ts=1)  # held for review
        with read_session(pg_system) as session:
            item = next(i for i in review.list_review_items(session, limit=100)[0] if i.user_id == member_id)
        assert race(partial(approve, pg_system, item.id, admin_id),
                    partial(resend, pg_system, terra_id, 65_000 + round_no)) == []
        with read_session(pg_system) as session:
            assert session.get(Member, member_id).point_balance == 200 + 100 + 5  # the day's award, credited once
    with read_session(pg_system) as session:
        assert verify_invariants(session).ok
