"""Admin analytics (issue 7 §7, PRODUCT.md §7): members and active members per day, points earned vs spent per day,
tickets per drawing type, fulfillment by status, the outstanding prize liability and each drawing series' prize value
against the NY/FL $5,000 registration threshold — SQL aggregates checked against hand-counted data on SQLite and
PostgreSQL (platform days are America/New_York, across the March DST change), the overview page's charts and
warning, and `GET /api/v1/admin/analytics` (admin only)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

from nicegui.testing import User as SimUser
from sqlmodel import Session

from app.system import System
from domain.admin import overview
from domain.models import (
    DailySummary,
    Drawing,
    Prize,
    PrizeFulfillment,
    Ticket,
    TrackerConnection,
    User,
)
from domain.points import ledger
from domain.shared.calendar import platform_day
from domain.shared.enums import TransactionType
from domain.shared.types import utcnow
from domain.shared.uow import UnitOfWork
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in
from tests.support.system import current

TODAY = date(2026, 3, 10)  # US DST began Sunday March 8, 2026: the 30-day window spans it
NOON = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
_keys = itertools.count()


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def add_user(session: Session, created_at: datetime, role: str = "user") -> uuid.UUID:
    user = User(email=f"{uuid.uuid4().hex[:10]}@example.test", password_hash="x", role=role, status="active",
                created_at=created_at)
    session.add(user)
    session.flush()
    return user.id


def active_on(session: Session, user_id: uuid.UUID, *days: date) -> None:
    connection = TrackerConnection(user_id=user_id, provider="FITBIT", terra_user_id=str(uuid.uuid4()),
                                   status="connected", is_primary=True)
    session.add(connection)
    session.flush()
    for day in days:
        session.add(DailySummary(connection_id=connection.id, user_id=user_id, summary_date=day, steps=6000))


def post(session: UnitOfWork, user_id: uuid.UUID, kind: TransactionType, amount: int, when: datetime,
         day: date | None = None) -> None:
    ledger.post(session, user_id=user_id, transaction_type=kind, amount=amount, idempotency_key=f"k{next(_keys)}",
                platform_day=day, clock=lambda: when)


def drawing(session: Session, name: str, kind: str, status: str, when: datetime,
            prizes: list[tuple[float, int]]) -> tuple[uuid.UUID, list[uuid.UUID]]:
    row = Drawing(drawing_type=kind, name=name, status=status, drawing_time=when, sales_close=when - timedelta(
        minutes=5), ticket_cost_points=10)
    session.add(row)
    session.flush()
    ids = []
    for rank, (value, quantity) in enumerate(prizes, start=1):
        prize = Prize(drawing_id=row.id, prize_rank=rank, name=f"Prize {rank}", value_usd=value, quantity=quantity)
        session.add(prize)
        session.flush()
        ids.append(prize.id)
    return row.id, ids


def tickets(session: Session, drawing_id: uuid.UUID, user_id: uuid.UUID, bought: int, free: int = 0) -> list[Ticket]:
    made = [Ticket(drawing_id=drawing_id, user_id=user_id, ticket_number=n + 1, is_free_entry=n >= bought)
            for n in range(bought + free)]
    session.add_all(made)
    session.flush()
    return made


def fulfillment(session: Session, ticket: Ticket, prize_id: uuid.UUID, status: str) -> None:
    session.add(PrizeFulfillment(ticket_id=ticket.id, prize_id=prize_id, user_id=ticket.user_id, status=status))


def build(db_system: System) -> dict[str, uuid.UUID]:
    """Members, activity, ledger entries and sweepstakes whose aggregates are counted by hand in the tests."""
    with write_session(db_system) as session:
        old = [add_user(session, at("2026-01-05T12:00:00")) for _ in range(3)]
        late_evening = add_user(session, at("2026-03-10T03:30:00"))  # 23:30 EDT on March 9
        today_user = add_user(session, at("2026-03-10T15:00:00"))
        add_user(session, at("2026-03-11T06:00:00"))  # after "today": not counted
        active_on(session, old[0], date(2026, 3, 9), TODAY)
        active_on(session, old[1], TODAY)
        active_on(session, late_evening, date(2026, 2, 1))  # before the window

        post(session, old[0], TransactionType.earn, 500, NOON, date(2026, 3, 5))
        post(session, old[1], TransactionType.earn, 300, NOON, date(2026, 3, 5))
        post(session, old[1], TransactionType.earn, 40, NOON, TODAY)
        post(session, old[0], TransactionType.spend, -30, at("2026-03-10T03:30:00"))  # March 9, 23:30 EDT
        post(session, old[0], TransactionType.spend, -20, at("2026-03-01T04:30:00"))  # Feb 28, 23:30 EST
        post(session, old[0], TransactionType.spend, -10, at("2026-03-01T05:30:00"))  # March 1, 00:30 EST
        post(session, old[1], TransactionType.adjust, -5, NOON)  # neither earned nor spent

        year = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
        weekly, weekly_prizes = drawing(session, "Weekly Sweat", "weekly", "completed", year, [(150.0, 1), (20, 2)])
        drawing(session, "Weekly Sweat", "weekly", "open", year + timedelta(days=7), [(180.0, 1)])
        drawing(session, "Weekly Sweat", "weekly", "cancelled", year + timedelta(days=14), [(9_000.0, 1)])
        annual, annual_prizes = drawing(session, "Grand Prize", "annual", "completed", year, [(4_000.0, 1),
                                                                                             (600.0, 2)])
        drawing(session, "Grand Prize", "annual", "draft", year + timedelta(days=30), [(1_000.0, 1)])
        drawing(session, "Founders", "annual", "scheduled", year, [(2_600.0, 2)])  # one drawing over $5,000
        drawing(session, "Grand Prize", "annual", "scheduled", datetime(2027, 1, 1, 4, 30, tzinfo=UTC),
                [(100.0, 1)])  # Dec 31, 23:30 EST: still 2026
        drawing(session, "Grand Prize", "annual", "scheduled", datetime(2027, 1, 1, 5, 30, tzinfo=UTC),
                [(100.0, 1)])  # 2027
        daily, _ = drawing(session, "Daily Draw", "daily", "closed", year, [(25.0, 1)])

        weekly_tickets = tickets(session, weekly, old[0], bought=5, free=1)
        annual_tickets = tickets(session, annual, old[1], bought=3)
        tickets(session, daily, old[2], bought=2, free=2)
        fulfillment(session, weekly_tickets[0], weekly_prizes[0], "shipped")
        fulfillment(session, weekly_tickets[1], weekly_prizes[1], "delivered")
        fulfillment(session, annual_tickets[0], annual_prizes[0], "winner_notified")
        fulfillment(session, annual_tickets[1], annual_prizes[1], "forfeited")
        fulfillment(session, annual_tickets[2], annual_prizes[1], "address_confirmed")
    return {"first": old[0], "late_evening": late_evening, "today": today_user}


def test_members_and_active_members_per_day(db_system: System) -> None:
    build(db_system)
    with read_session(db_system) as session:
        points = overview.members_per_day(session, TODAY)
    assert len(points) == 30 and points[0].day == TODAY - timedelta(days=29) and points[-1].day == TODAY
    by_day = {p.day: p for p in points}
    assert (by_day[date(2026, 3, 8)].members, by_day[date(2026, 3, 8)].new_members) == (3, 0)
    assert (by_day[date(2026, 3, 9)].members, by_day[date(2026, 3, 9)].new_members) == (4, 1)  # 03:30 UTC
    assert (by_day[TODAY].members, by_day[TODAY].new_members) == (5, 1)
    assert by_day[points[0].day].members == 3
    assert (by_day[date(2026, 3, 9)].active, by_day[TODAY].active) == (1, 2)
    assert sum(p.active for p in points) == 3  # the February day is outside the window


def test_points_earned_vs_spent_per_day(db_system: System) -> None:
    build(db_system)
    with read_session(db_system) as session:
        flow = overview.points_flow_per_day(session, TODAY)
    assert flow.is_current and len(flow.days) == 30
    by_day = {p.day: p for p in flow.days}
    assert by_day[date(2026, 3, 5)].earned == 800 and by_day[TODAY].earned == 40
    assert by_day[date(2026, 3, 9)].spent == 30  # 03:30 UTC on the 10th is 23:30 EDT on the 9th
    assert by_day[date(2026, 2, 28)].spent == 20 and by_day[date(2026, 3, 1)].spent == 10
    assert (flow.earned, flow.spent) == (840, 60)  # the adjustment is neither


def test_points_window_falls_back_to_the_latest_points(db_system: System) -> None:
    build(db_system)
    with read_session(db_system) as session:
        flow = overview.points_flow_per_day(session, date(2026, 9, 1))
        empty = overview.points_flow_per_day(session, date(2026, 3, 1) - timedelta(days=40))
    assert not flow.is_current and flow.days[-1].day == TODAY and flow.earned == 840
    assert empty.is_current and empty.earned == 0  # nothing before: the window stays put


def test_sweepstakes_aggregates(db_system: System) -> None:
    build(db_system)
    with read_session(db_system) as session:
        by_type = {t.drawing_type: t for t in overview.tickets_by_type(session)}
        fulfillments = overview.fulfillment_by_status(session)
        liability = overview.prize_liability(session)
        series = overview.prize_value_by_series(session, 2026)
        next_year = overview.prize_value_by_series(session, 2027)
    assert list(by_type) == ["daily", "weekly", "monthly", "annual"]
    assert (by_type["weekly"].bought, by_type["weekly"].free, by_type["weekly"].drawings) == (5, 1, 1)
    assert (by_type["daily"].bought, by_type["daily"].free, by_type["daily"].total) == (2, 2, 4)
    assert by_type["annual"].total == 3 and by_type["monthly"].total == 0

    assert [f.status for f in fulfillments] == ["pending", "winner_notified", "address_confirmed",
                                                "address_invalid", "shipped", "delivered", "forfeited"]
    counted = {f.status: (f.count, f.value_usd) for f in fulfillments}
    assert counted["winner_notified"] == (1, 4_000.0) and counted["shipped"] == (1, 150.0)
    assert counted["forfeited"] == (1, 600.0) and counted["pending"] == (0, 0.0)

    # to award: open weekly 180 + Founders 2×2,600 + two $100 drawings + the closed daily 25 (drafts, completed and
    # cancelled drawings are not announced-and-undrawn)
    assert liability.to_award == 180 + 5_200 + 100 + 100 + 25
    assert (liability.awarded_unshipped, liability.awarded_count) == (4_000 + 600, 2)
    assert (liability.in_transit, liability.in_transit_count) == (150.0, 1)
    assert liability.outstanding == 5_605 + 4_600 + 150

    totals = {(s.drawing_type, s.name): s for s in series}
    grand = totals[("annual", "Grand Prize")]
    assert (grand.announced, grand.planned, grand.drawings) == (4_000 + 1_200 + 100, 1_000.0, 3)
    assert grand.over_threshold and grand.would_exceed
    founders = totals[("annual", "Founders")]
    assert founders.announced == 5_200 and founders.over_threshold
    weekly = totals[("weekly", "Weekly Sweat")]
    assert (weekly.announced, weekly.drawings) == (150 + 40 + 180, 2) and not weekly.would_exceed  # not cancelled
    assert series[0].name == "Grand Prize"  # largest total first
    assert [(s.name, s.announced) for s in next_year] == [("Grand Prize", 100.0)]


def test_series_under_the_threshold_until_drafts_are_published(db_system: System) -> None:
    with write_session(db_system) as session:
        when = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
        drawing(session, "Spring", "monthly", "scheduled", when, [(4_500.0, 1)])
        drawing(session, "Spring", "monthly", "draft", when + timedelta(days=30), [(600.0, 1)])
        drawing(session, "Exactly", "monthly", "open", when, [(5_000.0, 1)])
    with read_session(db_system) as session:
        series = {s.name: s for s in overview.prize_value_by_series(session, 2026)}
    assert not series["Spring"].over_threshold and series["Spring"].would_exceed
    assert not series["Exactly"].over_threshold  # the laws say "exceeds $5,000"


def test_analytics_bundle(db_system: System) -> None:
    build(db_system)
    with read_session(db_system) as session:
        data = overview.analytics(session, TODAY)
    assert data.series_year == 2026 and data.registration_states_excluded  # NY and FL are excluded states
    assert data.members[-1].members == 5 and data.points.earned == 840
    assert data.liability.outstanding == 10_355


# --- API and page ---------------------------------------------------------------------------------------------

def bearer(user_id: uuid.UUID, role: str) -> dict[str, str]:
    token, _ = current().tokens.issue(user_id, role)
    return {"Authorization": f"Bearer {token}"}


async def test_analytics_api_is_admin_only(user: SimUser) -> None:
    # Only drawings the minute scheduler would leave alone (completed; open with sales closing in a month), so the
    # figures hold in the running app too, where the Huey consumer and its periodic tasks run.
    when = utcnow() + timedelta(days=30)
    with write_session() as session:
        admin = add_user(session, at("2026-01-01T00:00:00"), role="admin")
        holder = add_user(session, at("2026-01-01T00:00:00"))
        founders, prizes = drawing(session, "Founders", "annual", "completed", when, [(2_600.0, 2)])
        drawing(session, "Weekly Sweat", "weekly", "open", when, [(180.0, 1)])
        won = tickets(session, founders, holder, bought=3, free=1)
        fulfillment(session, won[0], prizes[0], "winner_notified")
    year = platform_day(when).year
    response = await user.http_client.get(f"/api/v1/admin/analytics?year={year}", headers=bearer(admin, "admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registration_threshold_usd"] == 5000 and body["registration_states"] == ["NY", "FL"]
    assert body["series_year"] == year and len(body["members"]) == 30 and len(body["points"]) == 30
    series = {s["name"]: s for s in body["prize_series"]}
    assert series["Founders"]["over_threshold"] is True and series["Founders"]["total"] == 5200
    assert series["Weekly Sweat"]["over_threshold"] is False and series["Weekly Sweat"]["announced"] == 180
    assert body["prize_liability"]["outstanding"] == 180 + 2_600
    by_type = {t["drawing_type"]: t for t in body["tickets_by_type"]}
    assert set(by_type) == {"daily", "weekly", "monthly", "annual"}
    assert (by_type["annual"]["bought"], by_type["annual"]["free"]) == (3, 1)
    assert body["members"][-1]["members"] == 2
    overview = await user.http_client.get("/api/v1/admin/analytics/overview", headers=bearer(admin, "admin"))
    assert overview.status_code == 200 and overview.json()["tickets"] == 4

    refused = await user.http_client.get("/api/v1/admin/analytics", headers=bearer(holder, "admin"))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    assert (await user.http_client.get("/api/v1/admin/analytics")).status_code == 401
    bad = await user.http_client.get("/api/v1/admin/analytics?days=3", headers=bearer(admin, "admin"))
    assert bad.status_code == 422


async def test_overview_page_shows_the_charts_and_the_threshold_warning(user: SimUser) -> None:
    admin = member(role="admin", display_name="Chart Admin", connect=False)
    holder = member(display_name="Ticket Holder")
    this_year = platform_day(utcnow()).year
    when = datetime(this_year, 6, 1, 1, 0, tzinfo=UTC)
    with write_session() as session:
        post(session, holder.user_id, TransactionType.earn, 400, utcnow(), platform_day(utcnow()))
        post(session, holder.user_id, TransactionType.spend, -100, utcnow())
        big, prizes = drawing(session, "Mega Prize", "annual", "completed", when, [(6_000.0, 1)])
        won = tickets(session, big, holder.user_id, bought=4)
        fulfillment(session, won[0], prizes[0], "address_confirmed")
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin")
    for marker in ("members-chart", "points-chart", "tickets-chart", "fulfillment-chart", "series-chart"):
        await user.should_see(marker=marker, retries=300)
    await user.should_see("1 series over the $5,000 NY / FL registration threshold")
    await user.should_see("Mega Prize ($6,000)")
    await user.should_see("NY and FL residents are excluded")
    await user.should_see("400 earned · 100 spent")
    total = next(iter(user.find(marker="liability-total").elements))
    assert total.text == "$6,000"  # type: ignore[attr-defined]
    series = next(iter(user.find(marker="series-chart").elements))
    bars = series.options["series"][0]  # type: ignore[attr-defined]
    assert bars["markLine"]["data"] == [{"xAxis": 5000.0}]
    assert bars["data"][0]["value"] == 6000.0 and bars["data"][0]["itemStyle"]["color"] == "#dc2626"
