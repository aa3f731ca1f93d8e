"""The product shell through NiceGUI's `user` fixture (no browser): the landing page at `/` for signed-out visitors,
the dashboard there for members, the dark-mode toggle remembered per member, the admin overview's counts and the
admin users list (search, filters, pages), and members refused on both admin pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import col, select

from domain.accounts import users
from domain.admin import overview
from domain.models import ReviewItem, User
from domain.shared.calendar import platform_day
from domain.shared.enums import ReviewKind, ReviewStatus, UserStatus
from domain.shared.types import utcnow
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, send_daily, sign_in


def _dark_mode_value(user: SimulatedUser) -> bool | None:
    elements = user.find(ui.dark_mode).elements
    assert len(elements) == 1
    return next(iter(elements)).value


async def _eventually(check: Callable[[], bool], tries: int = 50) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


async def _dashboard_loaded(user: SimulatedUser) -> None:
    """Wait until the dashboard's background load has shown its figures. The simulation routes `ui.navigate` to
    whichever simulated browser last had an update, so a page still loading in one browser could take over the
    navigation that signing in starts in another."""
    await _eventually(lambda: any(label.text.endswith(" pts") for label in user.find(kind=ui.label).elements
                                  if label.text != "pts"), tries=300)


def _text(user: SimulatedUser, marker: str) -> str:
    elements = user.find(marker=marker).elements
    assert len(elements) == 1, marker
    return next(iter(elements)).text  # type: ignore[attr-defined]


def _set_status(user_id, status: str) -> None:  # type: ignore[no-untyped-def]
    with write_session() as session:
        row = session.get(User, user_id)
        assert row is not None
        row.status = status
        session.add(row)


# --------------------------------------------------------------------------------------------------------- landing
async def test_landing_for_signed_out_visitors(user: SimulatedUser) -> None:
    await user.open("/")
    await user.should_see("Move more. Earn points. Win prizes.")
    await user.should_see(marker="landing-sign-in")
    assert next(iter(user.find(marker="landing-sign-in").elements)).props["href"] == "/login"
    await user.should_see("How points work")
    await user.should_see("1 point for every 100 steps, up to 20,000 steps a day")
    await user.should_see("+100 bonus when you reach 10,000 steps")
    await user.should_see("Up to 1,000 points a day from all sources together.")
    await user.should_see("How drawings work")
    await user.should_see("Verifiable draw")
    await user.should_see(marker="data-credit")
    await user.should_not_see("Dashboard")
    assert next(iter(user.find(marker="join").elements)).props["href"] == "/register"


async def test_signed_in_member_sees_the_dashboard_at_root(user: SimulatedUser) -> None:
    ada = member(display_name="Ada Lovelace")
    await sign_in(user, email_of(ada.user_id))
    await user.open("/")
    await user.should_see("Dashboard")
    await user.should_see("Ada Lovelace")
    await user.should_not_see("Move more. Earn points. Win prizes.")


async def test_other_member_pages_still_need_sign_in(user: SimulatedUser) -> None:
    await user.open("/leaderboard")
    await user.should_see("Sign in to track your points")
    response = await user.http_client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].startswith("/login?redirect_to=")


# ------------------------------------------------------------------------------------------------------- dark mode
async def test_dark_mode_is_remembered_per_member(user: SimulatedUser,
                                                  create_user: Callable[[], SimulatedUser]) -> None:
    ada = member(display_name="Ada Lovelace")
    other = member(display_name="Other Member")
    light_system = re.compile(r".*prefers-color-scheme.*")
    user.javascript_rules[light_system] = lambda _: False  # the system is light
    await sign_in(user, email_of(ada.user_id))
    await user.open("/")
    await user.should_see("Ada Lovelace")
    await _dashboard_loaded(user)
    assert _dark_mode_value(user) is None  # nothing chosen yet: follow the system

    user.find(marker="dark-toggle").click()
    await _eventually(lambda: _dark_mode_value(user) is True)

    def stored() -> bool | None:
        with read_session() as session:
            return users.dark_mode_of(session, ada.user_id)

    await _eventually(lambda: stored() is True)

    await user.open("/")  # reload: dark from the first paint, and still dark once the profile is read
    assert _dark_mode_value(user) is True
    await user.should_see("Ada Lovelace")
    await _dashboard_loaded(user)
    assert _dark_mode_value(user) is True

    laptop = create_user()  # another browser: the choice comes from the database
    laptop.javascript_rules[light_system] = lambda _: False
    await sign_in(laptop, email_of(ada.user_id))
    await laptop.open("/")
    await _eventually(lambda: _dark_mode_value(laptop) is True)
    await _dashboard_loaded(laptop)

    phone = create_user()  # another member is not affected
    phone.javascript_rules[light_system] = lambda _: False
    await sign_in(phone, email_of(other.user_id))
    await phone.open("/")
    await phone.should_see("Other Member")
    await _dashboard_loaded(phone)
    assert _dark_mode_value(phone) is None

    await user.open("/")  # (the simulation's storage follows the last page request: make it this browser's again)
    user.find(marker="dark-toggle").click()  # and back to light
    await _eventually(lambda: stored() is False)


# -------------------------------------------------------------------------------------------------- admin overview
async def test_admin_overview_counts_match_the_data(user: SimulatedUser) -> None:
    admin = member(role="admin", display_name="Admin", connect=False)
    walker = member(display_name="Walker", biological_sex="M", fitness_level="BEG")
    runner = member(display_name="Runner")
    member(role="premium", display_name="Premium", connect=False)
    suspended = member(display_name="Suspended", connect=False)
    _set_status(suspended.user_id, UserStatus.suspended.value)
    today = platform_day(utcnow())
    send_daily(walker.terra_user_id, today, steps=8_000)
    send_daily(runner.terra_user_id, today - timedelta(days=3), steps=12_000)
    send_daily(runner.terra_user_id, today - timedelta(days=20), steps=70_000)  # implausible: held for review
    with read_session() as session:
        earned_rows = session.exec(select(col(User.points_earned))
                                   .where(col(User.id).in_([walker.user_id, runner.user_id]))).all()
        earned: int = sum(earned_rows, 0)
        pending = len(session.exec(select(ReviewItem).where(
            ReviewItem.status == ReviewStatus.pending.value, ReviewItem.kind == ReviewKind.held_points.value)).all())
        counts = overview.overview(session, today)
        series = overview.points_per_day(session, today)
        tiers = dict(overview.members_by_tier(session))
    assert earned > 0 and pending == 1
    assert counts.members == 5
    assert counts.members_by_role == {"admin": 1, "user": 3, "premium": 1}
    assert counts.members_by_status == {"active": 4, "suspended": 1}
    assert (counts.active_today, counts.active_7_days) == (1, 2)
    assert counts.connections == 2
    assert counts.points_earned == earned == counts.balance_outstanding == series.total
    assert counts.points_spent == 0 and counts.review_pending == 1
    assert series.is_current and len(series.points) == 30
    assert tiers["M-30-39-BEG"] == 1 and sum(tiers.values()) == 4  # active members only

    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin")
    await user.should_see("Admin overview")
    await user.should_see(marker="count-members", retries=300)
    assert _text(user, "count-members") == "5"
    assert _text(user, "count-active-today") == "1"
    assert _text(user, "count-active-7") == "2"
    assert _text(user, "count-connections") == "2"
    assert _text(user, "count-earned") == f"{earned:,}"
    assert _text(user, "count-balance") == f"{earned:,}"
    assert _text(user, "count-review") == "1"
    assert _text(user, "count-ledger") == str(counts.ledger_entries)
    assert _text(user, "count-tickets") == "0"
    await user.should_see("Suspended 1")
    await user.should_see(marker="points-chart")
    await user.should_see(marker="tier-chart")
    links = {link.props["href"] for link in user.find(ui.link).elements}
    assert {"/admin/users", "/admin/review", "/admin/users?status=suspended", "/admin/users?role=premium"} <= links


async def test_admin_overview_empty_state(user: SimulatedUser) -> None:
    admin = member(role="admin", display_name="Only Admin", connect=False)
    with write_session() as session:  # a fresh database apart from the admin: drop them from the counts' view
        counts = overview.overview(session, platform_day(utcnow()))
    assert counts.ledger_entries == 0 and counts.tickets == 0 and counts.drawings_by_status == {}
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin")
    await user.should_see("No points earned yet", retries=300)
    await user.should_see("none yet")


# ------------------------------------------------------------------------------------------------------ users list
async def test_admin_users_list_search_filter_and_pages(user: SimulatedUser) -> None:
    admin = member(role="admin", display_name="Admin Person", connect=False)
    for number in range(22):
        member(display_name=f"Walker {number:02d}", connect=False)
    zelda = member(display_name="Zelda Fitzgerald", connect=False)
    premium = member(role="premium", display_name="Paying Member", connect=False)
    banned = member(display_name="Banned Person", connect=False)
    _set_status(banned.user_id, UserStatus.banned.value)
    total = 26

    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/users")
    await user.should_see(f"1–20 of {total} users", retries=300)
    table = next(iter(user.find(marker="users-table").elements))
    assert len(table.rows) == 20  # type: ignore[attr-defined]

    pager = next(iter(user.find(marker="pager").elements))
    with user.client:  # type: ignore[union-attr]
        pager.value = 2  # type: ignore[attr-defined]
    await user.should_see(f"21–{total} of {total} users", retries=300)
    assert len(table.rows) == total - 20  # type: ignore[attr-defined]

    user.find(marker="search").type("zelda")
    await user.should_see("1–1 of 1 users", retries=300)
    assert [row["display_name"] for row in table.rows] == ["Zelda Fitzgerald"]  # type: ignore[attr-defined]
    user.find(marker="search").clear()
    user.find(marker="search").type(email_of(premium.user_id)[:20].upper())  # email, case-insensitive
    await user.should_see("1–1 of 1 users", retries=300)

    user.find(marker="search").clear()
    await user.should_see(f"1–20 of {total} users", retries=300)
    user.find(marker="status-filter").click()
    user.find("Banned").click()
    await user.should_see("1–1 of 1 users", retries=300)
    assert [row["email"] for row in table.rows] == [email_of(banned.user_id)]  # type: ignore[attr-defined]

    user.find(marker="status-filter").click()
    user.find("All statuses").click()
    await user.should_see(f"1–20 of {total} users", retries=300)
    user.find(marker="role-filter").click()
    user.find("Premium").click()
    await user.should_see("1–1 of 1 users", retries=300)
    assert [row["display_name"] for row in table.rows] == ["Paying Member"]  # type: ignore[attr-defined]
    assert zelda  # built for the search above

    user.find(marker="search").type("no such person")
    await user.should_see("0 users", retries=300)
    assert table.rows == []  # type: ignore[attr-defined]
    assert table.props["no-data-label"] == "No users match these filters"


async def test_users_list_query_parameters_preset_the_filters(user: SimulatedUser) -> None:
    admin = member(role="admin", display_name="Admin Person", connect=False)
    suspended = member(display_name="Sus Pended", connect=False)
    _set_status(suspended.user_id, UserStatus.suspended.value)
    member(display_name="Still Active", connect=False)
    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/users?status=suspended&page=9")  # a stale page number shows the last page
    await user.should_see("1–1 of 1 users", retries=300)
    table = next(iter(user.find(marker="users-table").elements))
    assert [row["email"] for row in table.rows] == [email_of(suspended.user_id)]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------- refused
async def test_member_is_refused_on_admin_pages(user: SimulatedUser) -> None:
    plain = member(display_name="Plain Member")
    await sign_in(user, email_of(plain.user_id))
    for path in ("/admin", "/admin/users", "/admin/users?role=admin"):
        response = await user.http_client.get(path)
        assert response.status_code == 403, path
        assert "administrators only" in response.text.lower()
