"""Applying Terra events to FitTrack (PRODUCT.md §4, notes/terra.md §2): the one processing path shared by
webhooks, the 15-minute poll, the demo seed and the real-data replay.

`apply_event` runs inside the caller's unit of work (points land through `domain.points.engine`, which records
`PointsCredited`; a connection made or re-made records `TrackerConnected`). Data events upsert the connection's daily
summaries and activity sessions (a payload older than the stored one by ordering timestamp does not overwrite it) and
recompute the points of the affected platform days. Connection events keep `tracker_connections` in step with Terra.

Days older than the credit window (`credit_window_days`, the app passes `DAY_CREDIT_WINDOW_DAYS`, default 35; issue
13 §2) are stored like any other but earn nothing: their points are never computed, so a delivery carrying a year of
old data cannot credit a year of points today.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from domain.accounts.members import connect_tracker
from domain.models import Activity, DailySummary, TrackerConnection, User, WebhookDelivery
from domain.points import ledger
from domain.points.engine import DayResult, recompute_days
from domain.points.ledger import Clock
from domain.shared.calendar import platform_day
from domain.shared.enums import ConnectionStatus, DeliveryStatus
from domain.shared.errors import Conflict, NotFound
from domain.shared.events import TrackerConnected
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from domain.tracking.terra_payloads import (
    ActivityEvent,
    ActivityItem,
    DailyEvent,
    DailyItem,
    ReauthEvent,
    TerraEnvelope,
    TerraUser,
    UserEvent,
    parse_event,
)

INACTIVE_STATUSES = {ConnectionStatus.revoked.value, ConnectionStatus.disconnected.value}


@dataclass
class PointsChange:
    """Points that landed (or were held) for one member and platform day."""

    user_id: uuid.UUID
    platform_day: date
    credited: int
    held: int


@dataclass
class IngestOutcome:
    """What applying one event did: `status` is `processed` or `ignored` (with a `message` saying why)."""

    event_type: str
    status: str = DeliveryStatus.processed.value
    message: str | None = None
    points_changes: list[PointsChange] = field(default_factory=list)
    user_ids: set[uuid.UUID] = field(default_factory=set)

    def ignore(self, message: str) -> IngestOutcome:
        self.status, self.message = DeliveryStatus.ignored.value, message
        return self


def _int(value: float | None) -> int:
    return int(value) if value is not None else 0


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metric_fields(item: DailyItem | ActivityItem) -> int:
    """How detailed a record is: the number of non-empty top-level data sections besides metadata."""
    data = item.model_dump(exclude_none=True)
    return sum(1 for key, value in data.items() if key != "metadata" and value not in ({}, [], None))


def _connection(session: Session, terra_user: TerraUser) -> TrackerConnection | None:
    return session.exec(select(TrackerConnection).where(TrackerConnection.terra_user_id == terra_user.user_id)).first()


def _record_changes(outcome: IngestOutcome, results: list[DayResult]) -> None:
    for result in results:
        if result.credited_now or result.held_now:
            outcome.points_changes.append(
                PointsChange(result.user_id, result.platform_day, result.credited_now, result.held_now))
        outcome.user_ids.add(result.user_id)


def _data_connection(session: UnitOfWork, terra_user: TerraUser,
                     outcome: IngestOutcome) -> tuple[TrackerConnection, User] | None:
    """The active connection a data event belongs to and its member's row, locked; None (event ignored) when the
    Terra user is unknown or the connection was revoked or disconnected."""
    conn = _connection(session, terra_user)
    if conn is None:
        outcome.ignore(f"no connection for Terra user {terra_user.user_id}")
        return None
    if conn.status in INACTIVE_STATUSES:
        outcome.ignore(f"connection is {conn.status}")
        return None
    return conn, ledger.lock_user(session, conn.user_id)


def creditable_days(days: set[date], today: date, credit_window_days: int | None) -> set[date]:
    """The `days` that may still earn points: not older than `credit_window_days` before `today` (all of them when
    the window is None). Issue 13 §2."""
    if credit_window_days is None:
        return set(days)
    oldest = today - timedelta(days=credit_window_days)
    return {day for day in days if day >= oldest}


def _recompute_days(session: UnitOfWork, conn: TrackerConnection, user: User, days: set[date], clock: Clock,
                    outcome: IngestOutcome, credit_window_days: int | None = None) -> None:
    """Stamp the connection's last delivery and recompute the points of every touched platform day inside the credit
    window (older days stay stored and earn nothing; issue 13 §2) in one batched run
    (`domain.points.engine.recompute_days`, on the member's row locked by `_data_connection`)."""
    conn.last_webhook_at = clock()
    session.add(conn)
    session.flush()
    days = creditable_days(days, platform_day(conn.last_webhook_at), credit_window_days)
    _record_changes(outcome, recompute_days(session, conn.user_id, days, clock, locked_user=user))


def _apply_daily(session: UnitOfWork, event: DailyEvent, ordering_ts: int, delivery_id: uuid.UUID | None,
                 clock: Clock, outcome: IngestOutcome, credit_window_days: int | None = None) -> None:
    found = _data_connection(session, event.user, outcome)
    if found is None:
        return
    conn, user = found
    now = clock()
    days: set[date] = set()
    # each item's day is `metadata.start_time[:10]`, sliced before any timezone conversion (§4); their stored
    # summaries are read at once
    item_days = [date.fromisoformat(item.metadata.start_time[:10]) for item in event.data]
    stored = {row.summary_date: row for row in session.exec(select(DailySummary).where(
        DailySummary.connection_id == conn.id, col(DailySummary.summary_date).in_(set(item_days))))
    } if item_days else {}
    for item, day in zip(event.data, item_days, strict=True):
        row = stored.get(day)
        if row is not None and row.ordering_ts > ordering_ts:
            continue  # an older payload never overwrites a newer one
        if row is None:
            row = DailySummary(connection_id=conn.id, user_id=conn.user_id, summary_date=day, first_received_at=now)
            stored[day] = row
        distance = item.distance_data
        durations = item.active_durations_data
        row.steps = _int(distance.steps if distance else None)
        row.distance_meters = distance.distance_meters if distance else None
        row.vigorous_seconds = _int(durations.vigorous_intensity_seconds if durations else None)
        row.moderate_seconds = _int(durations.moderate_intensity_seconds if durations else None)
        row.low_seconds = _int(durations.low_intensity_seconds if durations else None)
        row.inactivity_seconds = (
            _int(durations.inactivity_seconds)
            if durations and durations.inactivity_seconds is not None
            else None
        )
        row.activity_seconds = (
            _int(durations.activity_seconds) if durations and durations.activity_seconds is not None else None
        )
        row.calories = item.calories_data.total_burned_calories if item.calories_data else None
        row.upload_type = int(item.metadata.upload_type) if item.metadata.upload_type is not None else None
        row.metric_fields = _metric_fields(item)
        row.ordering_ts = ordering_ts
        row.delivery_id = delivery_id
        row.data = item.model_dump(mode="json", exclude_none=True)
        row.updated_at = now
        session.add(row)
        days.add(day)
    _recompute_days(session, conn, user, days, clock, outcome, credit_window_days)


def _apply_activity(session: UnitOfWork, event: ActivityEvent, ordering_ts: int, clock: Clock,
                    outcome: IngestOutcome, credit_window_days: int | None = None) -> None:
    found = _data_connection(session, event.user, outcome)
    if found is None:
        return
    conn, user = found
    now = clock()
    days: set[date] = set()
    summary_ids = {item.metadata.summary_id for item in event.data}
    stored = {row.summary_id: row for row in session.exec(select(Activity).where(
        Activity.connection_id == conn.id, col(Activity.summary_id).in_(summary_ids)))} if summary_ids else {}
    for item in event.data:
        meta = item.metadata
        start, end = _parse_time(meta.start_time), _parse_time(meta.end_time)
        row = stored.get(meta.summary_id)
        if row is not None and row.ordering_ts > ordering_ts:
            continue
        if row is None:
            row = Activity(connection_id=conn.id, user_id=conn.user_id, summary_id=meta.summary_id,
                           start_time=start, end_time=end, platform_day=platform_day(start), first_received_at=now)
            stored[meta.summary_id] = row
        else:
            days.add(row.platform_day)
        summary = item.distance_data.summary if item.distance_data else None
        row.activity_type = int(meta.type) if meta.type is not None else None
        row.name = meta.name[:128] if meta.name else None
        row.start_time, row.end_time = start, end
        row.duration_seconds = max(int((end - start).total_seconds()), 0)
        row.platform_day = platform_day(start)
        row.steps = _int(summary.steps) if summary and summary.steps is not None else None
        row.upload_type = int(meta.upload_type) if meta.upload_type is not None else None
        row.metric_fields = _metric_fields(item)
        row.ordering_ts = ordering_ts
        row.data = item.model_dump(mode="json", exclude_none=True)
        row.updated_at = now
        session.add(row)
        days.add(row.platform_day)
    _recompute_days(session, conn, user, days, clock, outcome, credit_window_days)


def _apply_auth(session: UnitOfWork, event: UserEvent, clock: Clock, outcome: IngestOutcome) -> None:
    """Terra `auth`: connect the Terra user to the member named by `reference_id` (our user id)."""
    reference = event.user.reference_id or event.reference_id
    try:
        user_id = uuid.UUID(str(reference))
    except ValueError:
        outcome.ignore(f"auth for unknown reference_id {reference!r}")
        return
    try:
        conn = connect_tracker(session, user_id=user_id, provider=(event.user.provider or "UNKNOWN")[:32],
                               terra_user_id=event.user.user_id, scopes=event.user.scopes, clock=clock)
    except (NotFound, Conflict) as exc:
        outcome.ignore(f"auth not applied: {exc.detail}")
        return
    outcome.user_ids.add(user_id)
    session.record(TrackerConnected(user_id, conn.id))


def _apply_status(session: UnitOfWork, event: UserEvent, status: ConnectionStatus, clock: Clock,
                  outcome: IngestOutcome) -> None:
    conn = _connection(session, event.user)
    if conn is None:
        outcome.ignore(f"no connection for Terra user {event.user.user_id}")
        return
    conn.status = status.value
    conn.status_message = (event.message or event.type)[:500]
    conn.updated_at = clock()
    session.add(conn)
    outcome.user_ids.add(conn.user_id)


def _apply_reauth(session: UnitOfWork, event: ReauthEvent, clock: Clock, outcome: IngestOutcome) -> None:
    conn = _connection(session, event.old_user)
    if conn is None:
        if _connection(session, event.new_user) is None:
            outcome.ignore(f"no connection for Terra user {event.old_user.user_id}")
        return
    conn.terra_user_id = event.new_user.user_id
    conn.status = ConnectionStatus.connected.value
    conn.status_message = None
    conn.updated_at = clock()
    session.add(conn)
    session.flush()
    outcome.user_ids.add(conn.user_id)
    session.record(TrackerConnected(conn.user_id, conn.id))


def apply_event(session: UnitOfWork, payload: dict | TerraEnvelope, *, ordering_ts: int,
                delivery_id: uuid.UUID | None = None, clock: Clock = utcnow,
                credit_window_days: int | None = None) -> IngestOutcome:
    """Apply one Terra webhook body (decoded JSON or a parsed envelope) in the caller's transaction.

    `ordering_ts` is Terra's `X-Terra-Ordering-Timestamp` (unix ms); days older than `credit_window_days` before
    today earn nothing (None: no window; issue 13 §2). Handled: daily, activity, auth, deauth,
    user_reauth, access_revoked, connection_error; other types are acknowledged as `ignored`. Raises `InvalidInput`
    for a wrong shape (nothing is written)."""
    event = payload if isinstance(payload, TerraEnvelope) else parse_event(payload)
    outcome = IngestOutcome(event_type=event.type)
    if isinstance(event, DailyEvent):
        _apply_daily(session, event, ordering_ts, delivery_id, clock, outcome, credit_window_days)
    elif isinstance(event, ActivityEvent):
        _apply_activity(session, event, ordering_ts, clock, outcome, credit_window_days)
    elif event.type == "auth" and isinstance(event, UserEvent):
        _apply_auth(session, event, clock, outcome)
    elif event.type in {"deauth", "access_revoked"} and isinstance(event, UserEvent):
        _apply_status(session, event, ConnectionStatus.revoked, clock, outcome)
    elif event.type == "connection_error" and isinstance(event, UserEvent):
        _apply_status(session, event, ConnectionStatus.error, clock, outcome)
    elif isinstance(event, ReauthEvent):
        _apply_reauth(session, event, clock, outcome)
    else:
        outcome.ignore(f"event type {event.type!r} is not used by FitTrack")
    session.flush()
    return outcome


def process_delivery(session: UnitOfWork, delivery_id: uuid.UUID, clock: Clock = utcnow,
                     credit_window_days: int | None = None) -> IngestOutcome:
    """Process a stored webhook delivery once: apply it (`apply_event`, with `credit_window_days`) and mark it
    `processed` or `ignored`.

    A delivery already processed or ignored is not applied again (its outcome is reported as `ignored`).
    Raises NotFound for an unknown id; any error propagates so the caller's transaction rolls back."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    if delivery.status in {DeliveryStatus.processed.value, DeliveryStatus.ignored.value}:
        return IngestOutcome(event_type=delivery.event_type).ignore("already processed")
    outcome = apply_event(session, json.loads(delivery.body or "null"),
                          ordering_ts=delivery.ordering_ts or 0, delivery_id=delivery.id, clock=clock,
                          credit_window_days=credit_window_days)
    delivery.status = outcome.status
    delivery.error = outcome.message[:1000] if outcome.message else None
    delivery.attempts += 1
    delivery.processed_at = clock()
    session.add(delivery)
    return outcome
