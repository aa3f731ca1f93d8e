"""The `/connections` page ("Trackers") through NiceGUI's simulated user, against the in-process Terra stand-in:
cards for every offered provider and the mobile-app note, connect (widget session, pending card), sync now, make
primary, disconnect through the confirmation dialog, the return routes, and the member's flagged days with reasons."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User as SimulatedUser

from app.services import terra_sync
from app.system import System
from domain.accounts.members import connect_tracker
from domain.models import ReviewItem
from domain.shared.enums import ReviewKind
from tests.support.db import write_session
from tests.support.members import email_of, member, sign_in
from tests.support.terra_standin import Terra, connected_member, connection_of


async def test_cards_note_and_empty_flags(user: SimulatedUser, terra: Terra) -> None:
    built = member(connect=False)
    await sign_in(user, email_of(built.user_id))
    await user.open("/connections")
    for name in ("Garmin", "Fitbit", "Polar", "Oura", "Withings", "COROS", "Suunto", "Wahoo"):
        await user.should_see(name, retries=300)
    await user.should_see(marker="mobile-note")
    await user.should_see("Apple Health, Samsung Health and Health Connect (Android) can only be connected from "
                          "the FitTrack mobile app: they have no web sign-in. Every tracker below connects here.")
    await user.should_see("No flagged days — everything you synced counts.")
    await user.should_see(marker="connect-fitbit")
    await user.should_not_see(marker="sync-fitbit")
    await user.should_see("Trackers")  # the navigation entry


async def test_connect_opens_the_widget_and_shows_a_pending_card(user: SimulatedUser, terra: Terra,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    built = member(connect=False)
    await sign_in(user, email_of(built.user_id))
    await user.open("/connections")
    await user.should_see(marker="connect-oura", retries=300)
    opened: list[str] = []
    monkeypatch.setattr(ui.navigate, "to", opened.append)
    user.find(marker="connect-oura").click()
    for _ in range(300):
        if opened:
            break
        await asyncio.sleep(0.05)
    assert len(opened) == 1
    session = next(iter(terra.sim.sessions.values()))
    assert opened[0].endswith(f"/widget/{session.session_id}")
    assert session.providers == ["OURA"] and session.reference_id == str(built.user_id)
    assert session.success_url is not None and session.success_url.endswith("/connections/callback")
    assert connection_of(built.user_id, "OURA").status == "pending"


async def test_sync_now_primary_and_disconnect(user: SimulatedUser, terra: Terra) -> None:
    user_id, sim_user = connected_member(terra)
    with write_session() as session:
        connect_tracker(session, user_id=user_id, provider="GARMIN", terra_user_id=f"g-{uuid.uuid4()}",
                        is_primary=False)
    await sign_in(user, email_of(user_id))
    await user.open("/connections")
    await user.should_see(marker="sync-fitbit", retries=300)
    await user.should_see(marker="primary-badge-fitbit")
    user.find(marker="sync-fitbit").click()
    await user.should_see("Fitbit synced:", retries=300)
    await user.should_see("days imported", retries=300)
    assert connection_of(user_id).backfill_done_at is not None

    user.find(marker="primary-garmin").click()
    await user.should_see("Garmin is now your primary tracker.", retries=300)
    await user.should_see(marker="primary-badge-garmin", retries=300)
    assert connection_of(user_id, "GARMIN").is_primary and not connection_of(user_id).is_primary

    user.find(marker="disconnect-fitbit").click()
    await user.should_see("Disconnect Fitbit?")
    user.find(marker="confirm-disconnect").click()
    await user.should_see("Fitbit disconnected. Your history is kept.", retries=300)
    await user.should_see("Disconnected. Your history and points are kept.", retries=300)
    assert connection_of(user_id).status == "disconnected"
    assert [r["query"] for r in terra.api_requests("/auth/deauthenticateUser")] == [{"user_id": sim_user.user_id}]


async def test_error_status_offers_reconnect(user: SimulatedUser, terra: Terra) -> None:
    user_id, _ = connected_member(terra)
    with write_session() as session:
        conn = connection_of(user_id)
        conn.status, conn.status_message = "error", "Fitbit returned 401: the token was revoked"
        session.add(conn)
    await sign_in(user, email_of(user_id))
    await user.open("/connections")
    await user.should_see("Fitbit returned 401: the token was revoked", retries=300)
    await user.should_see("Needs attention")
    await user.should_see(marker="connect-fitbit")
    await user.should_see("Reconnect")


async def test_return_routes(user: SimulatedUser, terra: Terra, system: System) -> None:
    user_id, _ = connected_member(terra)
    await sign_in(user, email_of(user_id))
    await user.open(f"/connections/callback?user_id=x&resource=FITBIT&reference_id={user_id}")
    await user.should_see("Connected — importing your last 30 days", retries=300)
    await user.should_see("0 days imported so far …", retries=300)
    async with terra.client() as client:  # the backfill lands (as the queued task would do it)
        report = await terra_sync.sync_connection(system, connection_of(user_id).id, client)
    await user.should_see(f"{report.days} days imported so far — import finished.", retries=300)
    await user.open("/connections/failed?resource=POLAR")
    await user.should_see("Connecting Polar did not finish", retries=300)


async def test_flagged_days_show_the_reason(user: SimulatedUser, terra: Terra) -> None:
    built = member()
    day = datetime.now(UTC).date() - timedelta(days=1)
    with write_session() as session:
        session.add(ReviewItem(user_id=built.user_id, platform_day=day, kind=ReviewKind.plausibility.value,
                               reason="a cadence above 250 steps/min over an activity"))
    await sign_in(user, email_of(built.user_id))
    await user.open("/connections")
    await user.should_see(marker="flags", retries=300)  # shown once the flags are loaded
    table = next(iter(user.find(marker="flags").elements))
    assert isinstance(table, ui.table)
    for _ in range(300):
        if table.rows:
            break
        await asyncio.sleep(0.05)
    assert [(r["title"], r["reason"], r["status"]) for r in table.rows] == [
        ("Unusual data flagged for review", "a cadence above 250 steps/min over an activity", "In review")]
    assert table.visible
    await user.should_not_see(marker="no-flags")
