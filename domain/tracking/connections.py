"""A member's tracker connections and their sync bookkeeping (issue 5 §2–§3, PRODUCT.md §4 "Source trust").

Connections are *made* by Terra's `auth` webhook (`domain.accounts.members.connect_tracker`, via
`domain.tracking.ingest`); this module covers everything around it: the list a member sees (one card per configured
provider), starting a connection (a `pending` row until the webhook arrives), disconnecting (status `disconnected`;
summaries, activities and points are kept), choosing the primary tracker, and the 15-minute poll's scheduling — which
connections are due, and what a sync attempt's success, failure or deferral does to the row.

Sync failures: a failure Terra reports about the connection (a 4xx — unknown user, access refused) is *permanent*;
after `FAILURES_BEFORE_ERROR` of them in a row the connection gets status `error` with a message the member sees and
a reconnect button, and polling stops until the member reconnects. A *transient* failure (Terra down, timeouts, the
circuit breaker open) never blames the member: the connection keeps its status and is retried with a backoff.

All functions run in the caller's transaction (flush, never commit) and take a `clock` returning aware UTC datetimes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from domain.models import DailySummary, ReviewItem, TrackerConnection
from domain.shared.enums import ConnectionStatus, ReviewKind
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow

Clock = Callable[[], datetime]

SYNC_INTERVAL = timedelta(minutes=15)  # how often a connected tracker is polled (issue 5 §3)
DUE_SLACK = timedelta(minutes=2)  # a connection due within this is taken by the current 15-minute run
CLAIM_LEASE = timedelta(minutes=15)  # a claimed connection is not claimed again before this (its task is queued)
BACKFILL_DAYS = 30  # the first sync after connecting fetches this many days before today
OVERLAP_DAYS = 2  # later syncs start this many days before the last successful sync (late uploads, time zones)
FAILURES_BEFORE_ERROR = 3  # consecutive permanent failures before the member is asked to reconnect
MAX_BACKOFF = timedelta(hours=2)
# Apple Health, Samsung Health and Health Connect have no web API: they connect through Terra's mobile SDK only
# (notes/terra.md §5), so the web page explains that instead of offering them.
MOBILE_ONLY_PROVIDERS = ("APPLE", "SAMSUNG", "HEALTH_CONNECT", "GOOGLE")
INACTIVE = (ConnectionStatus.disconnected.value, ConnectionStatus.revoked.value)


def parse_providers(raw: str) -> tuple[str, ...]:
    """The providers of the `TERRA_PROVIDERS` setting: comma-separated, upper-cased, blanks and duplicates dropped,
    mobile-only providers removed (they cannot connect on the web). Order is kept."""
    seen: list[str] = []
    for part in raw.split(","):
        name = part.strip().upper()
        if name and name not in seen and name not in MOBILE_ONLY_PROVIDERS:
            seen.append(name)
    return tuple(seen)


def normalize_provider(provider: str, providers: Sequence[str]) -> str:
    """`provider` upper-cased if it is one of `providers`; raises NotFound (an unknown tracker) otherwise."""
    name = provider.strip().upper()
    if name not in providers:
        raise NotFound(f"{provider!r} is not a tracker you can connect here", field="provider")
    return name


@dataclass(frozen=True)
class ConnectionView:
    """What a member sees about one provider. `status` is `not_connected` when there is no row; `message` is the
    member-facing explanation (None when all is well); times are aware UTC datetimes; `days_synced` counts stored
    daily summaries of this connection."""

    provider: str
    status: str
    connection_id: uuid.UUID | None = None
    is_primary: bool = False
    connected_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_data_at: datetime | None = None
    next_sync_at: datetime | None = None
    sync_failures: int = 0
    message: str | None = None
    backfill_done: bool = False
    days_synced: int = 0

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.connected.value

    @property
    def needs_reconnect(self) -> bool:
        return self.status in (ConnectionStatus.error.value, ConnectionStatus.revoked.value)


def _member_message(conn: TrackerConnection) -> str | None:
    if conn.status == ConnectionStatus.connected.value:
        if conn.sync_failures and conn.last_sync_error:
            return f"The last sync did not finish ({conn.last_sync_error}). We retry automatically."
        return None
    if conn.status == ConnectionStatus.pending.value:
        return "Waiting for Terra to confirm the connection."
    if conn.status == ConnectionStatus.disconnected.value:
        return "Disconnected. Your history and points are kept."
    if conn.status == ConnectionStatus.revoked.value:
        return "Access was revoked at the tracker. Reconnect to resume syncing; your history is kept."
    return conn.status_message or "The tracker stopped sending data. Reconnect to resume syncing."


def _view(conn: TrackerConnection, days: int) -> ConnectionView:
    return ConnectionView(
        provider=conn.provider, status=conn.status, connection_id=conn.id, is_primary=conn.is_primary,
        connected_at=conn.connected_at, last_sync_at=conn.last_sync_at, last_data_at=conn.last_webhook_at,
        next_sync_at=conn.next_sync_at, sync_failures=conn.sync_failures, message=_member_message(conn),
        backfill_done=conn.backfill_done_at is not None, days_synced=days,
    )


def list_connections(session: Session, user_id: uuid.UUID, providers: Sequence[str]) -> list[ConnectionView]:
    """One view per configured provider (in `providers` order; `not_connected` when the member has no row), then
    any other connection the member has (e.g. made by the seed for a provider no longer offered)."""
    rows = session.exec(select(TrackerConnection).where(TrackerConnection.user_id == user_id)).all()
    counts = dict(session.exec(
        select(DailySummary.connection_id, sa.func.count()).where(DailySummary.user_id == user_id)
        .group_by(col(DailySummary.connection_id))).all())
    by_provider = {row.provider: row for row in rows}
    views = [_view(by_provider[p], counts.get(by_provider[p].id, 0)) if p in by_provider
             else ConnectionView(provider=p, status="not_connected") for p in providers]
    views += [_view(row, counts.get(row.id, 0)) for row in rows if row.provider not in providers]
    return views


def get_connection(session: Session, user_id: uuid.UUID, provider: str) -> TrackerConnection:
    """The member's connection to `provider` (upper-case name); raises NotFound when there is none."""
    conn = session.exec(select(TrackerConnection).where(
        TrackerConnection.user_id == user_id, TrackerConnection.provider == provider.upper())).first()
    if conn is None:
        raise NotFound(f"you have no {provider.upper()} connection", field="provider")
    return conn


