"""The Terra poll (issue 5 §3) against the local Terra stand-in (tests/terra_sim, in-process): only due connections
are claimed; the 30-day backfill then the 2-day overlap; a webhook and a poll of the same day count once (either
order); `user_reauth` swaps the Terra id the poll uses; `deauth` stops polling; Terra refusing 3 times in a row sets an
error the member sees, Terra being down does not; `processing`/429 defers; the post-auth backfill is queued."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from app.services import terra_sync
from app.system import System
from domain.models import Activity, DailySummary, PointTransaction, TrackerConnection, User, WebhookDelivery
from domain.shared.enums import ConnectionStatus
from domain.tracking import connections
from domain.tracking.ingest import apply_event
from tests.support.db import read_session, write_session
from tests.support.jobs import ensure_tasks, run_queued
from tests.support.members import member
from tests.support.system import current
from tests.support.terra_standin import SIM_URL, Terra, connected_member, connection_of


def queued(system: System) -> list[tuple[str, tuple]]:
    """(task name, args) of every task waiting in `system`'s queue."""
    return [(task.name, task.args) for task in system.jobs.huey.pending()]


def balance(user_id: uuid.UUID) -> tuple[int, int, int]:
    """(cached balance, points earned, ledger entries) of a member."""
    with read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        entries = session.exec(select(func.count()).select_from(PointTransaction)
                               .where(PointTransaction.user_id == user_id)).one()
        return user.point_balance, user.points_earned, int(entries)


def summaries(user_id: uuid.UUID) -> int:
    with read_session() as session:
        return int(session.exec(select(func.count()).select_from(DailySummary)
                                .where(DailySummary.user_id == user_id)).one())


def today() -> date:
    return datetime.now(UTC).date()


async def sync(terra: Terra, connection_id: uuid.UUID, **kwargs: Any) -> terra_sync.SyncReport:
    async with terra.client() as client:
        return await terra_sync.sync_connection(current(), connection_id, client, **kwargs)


def set_conn(connection_id: uuid.UUID, **values: Any) -> None:
    with write_session() as session:
        conn = session.get(TrackerConnection, connection_id)
        assert conn is not None
        for key, value in values.items():
            setattr(conn, key, value)
        session.add(conn)


# ---------------------------------------------------------------------------------------------------- scheduling
def test_claim_picks_only_due_connected_connections() -> None:
    now = datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {
        "never_synced": dict(status="connected", next_sync_at=None),
        "due": dict(status="connected", next_sync_at=now - timedelta(minutes=1)),
        "due_within_slack": dict(status="connected", next_sync_at=now + timedelta(seconds=30)),
        "later": dict(status="connected", next_sync_at=now + timedelta(minutes=10)),
        "pending": dict(status="pending", next_sync_at=None),
        "error": dict(status="error", next_sync_at=now - timedelta(hours=1)),
        "revoked": dict(status="revoked", next_sync_at=now - timedelta(hours=1)),
        "disconnected": dict(status="disconnected", next_sync_at=now - timedelta(hours=1)),
    }
    ids: dict[str, uuid.UUID] = {}
    for name, values in rows.items():
        built = member(connect=False)
        with write_session() as session:
            conn = TrackerConnection(user_id=built.user_id, provider="GARMIN", terra_user_id=f"t-{name}", **values)
            session.add(conn)
            session.flush()
            ids[name] = conn.id
    with write_session() as session:
        claimed = connections.claim_due(session, now)
    assert set(claimed) == {ids["never_synced"], ids["due"], ids["due_within_slack"]}
    assert claimed[0] == ids["never_synced"]  # never synced first, then the longest waiting
    with write_session() as session:  # a second, overlapping run finds nothing: the claim pushed them out
        assert connections.claim_due(session, now + timedelta(minutes=1)) == []
    with write_session() as session:  # ... until the lease is over
        assert set(connections.claim_due(session, now + connections.CLAIM_LEASE)) >= set(claimed)


def test_periodic_run_queues_one_task_per_due_connection(terra: Terra, system: System) -> None:
    periodic = ensure_tasks(system).jobs.task("sync_due_connections")
    first, _ = connected_member(terra)
    second, _ = connected_member(terra, provider="GARMIN")
    set_conn(connection_of(second, "GARMIN").id, next_sync_at=datetime.now(UTC) + timedelta(hours=1))
    assert periodic.call_local() == 1
    assert queued(system) == [("sync_connection", (str(connection_of(first).id),))]
    assert periodic.call_local() == 0  # claimed: not queued twice
    assert system.jobs.pending_count() == 1


def test_periodic_run_does_nothing_without_terra_credentials(system: System) -> None:
    member()  # a connected member, due
    assert system.settings.terra_dev_id is None
    assert ensure_tasks(system).jobs.task("sync_due_connections").call_local() == 0
    assert queued(system) == []  # nothing queued without Terra


