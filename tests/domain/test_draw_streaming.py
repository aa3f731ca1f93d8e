"""The draw at scale on a real database (issue 12 §5; SQLite file and the local PostgreSQL server): the ticket list is
streamed in ticket-number order (chunk boundaries anywhere) and the streamed bytes — the downloadable file the close
writes (`tasks.drawings.run_step`, `app.adapters.ticket_lists`) — hash to the published `ticket_list_hash`; the
engine's draw, which keeps only the tickets its shuffle visits and re-reads the list when skips exhaust them, gives
exactly the winners of the pure recipe on the whole list; results pages are bounded."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.adapters.ticket_lists import TicketListFiles, repr_digest
from app.system import System
from domain.models import Drawing, Ticket
from domain.shared.errors import Conflict, InvalidInput, NotFound
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, recipe, tickets
from tasks.drawings import run_step
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing
from tests.support.system import current

LATER = timedelta(hours=2)


def _drawing_with_tickets(system: System, holdings: list[int], prizes: tuple = ((1, "Watch", 1, "physical", 300.0),
                                                                                (2, "Card", 2, "digital", 20.0)),
                          ) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An open drawing (cost 1) where member k bought holdings[k] tickets (interleaved purchases, so one member's
    tickets are spread over the list) and member 0 also claimed the free entry; committed."""
    with write_session(system) as session:
        drawing = open_drawing(session, admin(session), cost=1, prizes=prizes)
        members = [eligible_member(session, points=1_000, display_name=f"Runner {k}") for k in range(len(holdings))]
        left = list(holdings)
        round_no = 0
        while any(left):
            for k, member in enumerate(members):
                if left[k]:
                    quantity = min(left[k], 1 + round_no % 3)
                    tickets.purchase(session, user_id=member, drawing_id=drawing.id, quantity=quantity,
                                     idempotency_key=f"r{round_no}-{k}")
                    left[k] -= quantity
            round_no += 1
        tickets.claim_free_entry(session, user_id=members[0], drawing_id=drawing.id)
        return drawing.id, members


def _orm_entries(system: System, drawing_id: uuid.UUID) -> list[recipe.Entry]:
    with read_session(system) as session:
        rows = session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id)
                            .order_by(col(Ticket.ticket_number))).all()
        return [recipe.Entry.of(t.ticket_number, t.user_id) for t in rows]


def test_streamed_list_hash_equals_the_published_hash(db_system: System) -> None:
    drawing_id, _ = _drawing_with_tickets(db_system, [7, 3, 5, 1])
    summary = run_step(db_system, "close", drawing_id)  # the scheduler's close: streams, hashes, writes the file
    assert summary["status"] == "closed"
    orm = _orm_entries(db_system, drawing_id)
    published = recipe.ticket_list_hash(orm)  # the recipe on the whole list, from the ORM
    with read_session(db_system) as session:
        drawing = drawings.get_drawing(session, drawing_id)
        assert drawing.ticket_list_hash == published and drawing.total_tickets == len(orm) == 17
        for chunk_rows in (1, 2, 5, 16, 17, 1000):
            lines = [line for chunk in drawings.ticket_lines(session, drawing_id, chunk_rows) for line in chunk]
            assert lines == recipe.ticket_list(orm).split("\n")
            frozen = drawings.freeze(session, drawing_id, positions=[0, 4, 5, 16, 99], chunk_rows=chunk_rows)
            assert (frozen.list_hash, frozen.count) == (published, 17)
            assert frozen.picked == {k: orm[k] for k in (0, 4, 5, 16)}
        assert drawings.entries(session, drawing_id) == orm
        if session.get_bind().dialect.name == "sqlite":  # the scan's small page cache is given back
            assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -65536
    path = TicketListFiles.under(db_system.settings.media_dir).path(drawing_id, published)
    data = path.read_bytes()  # written by the close while it hashed
    assert hashlib.sha256(data).hexdigest() == published
    assert data == recipe.ticket_list(orm).encode() and not data.endswith(b"\n")
    assert repr_digest(published) == f"sha-256=:{base64.b64encode(bytes.fromhex(published)).decode()}:"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644


