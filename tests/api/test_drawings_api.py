"""The member sweepstakes API (issue 6 §2, §3, §5) on a real database (SQLite file and the local PostgreSQL server):
list (no drafts, filters, my eligibility and tickets, paging), detail (prizes with sponsors, odds, rules link,
countdown), purchases (201, idempotent replay 200, insufficient points 400 with nothing changed, sales closed 409,
not eligible 403, key reuse 409), the free entry (201, second 409), my entries and wins, and the public results JSON
(no sign-in; the fields published grow with the status; it verifies with `app.cli.verify_draw`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.cli import verify_draw
from app.system import System
from app.web.problems import domain_status
from domain.models import Drawing, Prize, Sponsor, Ticket, User
from domain.shared.errors import Forbidden
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, tickets
from tests.support.api import bearer
from tests.support.api import problem as _problem
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, draft_drawing, eligible_member, open_drawing


def _balance(user_id: uuid.UUID) -> int:
    with read_session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.point_balance


def _count_tickets(drawing_id: uuid.UUID) -> int:
    with read_session() as session:
        return len(session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id)).all())


@pytest.fixture
def world(db_system: System) -> dict[str, uuid.UUID]:
    """An admin, a funded member, an open daily drawing (cost 10, two prizes, one sponsored), a draft and a
    scheduled weekly drawing."""
    with write_session(db_system) as session:
        admin_id = admin(session)
        ada = eligible_member(session, points=1_000, display_name="Ada Lovelace")
        sponsor = Sponsor(name="Stride Athletic Co.", website_url="https://stride.example")
        session.add(sponsor)
        session.flush()
        opened = open_drawing(session, admin_id, name="Daily Step-Up Draw",
                              prizes=((1, "GPS watch", 1, "physical", 350.0), (2, "Gift card", 2, "digital", 25.0)))
        watch = session.exec(select(Prize).where(Prize.drawing_id == opened.id,
                                                                         Prize.prize_rank == 1)).one()
        watch.sponsor_id = sponsor.id
        session.add(watch)
        draft = draft_drawing(session, name="Secret draft")
        scheduled = draft_drawing(session, name="Weekly Sweat", open_in=timedelta(hours=2),
                                  sales_in=timedelta(days=2))
        scheduled.drawing_type = "weekly"
        session.add(scheduled)
        drawings.publish(session, scheduled.id, admin_id=admin_id)
    return {"admin": admin_id, "ada": ada, "open": opened.id, "draft": draft.id, "scheduled": scheduled.id}


def test_list_hides_drafts_and_shows_my_eligibility(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    assert _problem(client.get("/api/v1/drawings"), 401)["status"] == 401
    headers = bearer(world["ada"])
    body = client.get("/api/v1/drawings", headers=headers).json()
    ids = [item["id"] for item in body["items"]]
    assert str(world["draft"]) not in ids
    assert ids == [str(world["open"]), str(world["scheduled"])]  # active ones, soonest draw first
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2, "pages": 1}
    item = body["items"][0]
    assert item["name"] == "Daily Step-Up Draw" and item["type"] == "daily" and item["status"] == "open"
    assert item["ticket_cost_points"] == 10 and item["total_tickets"] == 0
    assert item["eligible"] is True and item["ineligible_reason"] is None and item["sales_open"] is True
    assert item["my_tickets"] == 0 and item["my_free_entry"] is False
    assert item["prize_count"] == 3 and item["total_prize_value_usd"] == 400.0 and item["top_prize"] == "GPS watch"
    assert item["sales_close"].endswith(("Z", "+00:00"))
    later = body["items"][1]
    assert later["eligible"] is False and later["ineligible_reason"]  # scheduled: sales not open yet

    assert [i["id"] for i in client.get("/api/v1/drawings?status=scheduled", headers=headers).json()["items"]] \
        == [str(world["scheduled"])]
    assert [i["id"] for i in client.get("/api/v1/drawings?type=weekly", headers=headers).json()["items"]] \
        == [str(world["scheduled"])]
    assert client.get("/api/v1/drawings?status=draft", headers=headers).status_code == 422
    _problem(client.get("/api/v1/drawings?type=hourly", headers=headers), 422)
    paged = client.get("/api/v1/drawings?limit=1&page=2", headers=headers).json()
    assert [i["id"] for i in paged["items"]] == [str(world["scheduled"])] and paged["pagination"]["pages"] == 2


def test_detail_prizes_odds_rules_countdown(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    headers = bearer(world["ada"])
    body = client.get(f"/api/v1/drawings/{world['open']}", headers=headers).json()
    assert [(p["prize_rank"], p["name"], p["quantity"]) for p in body["prizes"]] == [(1, "GPS watch", 1),
                                                                                      (2, "Gift card", 2)]
    assert body["prizes"][0]["sponsor"] == {"name": "Stride Athletic Co.", "website_url": "https://stride.example",
                                            "logo_url": None}
    assert body["prizes"][1]["sponsor"] is None
    assert body["odds"] == {"my_tickets": 0, "total_tickets": 0, "my_free_entry": False, "chance": 0.0}
    assert body["balance"] == 1_000
    assert body["rules_url"] == f"/rules/{world['open']}" and body["rules_version"] == 1
    assert body["results_url"] == f"/api/v1/drawings/{world['open']}/results"
    assert 3500 < body["countdown"]["seconds_to_sales_close"] <= 3600
    assert body["countdown"]["seconds_to_drawing"] == body["countdown"]["seconds_to_sales_close"] + 300
    assert len(body["seed_commitment"]) == 64 and body["ticket_list_hash"] is None

    _problem(client.get(f"/api/v1/drawings/{world['draft']}", headers=headers), 404)
    _problem(client.get(f"/api/v1/drawings/{uuid.uuid4()}", headers=headers), 404)
    scheduled = client.get(f"/api/v1/drawings/{world['scheduled']}", headers=headers).json()
    assert scheduled["seed_commitment"] is None


def test_purchase_replay_and_refusals(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    ada, drawing_id = world["ada"], world["open"]
    headers = bearer(ada)
    url = f"/api/v1/drawings/{drawing_id}/tickets"
    first = client.post(url, json={"quantity": 3, "idempotency_key": "buy-1"}, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["ticket_numbers"] == [1, 2, 3] and body["points_spent"] == 30 and body["balance_after"] == 970
    assert body["replayed"] is False and body["quantity"] == 3
    again = client.post(url, json={"quantity": 3, "idempotency_key": "buy-1"}, headers=headers)
    assert again.status_code == 200 and again.json()["ticket_numbers"] == [1, 2, 3] and again.json()["replayed"]
    assert _balance(ada) == 970 and _count_tickets(drawing_id) == 3
    assert _problem(client.post(url, json={"quantity": 2, "idempotency_key": "buy-1"}, headers=headers),
                    409)["code"] == "idempotency-conflict"

    problem = _problem(client.post(url, json={"quantity": 100, "idempotency_key": "too-many"}, headers=headers),
                       400)
    assert problem["code"] == "insufficient-points"
    assert _balance(ada) == 970 and _count_tickets(drawing_id) == 3  # nothing changed
    assert _problem(client.post(url, json={"quantity": 0, "idempotency_key": "zero"}, headers=headers),
                    400)["code"] == "invalid-input"
    _problem(client.post(url, json={"quantity": 1}, headers=headers), 422)
    _problem(client.post(url, json={"quantity": 1, "idempotency_key": "x"}), 401)
    _problem(client.post(f"/api/v1/drawings/{uuid.uuid4()}/tickets", json={"quantity": 1, "idempotency_key": "n"},
                         headers=headers), 404)
    closed = _problem(client.post(f"/api/v1/drawings/{world['scheduled']}/tickets",
                                  json={"quantity": 1, "idempotency_key": "early"}, headers=headers), 409)
    assert closed["code"] == "conflict"

    with write_session() as session:
        floridian = eligible_member(session, points=500, state_code="FL")
    refused = _problem(client.post(url, json={"quantity": 1, "idempotency_key": "fl"}, headers=bearer(floridian)),
                       403)
    assert refused["code"] == "forbidden" and refused["detail"]
    assert _balance(floridian) == 500

    detail = client.get(f"/api/v1/drawings/{drawing_id}", headers=headers).json()
    assert detail["odds"] == {"my_tickets": 3, "total_tickets": 3, "my_free_entry": False, "chance": 1.0}
    listed = client.get("/api/v1/drawings?status=open", headers=headers).json()["items"][0]
    assert listed["my_tickets"] == 3 and listed["total_tickets"] == 3


def test_free_entry_once(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    with write_session() as session:
        broke = eligible_member(session, points=0)
    headers = bearer(broke)
    url = f"/api/v1/drawings/{world['open']}/free-entry"
    first = client.post(url, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["ticket_number"] == 1 and first.json()["is_free_entry"] is True
    second = _problem(client.post(url, headers=headers), 409)
    assert "already" in second["detail"]
    _problem(client.post(f"/api/v1/drawings/{world['scheduled']}/free-entry", headers=headers), 409)
    detail = client.get(f"/api/v1/drawings/{world['open']}", headers=headers).json()
    assert detail["odds"]["my_free_entry"] is True and detail["odds"]["my_tickets"] == 1
    assert _problem(client.post(url), 401)


def test_results_entries_wins_and_verification(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    drawing_id = world["open"]
    members = [world["ada"]]
    with write_session() as session:
        members += [eligible_member(session, points=200, display_name=f"Runner {k}") for k in range(4)]
    for k, member_id in enumerate(members):
        client.post(f"/api/v1/drawings/{drawing_id}/tickets", json={"quantity": k + 1, "idempotency_key": "p"},
                    headers=bearer(member_id))
    client.post(f"/api/v1/drawings/{drawing_id}/free-entry", headers=bearer(members[0]))

    url = f"/api/v1/drawings/{drawing_id}/results"
    open_results = client.get(url).json()  # public: no token
    assert len(open_results["seed_commitment"]) == 64
    assert open_results["ticket_list_hash"] is None and open_results["tickets"] == []
    assert open_results["server_seed"] is None and open_results["winners"] == []
    assert "HMAC-SHA256" in open_results["recipe"]
    assert verify_draw.verify(open_results).ok is False  # nothing to verify yet

    with write_session() as session:
        outcome = drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + timedelta(hours=2))
    assert len(outcome.winners) == 3

    results = client.get(url).json()
    assert results["status"] == "completed" and len(results["tickets"]) == 1 + 2 + 3 + 4 + 5 + 1
    assert all(":" in line for line in results["tickets"])
    assert [w["prize_rank"] for w in results["winners"]] == [1, 2, 2]
    assert len({w["user_id"] for w in results["winners"]}) == 3  # one prize per member
    assert {"ticket_number", "user_id", "prize_rank", "display_name"} <= set(results["winners"][0])
    report = verify_draw.verify(results)
    assert report.ok, report.lines
    tampered = dict(results, tickets=list(reversed(results["tickets"])))
    assert not verify_draw.verify(tampered).ok

    winner_ids = {uuid.UUID(w["user_id"]) for w in results["winners"]}
    for member_id in members:
        entries = client.get("/api/v1/drawings/my-entries", headers=bearer(member_id)).json()
        assert entries["pagination"]["total"] == 1
        entry = entries["items"][0]
        assert entry["drawing_id"] == str(drawing_id) and entry["status"] == "completed"
        assert entry["won"] == (member_id in winner_ids)
        wins = client.get("/api/v1/drawings/my-wins", headers=bearer(member_id)).json()
        assert len(wins) == (1 if member_id in winner_ids else 0)
        for win in wins:
            assert win["fulfillment_status"] == "winner_notified"
            assert win["claim_url"] == f"/prizes/{win['fulfillment_id']}"
    ada_entry = client.get("/api/v1/drawings/my-entries", headers=bearer(members[0])).json()["items"][0]
    assert ada_entry["my_tickets"] == 2 and ada_entry["free_entry"] is True and ada_entry["points_spent"] == 10
    _problem(client.get("/api/v1/drawings/my-entries"), 401)
    _problem(client.get(f"/api/v1/drawings/{world['draft']}/results"), 404)
    with read_session() as session:
        assert session.get(Drawing, drawing_id).status == "completed"  # type: ignore[union-attr]
        assert tickets.odds(session, drawing_id, members[0]).my_tickets == 2


def test_suspended_member_is_refused_and_nothing_changes(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    ada = world["ada"]
    headers = bearer(ada)
    with write_session() as session:
        user = session.get(User, ada)
        assert user is not None
        user.status = "suspended"
        session.add(user)
    url = f"/api/v1/drawings/{world['open']}"
    _problem(client.post(url + "/tickets", json={"quantity": 1, "idempotency_key": "s"}, headers=headers), 401)
    _problem(client.post(url + "/free-entry", headers=headers), 401)
    assert _balance(ada) == 1_000 and _count_tickets(world["open"]) == 0
    # the domain refusal behind it (pages and tasks call the service directly): Forbidden, a 403 problem
    with pytest.raises(Forbidden, match="suspended"), write_session() as session:
        tickets.purchase(session, user_id=ada, drawing_id=world["open"], quantity=1, idempotency_key="s2")
    assert domain_status(Forbidden("x")) == 403