def start_connection(session: Session, user_id: uuid.UUID, provider: str, providers: Sequence[str],
                     clock: Clock = utcnow) -> TrackerConnection:
    """Record that the member is connecting `provider`: a `pending` row when there is none yet (an existing row keeps
    its status and history until Terra's `auth` webhook connects it). Raises NotFound for a provider not offered."""
    name = normalize_provider(provider, providers)
    conn = session.exec(select(TrackerConnection).where(
        TrackerConnection.user_id == user_id, TrackerConnection.provider == name)).first()
    if conn is None:
        now = clock()
        conn = TrackerConnection(user_id=user_id, provider=name, status=ConnectionStatus.pending.value,
                                 created_at=now, updated_at=now)
        session.add(conn)
        session.flush()
    return conn


def disconnect(session: Session, user_id: uuid.UUID, provider: str, clock: Clock = utcnow) -> TrackerConnection:
    """Disconnect the member's `provider`: status `disconnected`, no more polling, not primary any more (another
    connected tracker, the most recently connected, becomes primary). Summaries, activities and points are kept.
    Raises NotFound when there is no such connection, Conflict when it is already disconnected."""
    conn = get_connection(session, user_id, provider)
    if conn.status == ConnectionStatus.disconnected.value:
        raise Conflict(f"{conn.provider} is already disconnected")
    now = clock()
    was_primary = conn.is_primary
    conn.status, conn.status_message = ConnectionStatus.disconnected.value, "Disconnected by the member"
    conn.is_primary, conn.next_sync_at, conn.updated_at = False, None, now
    session.add(conn)
    if was_primary:
        successor = session.exec(select(TrackerConnection).where(
            TrackerConnection.user_id == user_id, TrackerConnection.id != conn.id,
            TrackerConnection.status == ConnectionStatus.connected.value,
        ).order_by(col(TrackerConnection.connected_at).desc())).first()
        if successor is not None:
            successor.is_primary = True
            session.add(successor)
    session.flush()
    return conn


