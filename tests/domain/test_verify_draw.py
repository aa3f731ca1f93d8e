"""The independent verification command `python -m app.cli.verify_draw` (issue 6 §7): it recomputes the winners of real
drawings executed by the draw engine (`domain.sweepstakes.drawings.execute_drawing`, alternates after a forfeit
included) from the public results JSON, from a file, standard input or a URL; any tampering is a MISMATCH (exit 1); an
undrawn drawing cannot be verified (exit 1). It imports only the standard library (never
`domain/sweepstakes/recipe.py`), and its second implementation of the recipe agrees with `domain.sweepstakes.recipe` on
random inputs (Hypothesis)."""

from __future__ import annotations

import ast
import hashlib
import hmac
import io
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.cli import verify_draw
from app.settings import ROOT
from domain.models import PrizeFulfillment
from domain.shared.types import utcnow
from domain.sweepstakes import drawings, fulfillment, recipe, tickets
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing

LATER = timedelta(hours=2)


def _executed_drawing(members: int = 6, prizes: tuple = ((1, "Watch", 1, "physical", 350.0),
                                                         (2, "Voucher", 2, "digital", 25.0))) -> dict[str, Any]:
    """A drawing with `members` entrants (k+1 tickets each, member 0 also a free entry), executed by the engine;
    returns {"drawing_id", "admin_id", "results"}."""
    with write_session() as session:
        admin_id = admin(session)
        drawing = open_drawing(session, admin_id, cost=5, prizes=prizes)
        ids = [eligible_member(session, points=100, display_name=f"Runner {k}") for k in range(members)]
        for k, member_id in enumerate(ids):
            tickets.purchase(session, user_id=member_id, drawing_id=drawing.id, quantity=k + 1,
                             idempotency_key=f"buy-{k}")
        tickets.claim_free_entry(session, user_id=ids[0], drawing_id=drawing.id)
        drawing_id = drawing.id
    with write_session() as session:
        drawings.execute_drawing(session, drawing_id, clock=lambda: utcnow() + LATER)
    with read_session() as session:
        results = drawings.results(session, drawing_id).as_json()
    return {"drawing_id": drawing_id, "admin_id": admin_id, "results": json.loads(json.dumps(results))}


