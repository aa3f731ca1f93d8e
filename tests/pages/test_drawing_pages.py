"""The member sweepstakes pages through NiceGUI's `user` fixture (issue 6 §2, §3, §5): the drawings list (no drafts,
filters, my tickets), a drawing's page (buy tickets through the dialog: cost, balance after, odds after, confirm;
"Enter free" once; refusals shown), my entries and prizes (with the link to claim), the public results page (before
and after the draw, verify command) and the public official rules."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import col, select

from components.countdown import countdown, epoch_ms, timing
from components.theme import money
from components.ticket_dialog import max_affordable, percent, quote
from domain.models import Drawing, Ticket, User
from domain.shared.types import utcnow
from domain.sweepstakes import drawings
from tests.support.db import hash_password, read_session, write_session
from tests.support.drawings import admin, draft_drawing, eligible_member, open_drawing
from tests.support.members import PASSWORD, email_of, sign_in


def _member(points: int = 0, **kwargs: object) -> uuid.UUID:
    with write_session() as session:
        user_id = eligible_member(session, points=points, **kwargs)  # type: ignore[arg-type]
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = hash_password(PASSWORD)
        session.add(user)
    return user_id


def _open(**kwargs: object) -> uuid.UUID:
    with write_session() as session:
        return open_drawing(session, admin(session), **kwargs).id  # type: ignore[arg-type]


def _tickets_of(drawing_id: uuid.UUID, user_id: uuid.UUID) -> list[Ticket]:
    with read_session() as session:
        return list(session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id, Ticket.user_id == user_id)
                                 .order_by(col(Ticket.ticket_number))).all())


def _balance(user_id: uuid.UUID) -> int:
    with read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.point_balance


async def _eventually(check: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def _text(user: SimulatedUser, marker: str) -> str:
    elements = user.find(marker=marker).elements
    assert elements, marker
    return next(iter(elements)).text  # type: ignore[attr-defined]


def _enabled(user: SimulatedUser, marker: str) -> bool:
    return bool(next(iter(user.find(marker=marker).elements)).enabled)  # type: ignore[attr-defined]


async def _shows(user: SimulatedUser, marker: str, text: str) -> None:
    """Wait until the (first) element marked `marker` shows exactly `text`."""
    for _ in range(300):
        if user.find(marker=marker).elements and _text(user, marker) == text:
            return
        await asyncio.sleep(0.02)
    assert _text(user, marker) == text


# ------------------------------------------------------------------------------------------------------- helpers
def test_quote_percent_money_and_timing() -> None:
    q = quote(3, price=25, balance=100, my_tickets=1, total_tickets=9)
    assert (q.cost, q.balance_after, q.my_tickets_after, q.total_after) == (75, 25, 4, 12)
    assert q.affordable and abs(q.chance_after - 1 / 3) < 1e-9
    assert not quote(5, price=25, balance=100, my_tickets=0, total_tickets=0).affordable
    assert max_affordable(25, 110) == 4 and max_affordable(1, 10_000) == 100 and max_affordable(0, 5) == 100
    assert [percent(x) for x in (0, 0.00005, 0.004, 0.125, 0.5, 1)] == ["0%", "<0.01%", "0.40%", "12.5%", "50%",
                                                                       "100%"]
    assert money(1500) == "$1,500" and money(25.5) == "$25.50"
    now = utcnow()
    assert timing("open", now - timedelta(hours=1), now + timedelta(hours=1), now + timedelta(hours=2), now)[0] \
        == "Sales close in"
    assert timing("scheduled", now + timedelta(hours=1), now + timedelta(hours=3), now + timedelta(hours=4),
                  now)[:2] == ("Opens in", now + timedelta(hours=1))
    assert timing("closed", None, now - timedelta(minutes=1), now + timedelta(minutes=4), now)[0] == "Drawing in"
    assert timing("completed", None, now, now, now)[1] is None


# ----------------------------------------------------------------------------------------------------- the list
async def test_list_shows_drawings_not_drafts(user: SimulatedUser) -> None:
    ada = _member(points=500)
    open_id = _open(name="Daily Step-Up Draw")
    with write_session() as session:
        draft_drawing(session, name="Secret draft")
        weekly = open_drawing(session, admin(session), name="Weekly Sweat")
        weekly.drawing_type = "weekly"
        session.add(weekly)
    await sign_in(user, email_of(ada))
    await user.open("/drawings")
    await user.should_see("Daily Step-Up Draw", retries=300)
    await user.should_see("Weekly Sweat")
    await user.should_not_see("Secret draft")
    assert _text(user, "drawings-count") == "2 drawings"
    with read_session() as session:
        sales_close = session.get(Drawing, open_id).sales_close  # type: ignore[union-attr]
    deadlines = {el.props["deadline"] for el in user.find(kind=countdown).elements}
    assert epoch_ms(sales_close) in deadlines  # ticks in the browser towards sales close
    assert len(user.find(marker="drawing-card").elements) == 2
    assert {next(iter(user.find(marker="drawing-card").elements)).props["href"]} <= \
        {f"/drawings/{open_id}", f"/drawings/{weekly.id}"}
    user.find(marker="type-filter").click()
    user.find("Weekly").click()
    await _eventually(lambda: len(user.find(marker="drawing-card").elements) == 1)
    await user.should_see("Weekly Sweat")
    await user.should_not_see("Daily Step-Up Draw")
    user.find(marker="status-filter").click()
    user.find("Drawn").click()
    await user.should_see("No drawings here", retries=300)


async def test_sweepstakes_in_the_navigation(user: SimulatedUser) -> None:
    ada = _member()
    await sign_in(user, email_of(ada))
    await user.open("/drawings")
    await user.should_see("Sweepstakes")
    assert any(el.props.get("href") == "/drawings" for el in user.find(ui.item).elements)


# ------------------------------------------------------------------------------------------------- a drawing page
async def test_buy_tickets_through_the_dialog(user: SimulatedUser) -> None:
    ada = _member(points=100)
    drawing_id = _open(name="Daily Step-Up Draw", cost=25)
    await sign_in(user, email_of(ada))
    await user.open(f"/drawings/{drawing_id}")
    await user.should_see("Daily Step-Up Draw")
    await user.should_see("Grand prize")
    assert _text(user, "ticket-price") == "25 pts"
    assert _text(user, "my-tickets") == "0"
    user.find(marker="buy-tickets").click()
    await _shows(user, "ticket-cost", "25 pts")
    assert _text(user, "ticket-balance-after") == "75 pts"
    assert _text(user, "ticket-odds-after") == "100%"
    user.find(marker="ticket-plus").click()
    user.find(marker="ticket-plus").click()
    await _shows(user, "ticket-cost", "75 pts")
    assert _text(user, "ticket-balance-after") == "25 pts"
    assert _text(user, "ticket-mine-after") == "3 of 3"
    user.find(marker="ticket-plus").click()
    user.find(marker="ticket-plus").click()  # 5 tickets = 125 points > 100
    await user.should_see("Not enough points: you can buy at most 4 tickets.", retries=100)
    assert not _enabled(user, "ticket-confirm")
    user.find(marker="ticket-minus").click()
    user.find(marker="ticket-minus").click()
    await _eventually(lambda: _enabled(user, "ticket-confirm"))
    user.find(marker="ticket-confirm").click()
    await _eventually(lambda: len(_tickets_of(drawing_id, ada)) == 3)
    await user.should_see("You bought 3 tickets (#1–#3) for 75 points. Good luck!", retries=300)
    assert _balance(ada) == 25
    await _shows(user, "my-tickets", "3")
    assert _text(user, "total-tickets") == "3"
    await _shows(user, "balance", "25")  # the header balance, live


@pytest.mark.parametrize("via", ["api", "uow"])
async def test_a_purchase_outside_the_page_updates_the_open_dashboard_live(user: SimulatedUser, via: str) -> None:
    """Issue 11's headline bug: tickets bought through `POST /api/v1/drawings/{id}/tickets` (or `tickets.purchase`
    in a unit of work, as the API does) update the balance in the header of an already open dashboard, exactly as a
    purchase through the page's dialog does (above) — the committed `BalanceChanged` is pushed by the one
    after-commit dispatcher, whoever committed it."""
    ada = _member(points=100)
    drawing_id = _open(name="Daily Step-Up Draw", cost=25)
    await sign_in(user, email_of(ada))
    await user.open("/")
    await _shows(user, "balance", "100")
    if via == "api":
        login = await user.http_client.post("/api/v1/auth/login", json={"email": email_of(ada), "password": PASSWORD})
        assert login.status_code == 200, login.text
        bought = await user.http_client.post(
            f"/api/v1/drawings/{drawing_id}/tickets", json={"quantity": 2, "idempotency_key": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert bought.status_code == 201, bought.text
        assert bought.json()["balance_after"] == 50
    else:
        from domain.sweepstakes import tickets

        with write_session() as uow:
            tickets.purchase(uow, user_id=ada, drawing_id=drawing_id, quantity=2, idempotency_key="k")
    await _shows(user, "balance", "50")  # no reload: the open page's header follows the purchase
    assert _balance(ada) == 50 and len(_tickets_of(drawing_id, ada)) == 2


async def test_enter_free_once(user: SimulatedUser) -> None:
    ada = _member(points=0)
    drawing_id = _open(name="Daily Step-Up Draw")
    await sign_in(user, email_of(ada))
    await user.open(f"/drawings/{drawing_id}")
    await user.should_see("No purchase necessary", retries=300)
    user.find(marker="enter-free").click()
    await _eventually(lambda: len(_tickets_of(drawing_id, ada)) == 1)
    await user.should_see("Your free entry is in: ticket #1. Good luck!", retries=300)
    await user.should_see(marker="free-entry-claimed", retries=300)
    await user.should_not_see(marker="enter-free")
    assert _tickets_of(drawing_id, ada)[0].is_free_entry


async def test_ineligible_member_sees_why(user: SimulatedUser) -> None:
    floridian = _member(points=500, state_code="FL")
    drawing_id = _open(name="Another Draw")
    await sign_in(user, email_of(floridian))
    await user.open(f"/drawings/{drawing_id}")
    await user.should_see(marker="entry-refusal", retries=300)
    assert not _enabled(user, "buy-tickets") and not _enabled(user, "enter-free")


async def test_unknown_drawing(user: SimulatedUser) -> None:
    ada = _member()
    with write_session() as session:
        draft = draft_drawing(session, name="Secret draft")
    await sign_in(user, email_of(ada))
    for target in (f"/drawings/{uuid.uuid4()}", "/drawings/not-a-uuid", f"/drawings/{draft.id}"):
        await user.open(target)
        await user.should_see("No such drawing")


# ----------------------------------------------------------------------------------------- entries, wins, results
async def test_my_entries_wins_and_results(user: SimulatedUser) -> None:
    ada = _member(points=300, display_name="Ada Lovelace")
    drawing_id = _open(name="Daily Step-Up Draw", cost=10,
                       prizes=((1, "GPS watch", 1, "physical", 350.0),))
    with write_session() as session:
        from domain.sweepstakes import tickets

        tickets.purchase(session, user_id=ada, drawing_id=drawing_id, quantity=2, idempotency_key="k")
        tickets.claim_free_entry(session, user_id=ada, drawing_id=drawing_id)
    await sign_in(user, email_of(ada))
    await user.open("/my/entries")
    await user.should_see("No prizes yet", retries=300)
    await user.should_see("Waiting for the draw", retries=300)
    await user.should_see("3 tickets (1 free)")
    assert len(user.find(marker="entry").elements) == 1
    await user.should_see("Daily Step-Up Draw")

    await user.open(f"/results/{drawing_id}")
    await user.should_see(marker="results-pending")
    await user.should_see("Kept secret until the draw.")

    with write_session() as session:
        drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + timedelta(hours=2))
    await user.open("/my/entries")
    await user.should_see(marker="win", retries=300)
    await user.should_see("GPS watch")
    await _shows(user, "entry-result", "Won!")
    await user.should_see(marker="claim-prize")
    await user.should_see("Action needed")

    await user.open(f"/drawings/{drawing_id}")
    await user.should_see(marker="winners", retries=300)
    await user.should_see("Ada Lovelace (you!)")
    await user.should_not_see(marker="buy-tickets")

    await user.open(f"/results/{drawing_id}")
    with read_session() as session:
        drawing = session.get(Drawing, drawing_id)
        assert drawing is not None
    await _shows(user, "server-seed", drawing.server_seed_hex or "missing")
    await _shows(user, "ticket-list-hash", drawing.ticket_list_hash or "missing")
    await user.should_see(marker="download-tickets")
    assert f"/api/v1/drawings/{drawing_id}/results" in next(iter(user.find(marker="verify-command").elements)) \
        .content  # type: ignore[attr-defined]
    user.find(marker="download-tickets").click()
    await _eventually(lambda: bool(user.download.http_responses))
    assert user.download.http_responses[-1].text.splitlines() == [f"{n}:{ada}" for n in (1, 2, 3)]

    redirect = await user.http_client.get(f"/drawings/{drawing_id}/results", follow_redirects=False)
    assert redirect.status_code in (302, 307) and redirect.headers["location"].endswith(f"/results/{drawing_id}")


async def test_public_results_and_rules_signed_out(user: SimulatedUser) -> None:
    with write_session() as session:
        ada = eligible_member(session, points=50, display_name="Ada Lovelace")
        drawing = open_drawing(session, admin(session), name="Public Draw",
                               prizes=((1, "Smart treadmill", 1, "physical", 1500.0),))
        drawing_id = drawing.id
    with write_session() as session:
        from domain.sweepstakes import tickets

        tickets.claim_free_entry(session, user_id=ada, drawing_id=drawing_id)
        drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + timedelta(hours=2))
    await user.open(f"/results/{drawing_id}")
    await user.should_see(marker="public-sign-in")
    await user.should_see("Public Draw")
    await user.should_see(marker="server-seed")
    await user.should_see("Ada Lovelace")
    await user.should_see("How to verify")
    await user.open(f"/rules/{drawing_id}")
    await user.should_see("NO PURCHASE NECESSARY. A purchase does not improve your chances of winning.")
    await user.should_see("Odds")
    await user.should_see(marker="rules-text")
    await user.should_see("Official rules · version 1")
    await user.open(f"/rules/{uuid.uuid4()}")
    await user.should_see("No such drawing")
    await user.open(f"/results/{uuid.uuid4()}")
    await user.should_see("No such drawing")
