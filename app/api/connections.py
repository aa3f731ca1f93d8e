"""The signed-in member's tracker connections (issue 5 §2): `/api/v1/connections`.

- `GET /connections`: one entry per offered provider (`TERRA_PROVIDERS`; `not_connected` when never connected) plus
  any other connection the member has, with status, last sync, the member-facing message.
- `POST /connections/{provider}/initiate` → `{"url", "session_id", "expires_in"}`: Terra's widget for that provider
  (`reference_id` = the member id). Terra redirects the browser to `/connections/callback` (or
  `/connections/failed`); Terra's signed `auth` webhook makes the connection and triggers the 30-day backfill.
- `DELETE /connections/{provider}`: deauthenticate at Terra, then mark the connection `disconnected` (history kept).
- `POST /connections/{provider}/sync`: sync now (rate-limited: 3 per 10 minutes per tracker → 429 problem).
- `PUT /connections/{provider}/primary`: make it the primary tracker.

Errors are problem details: unknown provider or no such connection 404, not connected 409, Terra down / circuit open
/ not configured 503 (with `Retry-After` when known), Terra refusing a request 502.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.adapters.terra.client import TerraClient, TerraError, TerraUnavailable
from app.api.deps import CurrentUser, ReleasingRoute, SessionDep, SystemDep
from app.services import terra_sync
from app.system import System
from domain.tracking import connections

router = APIRouter(prefix="/connections", tags=["connections"], route_class=ReleasingRoute)


class ConnectionOut(BaseModel):
    """One provider as the member sees it. `status`: not_connected, pending, connected, error, revoked,
    disconnected; `message`: what to tell the member (None when all is well); times ISO 8601 UTC;
    `days_synced`: daily summaries stored from this tracker; `needs_reconnect`: show a reconnect button."""

    provider: str
    status: str
    is_primary: bool
    connected_at: datetime | None
    last_sync_at: datetime | None
    last_data_at: datetime | None
    next_sync_at: datetime | None
    sync_failures: int
    message: str | None
    backfill_done: bool
    days_synced: int
    needs_reconnect: bool


class WidgetOut(BaseModel):
    """Terra's hosted widget: open `url` in the browser (not in a frame); it expires after `expires_in` seconds."""

    url: str
    session_id: str
    expires_in: int | None


class SyncOut(BaseModel):
    """A sync: `outcome` (synced, deferred, failed, skipped), the date window asked for, daily summaries and
    workouts received, requests made to Terra, wall time in ms, points credited by it, and the error text if any."""

    outcome: str
    start: date | None
    end: date | None
    days: int
    activities: int
    requests: int
    ms: float
    credited: int
    error: str | None


def to_out(view: connections.ConnectionView) -> ConnectionOut:
    return ConnectionOut(
        provider=view.provider, status=view.status, is_primary=view.is_primary, connected_at=view.connected_at,
        last_sync_at=view.last_sync_at, last_data_at=view.last_data_at, next_sync_at=view.next_sync_at,
        sync_failures=view.sync_failures, message=view.message, backfill_done=view.backfill_done,
        days_synced=view.days_synced, needs_reconnect=view.needs_reconnect)


async def terra_client(system: SystemDep) -> AsyncIterator[TerraClient]:
    """A Terra client for one request (closed afterwards); 503 problem when Terra is not configured."""
    try:
        client = terra_sync.client_from_settings(system)
    except TerraUnavailable as exc:
        terra_problem(exc)
    async with client:
        yield client


Terra = Annotated[TerraClient, Depends(terra_client)]


def terra_problem(exc: TerraError) -> NoReturn:
    """Raise the problem for a Terra failure: 503 (+ `Retry-After`) when Terra is unavailable, else 502."""
    if isinstance(exc, TerraUnavailable):
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(max(int(retry), 1))} if retry else None
        raise HTTPException(503, "Terra, our tracker partner, is not reachable right now. Try again in a few "
                                 "minutes.", headers=headers) from exc
    raise HTTPException(502, f"Terra refused the request: {exc.detail}") from exc


def _view(system: System, user_id: uuid.UUID, provider: str) -> ConnectionOut:
    with system.read() as session:
        conn = connections.get_connection(session, user_id, provider)
        views = connections.list_connections(session, user_id, terra_sync.offered_providers(system))
    return to_out(next(v for v in views if v.connection_id == conn.id))


@router.get("", response_model=list[ConnectionOut], summary="My tracker connections")
def list_my_connections(user: CurrentUser, session: SessionDep, system: SystemDep) -> list[ConnectionOut]:
    views = connections.list_connections(session, user.id, terra_sync.offered_providers(system))
    return [to_out(view) for view in views]


@router.post("/{provider}/initiate", response_model=WidgetOut, summary="Start connecting a tracker",
             responses={404: {"description": "Provider not offered"}, 503: {"description": "Terra unavailable"}})
async def initiate(provider: str, user: CurrentUser, client: Terra,
                   system: SystemDep) -> WidgetOut:
    name = connections.normalize_provider(provider, terra_sync.offered_providers(system))
    success, failure = terra_sync.redirect_urls(system.settings.site_url, name)
    try:
        widget = await client.generate_widget_session(reference_id=str(user.id), providers=[name],
                                                      success_url=success, failure_url=failure)
    except TerraError as exc:
        terra_problem(exc)
    await run_in_threadpool(terra_sync.start_connection, system, user.id, name)
    return WidgetOut(url=widget.url, session_id=widget.session_id, expires_in=widget.expires_in)


@router.delete("/{provider}", response_model=ConnectionOut, summary="Disconnect a tracker (history kept)",
               responses={404: {"description": "No such connection"}, 409: {"description": "Already disconnected"},
                          503: {"description": "Terra unavailable"}})
async def disconnect(provider: str, user: CurrentUser, client: Terra, system: SystemDep) -> ConnectionOut:
    try:
        await terra_sync.disconnect_tracker(system, user.id, provider, client)
    except TerraError as exc:
        terra_problem(exc)
    return await run_in_threadpool(_view, system, user.id, provider)


@router.post("/{provider}/sync", response_model=SyncOut, summary="Sync a tracker now (rate-limited)",
             responses={404: {"description": "No such connection"}, 409: {"description": "Not connected"},
                        429: {"description": "Synced too often"}, 503: {"description": "Terra unavailable"}})
async def sync(provider: str, user: CurrentUser, client: Terra, system: SystemDep) -> SyncOut:
    try:
        report = await terra_sync.sync_now(system, user.id, provider, client)
    except TerraError as exc:
        terra_problem(exc)
    return SyncOut(outcome=report.outcome, start=report.start, end=report.end, days=report.days,
                   activities=report.activities, requests=report.requests, ms=round(report.ms, 1),
                   credited=report.credited, error=report.error)


@router.put("/{provider}/primary", response_model=ConnectionOut, summary="Make a tracker the primary one",
            responses={404: {"description": "No such connection"}, 409: {"description": "Not connected"}})
def make_primary(provider: str, user: CurrentUser, system: SystemDep) -> ConnectionOut:
    terra_sync.set_primary(system, user.id, provider)
    return _view(system, user.id, provider)