def _run(doc: dict[str, Any] | str, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "results.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    out = io.StringIO()
    return verify_draw.main([str(path)], out=out), out.getvalue()


def test_engine_results_verify(tmp_path: Path) -> None:
    results = _executed_drawing()["results"]
    assert len(results["winners"]) == 3 and results["server_seed"]
    code, output = _run(results, tmp_path)
    assert code == 0, output
    assert "RESULT: MATCH" in output and "MISMATCH" not in output
    assert "[ok] SHA-256(server_seed) = seed_commitment" in output
    assert "[ok] winner 3: ticket #" in output


@pytest.mark.parametrize("tamper", ["winner", "order", "seed", "commitment", "ticket", "drop-ticket", "rank",
                                    "drawing-id", "extra-winner"])
def test_tampering_is_a_mismatch(tamper: str, tmp_path: Path) -> None:
    results = _executed_drawing()["results"]
    doc = json.loads(json.dumps(results))
    if tamper == "winner":
        loser = next(line for line in doc["tickets"]
                     if line.split(":")[1] not in {w["user_id"] for w in doc["winners"]})
        doc["winners"][0]["ticket_number"], doc["winners"][0]["user_id"] = int(loser.split(":")[0]), \
            loser.split(":")[1]
    elif tamper == "order":
        doc["winners"][0], doc["winners"][1] = doc["winners"][1], doc["winners"][0]
    elif tamper == "seed":
        doc["server_seed"] = "00" * 32
    elif tamper == "commitment":
        doc["seed_commitment"] = "ff" * 32
    elif tamper == "ticket":
        number, _ = doc["tickets"][0].split(":")
        doc["tickets"][0] = f"{number}:{uuid.uuid4()}"
    elif tamper == "drop-ticket":
        doc["tickets"] = doc["tickets"][:-1]
    elif tamper == "rank":
        doc["winners"][0]["prize_rank"] = 2
    elif tamper == "drawing-id":
        doc["drawing_id"] = str(uuid.uuid4())
    elif tamper == "extra-winner":
        doc["winners"].append(dict(doc["winners"][-1]))
    code, output = _run(doc, tmp_path)
    assert code == 1, output
    assert "RESULT: MISMATCH" in output


def test_alternates_after_a_forfeit_verify(tmp_path: Path) -> None:
    made = _executed_drawing(prizes=((1, "Treadmill", 1, "physical", 1500.0),))
    with write_session() as session:
        first = session.exec(select(PrizeFulfillment).order_by(col(PrizeFulfillment.created_at))).first()
        assert first is not None
        fulfillment.forfeit_with_alternate(session, first.id, admin_id=made["admin_id"], reason="No address in time",
                                           clock=lambda: utcnow() + timedelta(days=15))
    with read_session() as session:
        results = drawings.results(session, made["drawing_id"]).as_json()
    assert len(results["alternates"]) == 1
    assert results["alternates"][0]["replaces_ticket_number"] == results["winners"][0]["ticket_number"]
    code, output = _run(results, tmp_path)
    assert code == 0, output
    assert "[ok] alternate 1: ticket #" in output
    results["alternates"][0]["ticket_number"] = results["winners"][0]["ticket_number"]
    assert _run(results, tmp_path)[0] == 1


def test_undrawn_or_unreadable_cannot_be_verified(tmp_path: Path) -> None:
    with write_session() as session:
        drawing = open_drawing(session, admin(session))
        drawing_id = drawing.id
    with read_session() as session:
        open_results = drawings.results(session, drawing_id).as_json()
    code, output = _run(open_results, tmp_path)
    assert code == 1 and "CANNOT VERIFY" in output and "ticket_list_hash is missing" in output
    code, output = _run("{not json", tmp_path)
    assert code == 1 and "could not read" in output
    code, output = _run("[1, 2]", tmp_path)
    assert code == 1 and "JSON object" in output
    out = io.StringIO()
    assert verify_draw.main([str(tmp_path / "missing.json")], out=out) == 1


def test_reads_standard_input_and_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    results = _executed_drawing(members=3)["results"]
    body = json.dumps(results).encode()
    monkeypatch.setattr(sys, "stdin", io.StringIO(body.decode()))
    out = io.StringIO()
    assert verify_draw.main(["-"], out=out) == 0, out.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = io.StringIO()
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/drawings/{results['drawing_id']}/results"
        assert verify_draw.main([url], out=out) == 0, out.getvalue()
        assert "RESULT: MATCH" in out.getvalue()
    finally:
        server.shutdown()


def test_runs_as_a_module(tmp_path: Path) -> None:
    """`python -m app.cli.verify_draw file` as a separate process (exit status and output)."""
    results = _executed_drawing(members=2, prizes=((1, "Watch", 1, "physical", 100.0),))["results"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app.cli.verify_draw", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RESULT: MATCH" in done.stdout


def _imports(source: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            yield (node.module or "").split(".")[0]


def test_uses_only_the_standard_library() -> None:
    source = Path(verify_draw.__file__).read_text(encoding="utf-8")  # app/cli/verify_draw.py
    modules = set(_imports(source))
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules - set(sys.stdlib_module_names)
    assert "domain" not in modules
    assert "from domain" not in source and "import domain" not in source


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), members=st.integers(1, 8), count=st.integers(1, 40),
       units=st.integers(1, 6), salt=st.integers(0, 10_000))
def test_agrees_with_the_engine_recipe(seed: bytes, members: int, count: int, units: int, salt: int) -> None:
    """Two implementations, one recipe: `app.cli.verify_draw` and `domain.sweepstakes.recipe` pick the same winners."""
    users = [str(uuid.UUID(int=(salt * 97 + k) % (1 << 128))) for k in range(members)]
    entries = [recipe.Entry(n + 1, users[(n * 7 + salt) % members]) for n in range(count)]
    drawing_id = uuid.UUID(int=salt)
    engine = recipe.draw(seed, drawing_id, entries, units, alternates=2)
    list_hash = recipe.ticket_list_hash(entries)
    seed2 = hmac.new(seed, f"{drawing_id}:{list_hash}".encode(), hashlib.sha256).digest()
    assert seed2.hex() == engine.draw_seed_hex
    mine = verify_draw.distinct_winners(seed2, [(e.ticket_number, e.user_id) for e in entries], units + 2)
    assert mine == [(e.ticket_number, e.user_id) for e in engine.winners + engine.alternates]
