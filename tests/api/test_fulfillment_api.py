"""The prize API (issue 6 §6) and the admin fulfillment API (issue 7 §3, §9) on SQLite and PostgreSQL: the winner
confirms an address and reveals a code, admins list/filter the queue and ship, deliver, mark an address invalid and
forfeit (with an alternate drawn); refusals are RFC 7807 problems, members get 403 on the admin API, another
member's prize is a 404, and every admin action leaves an audit entry with the caller's IP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from app.system import System
from domain.models import AuditLog, OutboxMessage
from domain.shared.types import utcnow
from tests.support import api
from tests.support.api import PROBLEM
from tests.support.db import read_session
from tests.support.fulfillment import ADDRESS, add_user, fulfillment_row, run_drawing
from tests.support.jobs import ensure_tasks


def bearer(user_id: uuid.UUID, role: str = "user") -> dict[str, str]:
    return api.bearer(user_id, role)


def audit_actions(target: uuid.UUID) -> list[tuple[str, uuid.UUID | None, str | None]]:
    with read_session() as session:
        rows = session.exec(select(AuditLog).where(AuditLog.target_id == str(target))).all()
        return sorted((row.action, row.actor_id, row.ip_address) for row in rows)


def test_winner_confirms_address_and_admin_ships_and_delivers(client: TestClient, db_system: System) -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(at=utcnow() - timedelta(hours=1))
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id

    mine = client.get("/api/v1/fulfillments/mine", headers=bearer(winner))
    assert mine.status_code == 200, mine.text
    [prize] = mine.json()
    assert prize["id"] == str(fid) and prize["status"] == "winner_notified" and prize["awaiting_address"]
    assert prize["prize_name"] == "Fitness watch" and prize["drawing_name"] == "Spring Weekly"
    assert prize["deadline_at"] is not None and prize["digital_code"] is None

    bad = client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json={**ADDRESS, "state": "FL"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(PROBLEM)
    assert bad.json()["field"] == "state"
    early = client.post(f"/api/v1/admin/fulfillments/{fid}/ship", headers=bearer(admin, "admin"),
                        json={"carrier": "UPS", "tracking_number": "1Z"})
    assert early.status_code == 409 and early.headers["content-type"].startswith(PROBLEM)

    confirmed = client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json=ADDRESS)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "address_confirmed"
    assert confirmed.json()["shipping_address"]["state"] == "TX"

    shipped = client.post(f"/api/v1/admin/fulfillments/{fid}/ship", headers=bearer(admin, "admin"),
                          json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "shipped" and shipped.json()["carrier"] == "UPS"
    assert client.get(f"/api/v1/fulfillments/{fid}", headers=bearer(winner)).json()["tracking_number"] \
        == "1Z999AA10123456784"
    with read_session() as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.template == "prize_shipped")).one()
    # links in emails point at the configured site (PUBLIC_BASE_URL, else http://APP_HOST:APP_PORT), not the caller
    settings = db_system.settings
    link = f"{settings.public_base_url or f'http://{settings.app_host}:{settings.app_port}'}/prizes/{fid}"
    assert "1Z999AA10123456784" in mail.text_body and link in mail.text_body and "testserver" not in mail.text_body

    delivered = client.post(f"/api/v1/admin/fulfillments/{fid}/deliver", headers=bearer(admin, "admin"))
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    again = client.post(f"/api/v1/admin/fulfillments/{fid}/deliver", headers=bearer(admin, "admin"))
    assert again.status_code == 409

    actions = audit_actions(fid)
    assert ("fulfillment.shipped", admin, "testclient") in actions
    assert ("fulfillment.delivered", admin, "testclient") in actions
    assert ("fulfillment.address_confirmed", winner, None) in actions


def test_email_links_use_the_public_base_url(client: TestClient, db_system: System,
                                            system_factory: Callable[..., System]) -> None:
    """With `PUBLIC_BASE_URL` set, the shipping email links to the public site (whatever host the API was called
    on)."""
    public = system_factory(public_base_url="https://fittrack.example/", database_url=db_system.settings.database_url)
    ensure_tasks(public)
    client.app.state.system = public  # type: ignore[attr-defined]
    admin = add_user(public, role="admin", name="Admin")
    fid = run_drawing(public, at=utcnow() - timedelta(hours=1)).fulfillments[0]
    winner = fulfillment_row(public, fid).user_id
    assert client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json=ADDRESS).status_code == 200
    shipped = client.post(f"/api/v1/admin/fulfillments/{fid}/ship", headers=bearer(admin, "admin"),
                          json={"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert shipped.status_code == 200, shipped.text
    with read_session(public) as session:
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.template == "prize_shipped")).one()
    assert f"https://fittrack.example/prizes/{fid}" in mail.text_body


def test_digital_code_through_the_api_only_for_the_winner(client: TestClient) -> None:
    drawn = run_drawing(prizes=[("E-book code", 15.0, "digital", 1)], at=utcnow())
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    stranger = add_user(name="Stranger")
    assert client.get(f"/api/v1/fulfillments/{fid}", headers=bearer(stranger)).status_code == 404
    assert client.post(f"/api/v1/fulfillments/{fid}/reveal", headers=bearer(stranger)).status_code == 404
    assert client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json=ADDRESS).status_code == 409
    revealed = client.post(f"/api/v1/fulfillments/{fid}/reveal", headers=bearer(winner))
    assert revealed.status_code == 200 and revealed.json()["status"] == "delivered"
    assert revealed.json()["digital_code"] == fulfillment_row(None, fid).digital_code
    admin = add_user(role="admin", name="Admin")
    listed = client.get("/api/v1/admin/fulfillments", headers=bearer(admin, "admin")).json()
    assert "digital_code" not in listed["items"][0]
    assert client.get("/api/v1/fulfillments/mine").status_code == 401


def test_admin_queue_filters_and_pages(client: TestClient) -> None:
    admin = add_user(role="admin", name="Admin")
    run_drawing(prizes=[("TV", 700.0, "physical", 1), ("Mat", 20.0, "physical", 1), ("Code", 5.0, "digital", 1)],
                at=utcnow() - timedelta(days=12))
    headers = bearer(admin, "admin")
    everything = client.get("/api/v1/admin/fulfillments?limit=2", headers=headers).json()
    assert everything["pagination"] == {"page": 1, "limit": 2, "total": 3, "pages": 2}
    taxed = client.get("/api/v1/admin/fulfillments?tax_form=true", headers=headers).json()["items"]
    assert [row["prize_name"] for row in taxed] == ["TV"] and taxed[0]["tax_form_needed"] is True
    soon = (utcnow() + timedelta(days=3)).isoformat().replace("+00:00", "Z")
    due = client.get("/api/v1/admin/fulfillments", headers=headers, params={"due_before": soon}).json()["items"]
    assert sorted(row["prize_name"] for row in due) == ["Mat", "TV"]  # two days left; the code has no deadline
    waiting = client.get("/api/v1/admin/fulfillments?status=winner_notified", headers=headers).json()
    assert waiting["pagination"]["total"] == 3
    assert client.get("/api/v1/admin/fulfillments?status=open", headers=headers).json()["pagination"]["total"] == 3
    bad = client.get("/api/v1/admin/fulfillments?status=lost", headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert client.get(f"/api/v1/admin/fulfillments/{uuid.uuid4()}", headers=headers).status_code == 404


def test_address_invalid_and_forfeit_with_alternate(client: TestClient) -> None:
    admin = add_user(role="admin", name="Admin")
    drawn = run_drawing(tickets_per_member=[1, 1, 1], at=utcnow())
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    headers = bearer(admin, "admin")
    client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json=ADDRESS)
    missing = client.post(f"/api/v1/admin/fulfillments/{fid}/address-invalid", headers=headers, json={"reason": " "})
    assert missing.status_code == 400 and missing.json()["field"] == "reason"
    invalid = client.post(f"/api/v1/admin/fulfillments/{fid}/address-invalid", headers=headers,
                          json={"reason": "Returned to sender"})
    assert invalid.status_code == 200 and invalid.json()["status"] == "address_invalid"
    assert invalid.json()["notes"] == "Returned to sender"
    no_reason = client.post(f"/api/v1/admin/fulfillments/{fid}/forfeit", headers=headers, json={})
    assert no_reason.status_code == 400
    forfeited = client.post(f"/api/v1/admin/fulfillments/{fid}/forfeit", headers=headers,
                            json={"reason": "Winner asked to decline"})
    assert forfeited.status_code == 200, forfeited.text
    body = forfeited.json()
    assert body["fulfillment"]["status"] == "forfeited"
    assert body["alternate"]["status"] == "winner_notified" and body["alternate"]["user_id"] != str(winner)
    assert body["alternate"]["prize_id"] == body["fulfillment"]["prize_id"]
    actions = [action for action, _, _ in audit_actions(fid)]
    assert actions.count("fulfillment.address_invalid") == 1 and actions.count("fulfillment.forfeited") == 1


ADMIN_CALLS = [
    ("GET", "/api/v1/admin/fulfillments", None), ("GET", "/api/v1/admin/fulfillments/{id}", None),
    ("POST", "/api/v1/admin/fulfillments/{id}/ship", {"carrier": "UPS", "tracking_number": "1Z"}),
    ("POST", "/api/v1/admin/fulfillments/{id}/deliver", None),
    ("POST", "/api/v1/admin/fulfillments/{id}/address-invalid", {"reason": "x"}),
    ("POST", "/api/v1/admin/fulfillments/{id}/forfeit", {"reason": "x"}),
]


def test_members_get_403_and_nothing_changes(client: TestClient) -> None:
    drawn = run_drawing(at=utcnow())
    fid = drawn.fulfillments[0]
    winner = fulfillment_row(None, fid).user_id
    client.post(f"/api/v1/fulfillments/{fid}/address", headers=bearer(winner), json=ADDRESS)
    for method, path, body in ADMIN_CALLS:
        response = client.request(method, path.format(id=fid), headers=bearer(winner, "admin"), json=body)
        assert response.status_code == 403 and response.headers["content-type"].startswith(PROBLEM), path
        assert client.request(method, path.format(id=fid), json=body).status_code == 401, path
    assert fulfillment_row(None, fid).status == "address_confirmed"
    assert [action for action, _, _ in audit_actions(fid)] == ["fulfillment.address_confirmed",
                                                               "fulfillment.created"]