# ---------------------------------------------------------------------------------------------------- the sync
async def test_first_sync_backfills_30_days_then_overlaps_2_days(terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    conn_id = connection_of(user_id).id
    report = await sync(terra, conn_id)
    assert report.outcome == "synced"
    assert report.requests == 2
    assert (report.start, report.end) == (today() - timedelta(days=30), today())
    assert report.days >= 25  # the dataset person has data on (almost) every day of the shifted month
    assert summaries(user_id) == report.days
    assert report.credited > 0
    assert balance(user_id)[0] == report.credited
    conn = connection_of(user_id)
    assert conn.backfill_done_at is not None and conn.sync_failures == 0
    assert conn.next_sync_at is not None
    assert abs((conn.next_sync_at - conn.last_sync_at).total_seconds() - 15 * 60) < 1  # type: ignore[operator]

    calls = terra.api_requests()
    assert [c["path"].rsplit("/", 1)[-1] for c in calls] == ["daily", "activity"]
    for call in calls:
        assert call["method"] == "GET"
        assert call["headers"]["dev-id"] == terra.config.dev_id
        assert call["headers"]["x-api-key"] == terra.config.api_key
        assert call["query"] == {"user_id": sim_user.user_id, "start_date": (today() - timedelta(days=30)).isoformat(),
                                 "end_date": today().isoformat(), "to_webhook": "false"}

    again = await sync(terra, conn_id)
    assert (again.start, again.end) == (today() - timedelta(days=2), today())
    assert again.credited == 0 and balance(user_id)[0] == report.credited  # the overlap changes nothing


@pytest.mark.parametrize("webhook_first", [True, False], ids=["webhook-then-poll", "poll-then-webhook"])
async def test_webhook_and_poll_of_the_same_days_count_once(terra: Terra, webhook_first: bool) -> None:
    user_id, sim_user = connected_member(terra)
    conn_id = connection_of(user_id).id
    yesterday = today() - timedelta(days=1)
    days = (yesterday - timedelta(days=4), yesterday)
    daily = terra.sim.data_event("daily", sim_user, *days)
    activity = terra.sim.data_event("activity", sim_user, *days)
    assert daily["data"]

    def webhook() -> None:  # what the webhook task does with a stored delivery: the same apply_event
        with write_session() as session:
            ordering = int(datetime.now(UTC).timestamp() * 1000) + 5
            apply_event(session, daily, ordering_ts=ordering)
            if activity["data"]:
                apply_event(session, activity, ordering_ts=ordering)

    if webhook_first:
        webhook()
        after_webhook = balance(user_id)
        await sync(terra, conn_id)
        once = balance(user_id)
        assert once[0] >= after_webhook[0]  # the poll may add the other backfilled days, never these again
    else:
        await sync(terra, conn_id)
        once = balance(user_id)
        webhook()
        assert balance(user_id) == once  # no new ledger entry at all
    with read_session() as session:
        per_day = session.exec(select(col(DailySummary.summary_date), func.count())
                               .where(DailySummary.user_id == user_id)
                               .group_by(col(DailySummary.summary_date))).all()
        assert per_day and all(n == 1 for _, n in per_day)
        activities = session.exec(select(col(Activity.summary_id), func.count()).where(Activity.user_id == user_id)
                                  .group_by(col(Activity.summary_id))).all()
        assert all(n == 1 for _, n in activities)
    # the ledger equals the points the stored data deserves: a fresh member fed only by the poll earns the same
    fresh_id, fresh_sim = connected_member(terra, person=sim_user.person)
    await sync(terra, connection_of(fresh_id).id)
    assert balance(fresh_id)[0] == balance(user_id)[0]


async def test_reauth_swaps_the_terra_id_the_poll_uses(terra: Terra) -> None:
    user_id, old = connected_member(terra)
    conn_id = connection_of(user_id).id
    new = terra.sim.create_user(provider="FITBIT", reference_id=str(user_id), person=old.person)
    with write_session() as session:
        outcome = apply_event(session, {"type": "user_reauth", "status": "warning", "message": "reauth",
                                        "old_user": old.terra(), "new_user": new.terra()}, ordering_ts=1)
    assert outcome.status == "processed"
    assert connection_of(user_id).terra_user_id == new.user_id
    assert connection_of(user_id).id == conn_id  # the same connection: history stays attached
    await sync(terra, conn_id)
    assert {c["query"]["user_id"] for c in terra.api_requests()} == {new.user_id}


@pytest.mark.parametrize("event", ["deauth", "access_revoked"])
async def test_deauth_stops_syncing(terra: Terra, event: str) -> None:
    user_id, sim_user = connected_member(terra)
    conn_id = connection_of(user_id).id
    await sync(terra, conn_id)
    with write_session() as session:
        apply_event(session, {"type": event, "status": "success", "user": sim_user.terra()}, ordering_ts=1)
    assert connection_of(user_id).status == ConnectionStatus.revoked.value
    with write_session() as session:
        assert conn_id not in connections.claim_due(session, datetime.now(UTC) + timedelta(days=1))
    calls = len(terra.api_requests())
    report = await sync(terra, conn_id)
    assert report.outcome == "skipped" and len(terra.api_requests()) == calls  # no request at all
    view = next(v for v in _views(user_id) if v.provider == "FITBIT")
    assert view.needs_reconnect and view.days_synced > 0  # history kept, reconnect offered


def _views(user_id: uuid.UUID) -> list[connections.ConnectionView]:
    with read_session() as session:
        return connections.list_connections(session, user_id, ("FITBIT", "GARMIN"))


async def test_repeated_refusals_set_an_error_the_member_sees(terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    conn_id = connection_of(user_id).id
    terra.sim.users.pop(sim_user.user_id)  # Terra no longer knows the user: 404 on every read
    for attempt in range(1, connections.FAILURES_BEFORE_ERROR + 1):
        report = await sync(terra, conn_id)
        assert report.outcome == "failed" and "404" in (report.error or "")
        conn = connection_of(user_id)
        assert conn.sync_failures == attempt
        expected = "error" if attempt == connections.FAILURES_BEFORE_ERROR else "connected"
        assert conn.status == expected
    view = next(v for v in _views(user_id) if v.provider == "FITBIT")
    assert view.status == "error" and view.needs_reconnect
    assert view.message is not None and "Reconnect" in view.message and "3 times" in view.message
    with write_session() as session:  # no longer polled ...
        assert conn_id not in connections.claim_due(session, datetime.now(UTC) + timedelta(days=1))
    # ... until the member reconnects: Terra's auth webhook connects it again and the next sync clears the failures
    again = terra.sim.create_user(provider="FITBIT", reference_id=str(user_id), person=sim_user.person)
    with write_session() as session:
        apply_event(session, {"type": "auth", "status": "success", "user": again.terra(),
                              "reference_id": str(user_id)}, ordering_ts=1)
    assert (await sync(terra, conn_id)).outcome == "synced"
    conn = connection_of(user_id)
    assert (conn.status, conn.sync_failures, conn.last_sync_error) == ("connected", 0, None)


async def test_terra_down_backs_off_without_blaming_the_member(terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    conn_id = connection_of(user_id).id
    terra.sim.faults.clear()
    for _ in range(5):
        await _fault(terra, status=503, count=10)
        report = await sync(terra, conn_id)
        assert report.outcome == "failed" and report.error == "Terra is temporarily unavailable"
    conn = connection_of(user_id)
    assert conn.status == "connected" and conn.sync_failures == 5
    assert conn.next_sync_at is not None and conn.last_sync_attempt_at is not None
    assert conn.next_sync_at - conn.last_sync_attempt_at == connections.MAX_BACKOFF
    view = next(v for v in _views(user_id) if v.provider == "FITBIT")
    assert not view.needs_reconnect and "retry automatically" in (view.message or "")
    terra.sim.faults.clear()
    assert (await sync(terra, conn_id)).outcome == "synced"
    assert connection_of(user_id).sync_failures == 0


async def test_rate_limit_defers_without_a_failure(terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    conn_id = connection_of(user_id).id
    await _fault(terra, status=429, count=1, retry_after="600")
    report = await sync(terra, conn_id)
    assert report.outcome == "deferred"
    conn = connection_of(user_id)
    assert conn.sync_failures == 0 and conn.status == "connected"
    assert conn.next_sync_at is not None and conn.last_sync_attempt_at is not None
    assert conn.next_sync_at - conn.last_sync_attempt_at == timedelta(seconds=600)


async def _fault(terra: Terra, **spec: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=terra.app), base_url=SIM_URL) as http:
        response = await http.post("/_sim/faults", json=spec)
        assert response.status_code == 200, response.text


def test_sync_records_and_backoff_rules() -> None:
    assert [connections.backoff(n) for n in (1, 2, 3, 4, 5)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]
    built = member()
    assert built.connection_id is not None
    with write_session() as session:
        conn = session.get(TrackerConnection, built.connection_id)
        assert conn is not None
        assert connections.sync_window(conn, date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))
        conn.backfill_done_at = conn.last_sync_at = datetime(2026, 3, 30, 23, 0, tzinfo=UTC)
        assert connections.sync_window(conn, date(2026, 3, 31)) == (date(2026, 3, 28), date(2026, 3, 31))
        conn.last_sync_at = datetime(2025, 1, 1, tzinfo=UTC)  # long ago: never more than the backfill window
        assert connections.sync_window(conn, date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))


# --------------------------------------------------------------------------------------------- after the auth hook
def test_auth_delivery_queues_the_backfill(terra: Terra, system: System) -> None:
    from tasks.webhooks import run_delivery

    ensure_tasks(system)
    built = member(connect=False)
    sim_user = terra.sim.create_user(provider="FITBIT", reference_id=str(built.user_id))
    body = {"type": "auth", "status": "success", "user": sim_user.terra(), "reference_id": str(built.user_id)}
    import json

    with write_session() as session:
        delivery = WebhookDelivery(event_type="auth", terra_user_id=sim_user.user_id, body=json.dumps(body),
                                   ordering_ts=1)
        session.add(delivery)
    assert run_delivery(system, delivery.id) == "processed"
    conn_id = str(connection_of(built.user_id).id)
    assert queued(system) == [("backfill_connection", (conn_id,))]  # enqueued after the commit (TrackerConnected)
    assert run_queued(system) == ["synced"]  # the backfill task syncs the new connection from the stand-in
    assert connection_of(built.user_id).backfill_done_at is not None