def set_primary(session: Session, user_id: uuid.UUID, provider: str, clock: Clock = utcnow) -> TrackerConnection:
    """Make `provider` the member's primary tracker (its daily summary wins when two trackers report the same day,
    PRODUCT.md §4 "Duplicates"); the others are demoted. Raises NotFound without such a connection, Conflict when it is
    not connected. Points already credited stay (awards never go down)."""
    conn = get_connection(session, user_id, provider)
    if conn.status != ConnectionStatus.connected.value:
        raise Conflict(f"only a connected tracker can be primary; {conn.provider} is {conn.status}")
    for other in session.exec(select(TrackerConnection).where(
            TrackerConnection.user_id == user_id, TrackerConnection.id != conn.id,
            TrackerConnection.is_primary == sa.true())).all():
        other.is_primary = False
        session.add(other)
    conn.is_primary, conn.updated_at = True, clock()
    session.add(conn)
    session.flush()
    return conn


# ------------------------------------------------------------------------------------------------------ scheduling
def _due_query(now: datetime):  # type: ignore[no-untyped-def]
    return select(TrackerConnection.id).where(
        TrackerConnection.status == ConnectionStatus.connected.value,
        col(TrackerConnection.terra_user_id).is_not(None),
        or_(col(TrackerConnection.next_sync_at).is_(None), col(TrackerConnection.next_sync_at) <= now + DUE_SLACK),
    )


