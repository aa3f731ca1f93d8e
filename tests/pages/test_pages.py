"""Member and admin pages through NiceGUI's `user` fixture (no browser): dashboard, leaderboard, activity history,
admin review queue, and the sign-in guard."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import col, select

from domain.models import ReviewItem, User
from domain.points.rules import DayActivity, day_award
from domain.shared.calendar import platform_day
from domain.shared.enums import ReviewKind, ReviewStatus
from domain.shared.types import utcnow
from tests.support.db import read_session
from tests.support.members import email_of, member, send_daily, sign_in


async def test_signed_out_visitor_sees_the_landing_and_is_sent_to_login(
    user: SimulatedUser,
) -> None:
    await user.open("/")
    await user.should_see("No purchase necessary")
    await user.open("/leaderboard")
    await user.should_see(marker="sign-in")


async def test_dashboard_shows_balance_today_and_streak(user: SimulatedUser) -> None:
    ada = member(display_name="Ada Lovelace")
    today = platform_day(utcnow())
    send_daily(ada.terra_user_id, today - timedelta(days=1), steps=7_000)
    send_daily(ada.terra_user_id, today, steps=12_345, moderate_seconds=20 * 60, vigorous_seconds=15 * 60)
    with read_session() as session:
        balance = session.get(User, ada.user_id).point_balance
    expected_today = day_award(DayActivity(steps=12_345, moderate_seconds=1200, vigorous_seconds=900), 2).total

    await sign_in(user, email_of(ada.user_id))
    await user.open("/")
    await user.should_see("Ada Lovelace")
    await user.should_see(f"{balance:,}")
    await user.should_see(f"{expected_today:,}")
    await user.should_see(f"of 1,000 today · {1000 - expected_today:,} left")
    await user.should_see("12,345")  # steps today
    await user.should_see("35")  # active minutes (moderate + vigorous)
    await user.should_see("2 days")  # streak
    await user.should_see("Points, last 30 days")
    table = user.find(ui.table).elements.pop()
    assert any(row["amount"] == expected_today for row in table.rows)


async def test_dashboard_for_historical_member_shows_their_latest_month(user: SimulatedUser) -> None:
    from datetime import date

    old = member(display_name="Replayed Member")
    send_daily(old.terra_user_id, date(2016, 5, 12), steps=9_000)
    await sign_in(user, email_of(old.user_id))
    await user.open("/")
    await user.should_see("Points, Apr 13, 2016 – May 12, 2016")


async def test_dashboard_empty_state_without_tracker(user: SimulatedUser) -> None:
    newbie = member(connect=False)
    await sign_in(user, email_of(newbie.user_id))
    await user.open("/")
    await user.should_see("Connect a tracker to start earning")


async def test_leaderboard_highlights_my_row(user: SimulatedUser) -> None:
    today = platform_day(utcnow())
    me = member(display_name="Me Myself", biological_sex="M", fitness_level="INT")
    rival = member(display_name="Rival Runner", biological_sex="M", fitness_level="INT")
    send_daily(me.terra_user_id, today, steps=6_000)
    send_daily(rival.terra_user_id, today, steps=9_000)

    await sign_in(user, email_of(me.user_id))
    await user.open("/leaderboard")
    await user.should_see("#2")  # my rank in the You card
    board = user.find(kind=ui.table, marker="board").elements.pop()
    assert [row["member"] for row in board.rows] == ["Rival Runner", "Me Myself"]
    assert [row["is_viewer"] for row in board.rows] == [False, True]
    around = user.find(kind=ui.table, marker="around").elements.pop()
    assert len(around.rows) == 2


async def test_period_navigation_steps_whole_periods(user: SimulatedUser) -> None:
    from datetime import date

    from domain.shared.enums import Period
    from pages.member.leaderboard import BoardChoice, step  # imported once the `user` fixture has loaded the app

    assert step(BoardChoice("OPEN", Period.daily, date(2016, 3, 1)), -1) == date(2016, 2, 29)
    assert step(BoardChoice("OPEN", Period.weekly, date(2016, 4, 13)), -1) == date(2016, 4, 10)  # previous Sunday
    assert step(BoardChoice("OPEN", Period.weekly, date(2016, 4, 13)), 1) == date(2016, 4, 18)  # next Monday
    assert step(BoardChoice("OPEN", Period.monthly, date(2016, 3, 31)), -1) == date(2016, 2, 29)
    assert step(BoardChoice("OPEN", Period.monthly, date(2016, 12, 5)), 1) == date(2017, 1, 1)
    assert step(BoardChoice("OPEN", Period.alltime, date(2016, 3, 1)), 1) == date(2016, 3, 1)


async def test_activity_page_lists_days(user: SimulatedUser) -> None:
    today = platform_day(utcnow())
    walker = member(display_name="Walker")
    for offset, steps in enumerate([4_000, 8_000, 11_000]):
        send_daily(walker.terra_user_id, today - timedelta(days=offset), steps=steps, calories=2100.0)

    await sign_in(user, email_of(walker.user_id))
    await user.open("/activity")
    await user.should_see("23,000")  # total steps in the default 30-day range
    await user.should_see("3 days")
    table = user.find(kind=ui.table, marker="days").elements.pop()
    assert [row["steps"] for row in table.rows] == ["4,000", "8,000", "11,000"]


async def test_admin_approves_held_points(user: SimulatedUser) -> None:
    admin = member(role="admin", display_name="Admin")
    cheater = member(display_name="Suspicious Walker")
    today = platform_day(utcnow())
    send_daily(cheater.terra_user_id, today, steps=70_000)  # implausible: held for review
    with read_session() as session:
        held = session.exec(select(ReviewItem).where(col(ReviewItem.kind) == ReviewKind.held_points.value)).one()
        before = session.get(User, cheater.user_id).point_balance

    await sign_in(user, email_of(admin.user_id))
    await user.open("/admin/review")
    await user.should_see("Suspicious Walker")
    user.find(marker="approve").click()
    await user.should_see("Approve held points?")
    user.find(marker="confirm").click()
    await user.should_see(f"Approved: {held.amount:,} points credited", retries=300)
    await user.should_not_see(marker="approve")
    await user.should_see("Approved")
    with read_session() as session:
        item = session.get(ReviewItem, held.id)
        assert item.status == ReviewStatus.approved.value
        assert session.get(User, cheater.user_id).point_balance == before + held.amount


async def test_member_is_refused_on_admin_review(user: SimulatedUser) -> None:
    plain = member(display_name="Plain Member")
    await sign_in(user, email_of(plain.user_id))
    response = await user.http_client.get("/admin/review")
    assert response.status_code == 403
    assert "administrators only" in response.text.lower()
    assert "Suspicious" not in response.text
