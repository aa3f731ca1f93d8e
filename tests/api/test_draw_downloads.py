"""The public results of a large drawing over HTTP (issue 12 §5; SQLite file and the local PostgreSQL server): the
results JSON pages the ticket list (`page`/`limit`, bounded: a huge page is a 422 problem, never a 500), the frozen
list is a file download whose SHA-256 is the published hash (`ETag`, `Repr-Digest`, 304 on `If-None-Match`, byte
ranges, re-streamed from the database when this machine has no copy), and `python -m app.cli.verify_draw` verifies
one page of results together with that file."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.adapters.ticket_lists import TicketListFiles
from app.cli import verify_draw
from app.system import System
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, tickets
from tasks.drawings import run_step
from tests.support.api import problem
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, draft_drawing, eligible_member, open_drawing


@pytest.fixture
def drawn(db_system: System) -> dict[str, Any]:
    """A drawing with 5 members holding 1..5 tickets (15 tickets), closed by the scheduler's step (which writes the
    list's file) and executed; also a draft and an open drawing."""
    with write_session(db_system) as session:
        admin_id = admin(session)
        drawing = open_drawing(session, admin_id, cost=1, prizes=((1, "Watch", 1, "physical", 300.0),
                                                                  (2, "Card", 2, "digital", 20.0)))
        for k in range(5):
            member = eligible_member(session, points=100, display_name=f"Runner {k}")
            tickets.purchase(session, user_id=member, drawing_id=drawing.id, quantity=k + 1, idempotency_key="b")
        still_open = open_drawing(session, admin_id)
        draft = draft_drawing(session)
        ids: dict[str, Any] = {"id": drawing.id, "open": still_open.id, "draft": draft.id}
    run_step(db_system, "close", ids["id"])
    run_step(db_system, "execute", ids["id"], clock=lambda: utcnow() + timedelta(hours=2))
    with read_session(db_system) as session:
        ids["hash"] = drawings.get_drawing(session, ids["id"]).ticket_list_hash
    return ids


def test_results_are_paginated_and_bounded(client: TestClient, drawn: dict[str, Any]) -> None:
    url = f"/api/v1/drawings/{drawn['id']}/results"
    whole = client.get(url).json()
    assert whole["total_tickets"] == 15 and len(whole["tickets"]) == 15  # default page: 100 lines
    assert whole["ticket_list_url"] == f"/api/v1/drawings/{drawn['id']}/ticket-list"
    pages = [client.get(url, params={"page": p, "limit": 4}).json() for p in (1, 2, 3, 4, 5)]
    assert [len(p["tickets"]) for p in pages] == [4, 4, 4, 3, 0]
    assert sum((p["tickets"] for p in pages), []) == whole["tickets"]
    assert pages[0]["tickets_pagination"] == {"page": 1, "limit": 4, "total": 15, "pages": 4}
    assert pages[0]["winners"] == whole["winners"]  # winners are on every page
    for params in ({"page": 10**30}, {"page": 0}, {"page": drawings.TICKETS_MAX_PAGE + 1}, {"limit": 0},
                   {"limit": drawings.TICKETS_MAX_LIMIT + 1}, {"page": "x"}):
        body = problem(client.get(url, params=params), 422)
        assert body["status"] == 422
    last = client.get(url, params={"page": drawings.TICKETS_MAX_PAGE, "limit": drawings.TICKETS_MAX_LIMIT})
    assert last.status_code == 200 and last.json()["tickets"] == []
    problem(client.get(f"/api/v1/drawings/{drawn['draft']}/results"), 404)
    assert client.get(f"/api/v1/drawings/{drawn['open']}/results").json()["ticket_list_url"] is None


def test_the_ticket_list_download_has_the_published_digest(client: TestClient, drawn: dict[str, Any],
                                                           db_system: System) -> None:
    url = f"/api/v1/drawings/{drawn['id']}/ticket-list"
    response = client.get(url)  # public: no token
    assert response.status_code == 200
    body = response.content
    assert hashlib.sha256(body).hexdigest() == drawn["hash"]
    assert response.headers["etag"] == f'"{drawn["hash"]}"'
    assert response.headers["repr-digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(drawn['hash'])).decode()}:"
    assert response.headers["content-type"].startswith("text/plain")
    assert f'filename="tickets-{drawn["id"]}.txt"' in response.headers["content-disposition"]
    lines = body.decode().split("\n")
    assert len(lines) == 15 and lines == client.get(f"/api/v1/drawings/{drawn['id']}/results").json()["tickets"]
    assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    ranged = client.get(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == body[:10]
    assert client.head(url).status_code == 200

    files = TicketListFiles.under(db_system.settings.media_dir)
    files.path(drawn["id"], drawn["hash"]).unlink()  # another instance closed the drawing: re-streamed here
    again = client.get(url)
    assert again.status_code == 200 and again.content == body
    assert files.path(drawn["id"], drawn["hash"]).exists()

    problem(client.get(f"/api/v1/drawings/{drawn['open']}/ticket-list"), 404)  # sales still open
    problem(client.get(f"/api/v1/drawings/{drawn['draft']}/ticket-list"), 404)
    problem(client.get(f"/api/v1/drawings/{uuid.uuid4()}/ticket-list"), 404)


def _verify(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return verify_draw.main(args, out=out), out.getvalue()


def test_verify_draw_reads_one_page_and_the_file(client: TestClient, drawn: dict[str, Any], tmp_path: Path) -> None:
    page = client.get(f"/api/v1/drawings/{drawn['id']}/results", params={"page": 2, "limit": 4}).json()
    listing = client.get(f"/api/v1/drawings/{drawn['id']}/ticket-list").content
    results_path, list_path = tmp_path / "results.json", tmp_path / "tickets.txt"
    results_path.write_text(json.dumps(page), encoding="utf-8")
    list_path.write_bytes(listing)

    code, output = _verify([str(results_path)])  # one page, no file: cannot be verified
    assert code == 1 and "CANNOT VERIFY" in output and "--tickets" in output
    code, output = _verify([str(results_path), "--tickets", str(list_path)])
    assert code == 0, output
    assert "[ok] the document's page of tickets agrees with the ticket-list file" in output
    assert "[ok] SHA-256(ticket list) = ticket_list_hash" in output and "RESULT: MATCH" in output

    lines = listing.decode().split("\n")
    swapped = "\n".join([lines[1], lines[0], *lines[2:]]).encode()
    list_path.write_bytes(swapped)
    code, output = _verify([str(results_path), "--tickets", str(list_path)])
    assert code == 1 and "MISMATCH" in output
    list_path.write_bytes(listing + b"\n")  # a trailing newline is a different list
    assert _verify([str(results_path), "--tickets", str(list_path)])[0] == 1
    assert verify_draw.verify(page, listing).ok