def due_connections(session: Session, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Ids of connections the poll should fetch now: status `connected`, a Terra user id, and `next_sync_at` unset or
    at most `DUE_SLACK` ahead of `now`; the longest-waiting first, at most `limit`."""
    query = _due_query(now).order_by(col(TrackerConnection.next_sync_at).is_not(None),
                                     col(TrackerConnection.next_sync_at)).limit(limit)
    return list(session.exec(query).all())


def claim_due(session: Session, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """`due_connections`, and push each one's `next_sync_at` to `now + CLAIM_LEASE` so an overlapping run does not
    queue it twice (its sync then sets the real next time). Returns the claimed ids."""
    ids = due_connections(session, now, limit)
    if ids:
        session.execute(sa.update(TrackerConnection).where(col(TrackerConnection.id).in_(ids))
                        .values(next_sync_at=now + CLAIM_LEASE))
        session.flush()
    return ids


def sync_window(conn: TrackerConnection, today: date) -> tuple[date, date]:
    """The dates (inclusive, YYYY-MM-DD in Terra's terms) a sync of `conn` requests on `today` (UTC): the last
    `BACKFILL_DAYS` days until the first backfill succeeded; afterwards from the last successful sync's date minus
    `OVERLAP_DAYS` (never more than `BACKFILL_DAYS` back) to today."""
    earliest = today - timedelta(days=BACKFILL_DAYS)
    if conn.backfill_done_at is None or conn.last_sync_at is None:
        return earliest, today
    return max(conn.last_sync_at.date() - timedelta(days=OVERLAP_DAYS), earliest), today


def _locked(session: Session, connection_id: uuid.UUID) -> TrackerConnection:
    conn = session.get(TrackerConnection, connection_id, with_for_update=True, populate_existing=True)
    if conn is None:
        raise NotFound(f"connection {connection_id} does not exist")
    return conn


def record_sync_success(session: Session, connection_id: uuid.UUID, clock: Clock = utcnow) -> TrackerConnection:
    """A sync fetched and applied the window: `last_sync_at` = now, failures cleared, next sync in `SYNC_INTERVAL`,
    the backfill marked done. Raises NotFound for an unknown id."""
    conn = _locked(session, connection_id)
    now = clock()
    conn.last_sync_at = conn.last_sync_attempt_at = now
    conn.sync_failures, conn.last_sync_error = 0, None
    conn.next_sync_at = now + SYNC_INTERVAL if conn.status == ConnectionStatus.connected.value else None
    conn.backfill_done_at = conn.backfill_done_at or now
    conn.updated_at = now
    session.add(conn)
    session.flush()
    return conn


def backoff(failures: int) -> timedelta:
    """Wait before retrying after `failures` consecutive failures: 15 min × 2^(failures − 1), at most 2 hours."""
    return min(SYNC_INTERVAL * (2 ** max(failures - 1, 0)), MAX_BACKOFF)


def record_sync_failure(session: Session, connection_id: uuid.UUID, error: str, *, permanent: bool,
                        clock: Clock = utcnow) -> TrackerConnection:
    """A sync failed with `error` (a short text, kept for admins and shown to the member). Counts the failure and
    schedules a retry with `backoff`; after `FAILURES_BEFORE_ERROR` consecutive *permanent* failures (Terra refused
    the request) the connection gets status `error` with a member-visible message and is no longer polled.
    Raises NotFound for an unknown id; InvalidInput for an empty error."""
    if not error.strip():
        raise InvalidInput("a sync failure needs an error text")
    conn = _locked(session, connection_id)
    now = clock()
    conn.sync_failures += 1
    conn.last_sync_attempt_at, conn.last_sync_error, conn.updated_at = now, error.strip()[:500], now
    conn.next_sync_at = now + backoff(conn.sync_failures)
    if permanent and conn.sync_failures >= FAILURES_BEFORE_ERROR and conn.status == ConnectionStatus.connected.value:
        conn.status = ConnectionStatus.error.value
        conn.status_message = (f"We could not read your {conn.provider} data {conn.sync_failures} times in a row "
                               f"({conn.last_sync_error}). Reconnect to resume syncing.")[:500]
        conn.next_sync_at = None
    session.add(conn)
    session.flush()
    return conn


def record_sync_deferred(session: Session, connection_id: uuid.UUID, retry_after_seconds: int,
                         clock: Clock = utcnow) -> TrackerConnection:
    """Terra answered `processing` (it is still fetching from the provider): try again after `retry_after_seconds`
    (at least 60, at most one sync interval). Not a failure. Raises NotFound for an unknown id."""
    conn = _locked(session, connection_id)
    now = clock()
    wait = min(max(retry_after_seconds, 60), int(SYNC_INTERVAL.total_seconds()))
    conn.last_sync_attempt_at, conn.next_sync_at, conn.updated_at = now, now + timedelta(seconds=wait), now
    session.add(conn)
    session.flush()
    return conn


# ---------------------------------------------------------------------------------------------------- review flags
FLAG_TEXT = {
    ReviewKind.held_points.value: "Points held for review",
    ReviewKind.lowered_total.value: "Tracker lowered the day's total",
    ReviewKind.plausibility.value: "Unusual data flagged for review",
}


@dataclass(frozen=True)
class MemberFlag:
    """One of the member's days in the admin review queue (PRODUCT.md §4 "Source trust"): `kind` (held_points,
    lowered_total, plausibility), a member-facing `title`, the rule's `reason`, `amount` (points held or the drop),
    `status` (pending, approved, rejected, acknowledged)."""

    id: uuid.UUID
    platform_day: date
    kind: str
    title: str
    reason: str
    amount: int
    status: str
    created_at: datetime


def member_flags(session: Session, user_id: uuid.UUID, limit: int = 50) -> list[MemberFlag]:
    """The member's review flags, newest day first (at most `limit`, 1..200): what was held, lowered or flagged and
    why. Raises InvalidInput for a bad limit."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200")
    rows = session.exec(select(ReviewItem).where(ReviewItem.user_id == user_id)
                        .order_by(col(ReviewItem.platform_day).desc(), col(ReviewItem.created_at).desc())
                        .limit(limit)).all()
    return [MemberFlag(id=r.id, platform_day=r.platform_day, kind=r.kind, title=FLAG_TEXT.get(r.kind, r.kind),
                       reason=r.reason, amount=r.amount, status=r.status, created_at=r.created_at) for r in rows]
