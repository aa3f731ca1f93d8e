"""CSV exports (issue 7 §10): users, ledger, tickets, winners (state filing format) and audit are read in keyset
chunks (never a whole table in memory), streamed as `text/csv` by the API and by the admin pages, escaped against
spreadsheet formulas, filtered, and audited — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from nicegui.testing import User as SimUser
from sqlmodel import Session, select

from app.system import System
from app.web.downloads import safe_cell
from domain.admin import exports
from domain.audit import AuditFilter
from domain.models import AuditLog, Drawing, Prize, PrizeFulfillment, Profile, Sponsor, Ticket, User
from domain.points import ledger
from domain.shared.enums import TransactionType
from domain.shared.errors import InvalidInput
from tests.support import api
from tests.support.accounts import create_account
from tests.support.db import read_session, write_session
from tests.support.members import email_of, member, sign_in

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def bearer(user_id: uuid.UUID, role: str = "admin") -> dict[str, str]:
    return api.bearer(user_id, role)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def account(session: Session, email: str, display_name: str) -> uuid.UUID:
    user = User(email=email, password_hash="x", status="active")
    session.add(user)
    session.flush()
    session.add(Profile(user_id=user.id, display_name=display_name, date_of_birth=date(1990, 1, 1), state_code="TX",
                        tier_code="F-30-39-INT"))
    return user.id


def winners_fixture(system: System | None = None) -> dict[str, uuid.UUID]:
    """A completed drawing with two prizes; Ann confirmed an address, Bob has not, Cy forfeited."""
    with write_session(system) as session:
        ann, bob, cy = (account(session, email, name) for email, name in (
            ("ann@example.com", "Ann A"), ("bob@example.com", '=HYPERLINK("x")'), ("cy@example.com", "Cy")))
        sponsor = Sponsor(name="Acme Fitness")
        session.add(sponsor)
        session.flush()
        drawing = Drawing(drawing_type="monthly", name="March Mega Draw", ticket_cost_points=50, status="completed",
                          drawing_time=T0, sales_close=T0 - timedelta(minutes=5), total_tickets=3)
        session.add(drawing)
        session.flush()
        bike = Prize(drawing_id=drawing.id, sponsor_id=sponsor.id, prize_rank=1, name="Road bike", value_usd=899.0)
        card = Prize(drawing_id=drawing.id, prize_rank=2, name="Gift card", value_usd=50.0, quantity=2,
                     fulfillment_type="digital")
        session.add_all([bike, card])
        session.flush()
        tickets = []
        for number, owner in enumerate((ann, bob, cy), start=1):
            ticket = Ticket(drawing_id=drawing.id, user_id=owner, ticket_number=number, is_winner=True,
                            prize_id=bike.id if owner == ann else card.id, created_at=T0 - timedelta(hours=number))
            session.add(ticket)
            tickets.append(ticket)
        session.flush()
        address = {"full_name": "Ann Archer", "line1": "1 Main St", "line2": "Apt 2", "city": "Austin",
                   "state": "TX", "postal_code": "78701", "country": "US"}
        session.add(PrizeFulfillment(ticket_id=tickets[0].id, prize_id=bike.id, user_id=ann,
                                     status="address_confirmed", shipping_address=address, tax_form_needed=True,
                                     created_at=T0 + timedelta(minutes=1)))
        session.add(PrizeFulfillment(ticket_id=tickets[1].id, prize_id=card.id, user_id=bob,
                                     status="winner_notified", created_at=T0 + timedelta(minutes=2)))
        session.add(PrizeFulfillment(ticket_id=tickets[2].id, prize_id=card.id, user_id=cy, status="forfeited",
                                     created_at=T0 + timedelta(minutes=3)))
        return {"drawing": drawing.id, "ann": ann, "bob": bob, "cy": cy}


def test_keyset_chunks_cover_every_row_once_in_order(db_system: System) -> None:
    with write_session(db_system) as session:
        user = User(email="many@example.com", password_hash="x", status="active")
        session.add(user)
        session.flush()
        for i in range(7):  # identical timestamps: the id breaks ties
            ledger.post(session, user_id=user.id, transaction_type=TransactionType.adjust, amount=10 + i,
                        idempotency_key=f"k{i}", clock=lambda: T0)
    with read_session(db_system) as session:
        chunks = list(exports.ledger_rows(session, chunk_rows=3))
    assert [len(chunk) for chunk in chunks] == [3, 3, 1]
    rows = [row for chunk in chunks for row in chunk]
    assert len({row[0] for row in rows}) == 7  # every entry once
    assert [row[4] for row in rows] == list(range(1, 8))  # keyset order (user_id, entry_seq)
    assert [row[6] for row in rows] == list(range(10, 17))
    assert all(row[5] == "adjust" and row[1] == T0.isoformat() for row in rows)


def test_winners_export_is_the_state_filing_format(db_system: System) -> None:
    ids = winners_fixture(db_system)
    header = exports.HEADERS["winners"]
    with read_session(db_system) as session:
        rows = [dict(zip(header, row, strict=True)) for chunk in exports.winner_rows(session) for row in chunk]
        everyone = [row for chunk in exports.winner_rows(session, include_forfeited=True) for row in chunk]
        other = [row for chunk in exports.winner_rows(session, drawing_id=uuid.uuid4()) for row in chunk]
    assert header[:9] == ("winner_name", "address_line1", "address_line2", "city", "state", "postal_code",
                          "country", "prize", "prize_value_usd")
    assert [(r["winner_name"], r["address_line1"], r["city"], r["state"], r["postal_code"], r["prize"],
             r["prize_value_usd"]) for r in rows] == [
        ("Ann Archer", "1 Main St", "Austin", "TX", "78701", "Road bike", 899.0),
        ('=HYPERLINK("x")', "", "", "", "", "Gift card", 50.0),  # no address yet: display name
    ]
    assert rows[0]["tax_form_needed"] == "true" and rows[0]["drawing_date"] == "2026-03-01"
    assert rows[0]["drawing_name"] == "March Mega Draw" and rows[0]["ticket_number"] == 1
    assert len(everyone) == 3 and other == []
    assert ids["cy"] not in {r["email"] for r in rows}


def test_unknown_kind_and_filters_are_refused() -> None:
    with read_session() as session:
        with pytest.raises(InvalidInput):
            exports.rows(session, "passwords", {})
        with pytest.raises(InvalidInput):
            exports.rows(session, "users", {"drawing_id": uuid.uuid4()})
        with pytest.raises(InvalidInput):
            exports.rows(session, "audit", {"audit_filter": AuditFilter(since=T0, until=T0)})


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+1", "'+1"), ("-cmd", "'-cmd"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("Ann", "Ann"), (-50, -50), (3.5, 3.5), ("", ""),
])
def test_formula_cells_are_escaped(value: exports.Cell, expected: exports.Cell) -> None:
    assert safe_cell(value) == expected


def test_api_streams_every_export_as_csv_and_audits_it(client: TestClient) -> None:
    admin = create_account("boss@example.com", role="admin", display_name="Boss")
    ids = winners_fixture()
    with write_session() as session:
        ledger.post(session, user_id=ids["ann"], transaction_type=TransactionType.adjust, amount=75,
                    idempotency_key="welcome-ann", description="Welcome bonus", clock=lambda: T0)
        session.add(AuditLog(actor_id=admin, action="user.suspend", target_type="user", target_id=str(ids["bob"]),
                             before_state={"status": "active"}, after_state={"status": "suspended"},
                             ip_address="198.51.100.1", created_at=T0))
    headers = bearer(admin)
    bodies = {}
    for kind in exports.KINDS:
        response = client.get(f"/api/v1/admin/export/{kind}.csv", headers=headers)
        assert response.status_code == 200, (kind, response.text)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith(f'attachment; filename="fittrack-{kind}-')
        bodies[kind] = parse(response.text)
        assert list(bodies[kind][0]) == list(exports.HEADERS[kind]) if bodies[kind] else True

    assert {r["email"] for r in bodies["users"]} == {"boss@example.com", "ann@example.com", "bob@example.com",
                                                     "cy@example.com"}
    bob = next(r for r in bodies["users"] if r["email"] == "bob@example.com")
    assert bob["display_name"] == "'=HYPERLINK(\"x\")"  # neutralised for spreadsheets
    assert [(r["email"], r["amount"], r["type"]) for r in bodies["ledger"]] == [("ann@example.com", "75", "adjust")]
    assert [r["ticket_number"] for r in bodies["tickets"]] == ["1", "2", "3"]
    assert [r["winner_name"] for r in bodies["winners"]] == ["Ann Archer", "'=HYPERLINK(\"x\")"]
    suspend = next(r for r in bodies["audit"] if r["action"] == "user.suspend")
    assert suspend["before"] == '{"status":"active"}' and suspend["actor_email"] == "boss@example.com"

    only_users = parse(client.get("/api/v1/admin/export/users.csv?role=admin", headers=headers).text)
    assert [r["email"] for r in only_users] == ["boss@example.com"]
    searched = parse(client.get("/api/v1/admin/export/users.csv?q=ANN", headers=headers).text)
    assert [r["email"] for r in searched] == ["ann@example.com"]
    literal = parse(client.get("/api/v1/admin/export/users.csv?q=%25", headers=headers).text)
    assert literal == []  # LIKE wildcards are literal
    mine = parse(client.get(f"/api/v1/admin/export/tickets.csv?user_id={ids['bob']}", headers=headers).text)
    assert [r["ticket_number"] for r in mine] == ["2"]
    everyone = parse(client.get("/api/v1/admin/export/winners.csv?include_forfeited=true", headers=headers).text)
    assert len(everyone) == 3
    suspends = parse(client.get("/api/v1/admin/export/audit.csv?action=user.", headers=headers).text)
    assert [r["action"] for r in suspends] == ["user.suspend"]

    wrong = client.get(f"/api/v1/admin/export/users.csv?drawing_id={ids['drawing']}", headers=headers)
    assert wrong.status_code == 400 and wrong.headers["content-type"].startswith("application/problem+json")
    wrong_audit = client.get("/api/v1/admin/export/users.csv?action=user.", headers=headers)
    assert wrong_audit.status_code == 400
    assert client.get("/api/v1/admin/export/audit.csv?role=admin", headers=headers).status_code == 400
    assert client.get("/api/v1/admin/export/passwords.csv", headers=headers).status_code == 422

    with read_session() as session:
        recorded = session.exec(select(AuditLog).where(AuditLog.target_type == "export")).all()
    assert sorted(r.action for r in recorded) == sorted(
        [f"export.{k}" for k in exports.KINDS]
        + ["export.users", "export.users", "export.users", "export.tickets", "export.winners", "export.audit"])
    tickets_export = next(r for r in recorded if r.action == "export.tickets" and r.after_state
                          and r.after_state["filters"])
    assert tickets_export.after_state == {"filters": {"user_id": str(ids["bob"])}}
    assert all(r.actor_id == admin for r in recorded)


def test_streamed_in_chunks(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large export arrives as several body blocks (one per chunk of rows), not one built string."""
    admin = create_account("boss@example.com", role="admin")
    with write_session() as session:
        session.add_all([User(email=f"m{i:04d}@example.com", password_hash="x", status="active")
                         for i in range(120)])
    monkeypatch.setattr(exports, "CHUNK_ROWS", 25)
    import app.web.downloads as csv_export

    seen: list[int] = []
    original = csv_export.csv_chunks

    def counting(system: System, kind: str, filters: dict, chunk_rows: int = 25):  # type: ignore[no-untyped-def]
        for block in original(system, kind, filters, chunk_rows=25):
            seen.append(len(block))
            yield block

    monkeypatch.setattr(csv_export, "csv_chunks", counting)
    with client.stream("GET", "/api/v1/admin/export/users.csv", headers=bearer(admin)) as response:
        text = "".join(response.iter_text())
    assert len(parse(text)) == 121
    assert len(seen) == 1 + 5  # the header, then ceil(121 / 25) chunks


async def test_admin_pages_download_with_the_browser_session(user: SimUser) -> None:
    admin = member(role="admin", display_name="Admin")
    winners_fixture()
    await sign_in(user, email_of(admin.user_id))
    response = await user.http_client.get("/admin/export/winners.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert [r["winner_name"] for r in parse(response.text)] == ["Ann Archer", "'=HYPERLINK(\"x\")"]
    bad = await user.http_client.get(f"/admin/export/users.csv?drawing_id={uuid.uuid4()}")
    assert bad.status_code == 400


async def test_members_cannot_download_from_the_pages(user: SimUser) -> None:
    plain = member(display_name="Plain")
    await sign_in(user, email_of(plain.user_id))
    response = await user.http_client.get("/admin/export/users.csv")
    assert response.status_code == 403 and "text/csv" not in response.headers.get("content-type", "")