def test_the_streamed_draw_equals_the_recipe_also_when_skips_exhaust_the_positions_read(
        db_system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    """One member holds almost every ticket, so the shuffle skips many times: with no slack in the budget the engine
    must re-read the list (more than one pass) and still pick exactly `recipe.draw`'s winners and alternates."""
    monkeypatch.setattr(drawings, "DRAW_READ_SLACK", 0)
    passes: list[int] = []
    real_freeze = drawings.freeze

    def counting_freeze(*args: object, **kwargs: object) -> drawings.FrozenList:
        passes.append(len(list(kwargs.get("positions") or ())))  # type: ignore[call-overload]
        return real_freeze(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(drawings, "freeze", counting_freeze)
    drawing_id, _ = _drawing_with_tickets(db_system, [60, 1, 1], prizes=((1, "Watch", 3, "physical", 300.0),))
    with write_session(db_system) as session:
        outcome = drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + LATER)
        drawing = outcome.drawing
        assert drawing.server_seed_hex is not None
    expected = recipe.draw(bytes.fromhex(drawing.server_seed_hex), drawing_id, _orm_entries(db_system, drawing_id),
                           units=3, alternates=0)
    assert [(w.ticket_number, str(w.user_id)) for w in outcome.winners] == \
        [(e.ticket_number, e.user_id) for e in expected.winners]
    assert len(outcome.winners) == 3
    draws = [n for n in passes if n]  # the close's pass reads no positions
    assert draws[0] == 6  # 2 × 3 units and no slack, then 8× more whenever that was not enough
    orm = _orm_entries(db_system, drawing_id)
    first = recipe.shuffle_positions(bytes.fromhex(drawing.server_seed_hex), drawing_id, expected.ticket_list_hash,
                                     len(orm), 6)
    assert (len(draws) == 1) == (len({orm[k].user_id for k in first}) == 3)
    with read_session(db_system) as reader:
        stored = drawings.get_drawing(reader, drawing_id).results or {}
    assert stored["draw_seed"] == expected.draw_seed_hex and stored["total_tickets"] == 63


def test_a_list_changed_after_close_is_refused_by_the_draw_and_the_download(db_system: System) -> None:
    drawing_id, members = _drawing_with_tickets(db_system, [2, 2])
    with write_session(db_system) as session:
        drawings.close_drawing(session, drawing_id)
    with write_session(db_system) as session:
        session.add(Ticket(drawing_id=drawing_id, user_id=members[1], ticket_number=999))
    files = TicketListFiles.under(db_system.settings.media_dir)
    with read_session(db_system) as session:
        drawing = drawings.get_drawing(session, drawing_id)
        with pytest.raises(Conflict):
            files.ensure(session, drawing)
    assert not files.path(drawing_id, drawing.ticket_list_hash or "").exists()
    with write_session(db_system) as session, pytest.raises(Conflict, match="changed after it was frozen"):
        drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + LATER)


def test_no_frozen_list_before_close() -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
    with read_session() as session:
        loaded = session.get(Drawing, drawing.id)
        assert loaded is not None
        with pytest.raises(NotFound):
            TicketListFiles.under(current().settings.media_dir).ensure(session, loaded)


def test_result_pages_are_bounded(db_system: System) -> None:
    drawing_id, _ = _drawing_with_tickets(db_system, [3, 2])
    with write_session(db_system) as session:
        drawings.close_drawing(session, drawing_id)
    with read_session(db_system) as session:
        everything = drawings.results(session, drawing_id).tickets
        assert len(everything) == 6
        pages = [drawings.results(session, drawing_id, page=p, limit=4) for p in (1, 2, 3)]
        assert [len(p.tickets) for p in pages] == [4, 2, 0]
        assert pages[0].tickets + pages[1].tickets == everything
        assert pages[0].tickets_pages == 2 and pages[0].tickets_limit == 4
        assert drawings.ticket_page(session, drawing_id, page=2, limit=5) == everything[5:]
        for page, limit in ((0, 10), (10**30, 10), (drawings.TICKETS_MAX_PAGE + 1, 1), (1, 0),
                            (1, drawings.TICKETS_MAX_LIMIT + 1)):
            with pytest.raises(InvalidInput):
                drawings.results(session, drawing_id, page=page, limit=limit)
        last = drawings.ticket_page(session, drawing_id, page=drawings.TICKETS_MAX_PAGE,
                                    limit=drawings.TICKETS_MAX_LIMIT)
        assert last == []  # the largest offset allowed is still a valid query
