"""Statistics and properties of the draw (PRODUCT.md §6; issue 6 §8): chi-square uniformity of the winning ticket over
many simulated draws (recipe-exact, `domain.sweepstakes.recipe`), odds proportional to tickets held, and Hypothesis
properties on the real services — one prize per member, winners always hold a ticket, re-execution returns the same
result."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from domain.models import Ticket
from domain.sweepstakes import drawings, recipe, tickets
from tests.support.db import read_session, write_session
from tests.support.drawings import admin, eligible_member, open_drawing

DRAWING_ID = uuid.UUID("0b7c6f4e-3f52-4c7a-9a51-6d3c1e2f9a10")
# Chi-square critical values at the 99.9 % level (df = buckets − 1): the test fails by chance once in 1,000 runs at
# most — and never, since the seeds below are fixed (the figures are deterministic).
CHI2_999 = {6: 22.458, 9: 27.877, 11: 31.264}


def _seed(i: int) -> bytes:
    return hashlib.sha256(f"chi-square:{i}".encode()).digest()


def _chi_square(counts: Counter[int], buckets: int, total: int) -> float:
    expected = total / buckets
    return sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(buckets))


def _members(n: int) -> list[str]:
    return [str(uuid.UUID(int=k + 1)) for k in range(n)]


def test_first_winner_is_uniform_over_tickets() -> None:
    """20,000 draws over 10 tickets (and 12 and 7, not powers of two): χ² below the 99.9 % critical value."""
    for size in (10, 12, 7):
        users = _members(size)
        entries = [recipe.Entry(k + 1, users[k]) for k in range(size)]
        draws = 20_000 if size == 10 else 8_000
        counts: Counter[int] = Counter()
        for i in range(draws):
            counts[recipe.draw(_seed(i * 31 + size), DRAWING_ID, entries, 1).winners[0].ticket_number - 1] += 1
        chi2 = _chi_square(counts, size, draws)
        assert chi2 < CHI2_999[size - 1], (size, chi2, counts)


def test_later_prize_units_are_uniform_too() -> None:
    """The third award of a 3-unit draw over 10 single-ticket members is uniform as well (partial Fisher–Yates)."""
    users = _members(10)
    entries = [recipe.Entry(k + 1, users[k]) for k in range(10)]
    counts: Counter[int] = Counter()
    runs = 10_000
    for i in range(runs):
        counts[recipe.draw(_seed(10**6 + i), DRAWING_ID, entries, 3).winners[2].ticket_number - 1] += 1
    assert _chi_square(counts, 10, runs) < CHI2_999[9]


def test_odds_are_tickets_over_total() -> None:
    """A member holding 3 of 10 tickets wins a single prize ≈ 30 % of the time (within 4 standard deviations);
    a free entry counts like any ticket."""
    users = _members(8)
    holdings = [users[0]] * 3 + users[1:]  # 3 + 7 = 10 tickets
    entries = [recipe.Entry(k + 1, u) for k, u in enumerate(holdings)]
    runs = 10_000
    wins = sum(recipe.draw(_seed(2 * 10**6 + i), DRAWING_ID, entries, 1).winners[0].user_id == users[0]
               for i in range(runs))
    sd = (runs * 0.3 * 0.7) ** 0.5
    assert abs(wins - runs * 0.3) < 4 * sd, wins


holdings_strategy = st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=6)
prizes_strategy = st.lists(st.integers(min_value=1, max_value=2), min_size=1, max_size=3)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(holdings=holdings_strategy, quantities=prizes_strategy, free=st.lists(st.booleans(), min_size=6, max_size=6))
def test_execution_properties(holdings: list[int], quantities: list[int], free: list[bool]) -> None:
    """For any ticket allocation and prize list: winners are distinct members, each holds the winning ticket,
    there are min(prize units, members with tickets) of them, they match the recipe recomputed from the published
    data, and executing again returns the same winners without drawing."""
    prizes = tuple((rank, f"Prize {rank}", q, "digital", 10.0) for rank, q in enumerate(quantities, start=1))
    with write_session() as session:
        drawing = open_drawing(session, admin(session), cost=5, prizes=prizes)
        holders = set()
        for count, claims_free in zip(holdings, free, strict=False):
            member = eligible_member(session, points=100)
            if count:
                tickets.purchase(session, user_id=member, drawing_id=drawing.id, quantity=count,
                                 idempotency_key=uuid.uuid4().hex)
            if claims_free:
                tickets.claim_free_entry(session, user_id=member, drawing_id=drawing.id)
            if count or claims_free:
                holders.add(member)
        drawing_id = drawing.id
    with write_session() as session:
        outcome = drawings.execute_drawing(session, drawing_id)
    if not holders:
        assert outcome.drawing.status == "cancelled" and outcome.winners == []
        return
    units = sum(quantities)
    assert len(outcome.winners) == min(units, len(holders))
    assert len({w.user_id for w in outcome.winners}) == len(outcome.winners)
    with read_session() as session:
        for win in outcome.winners:
            ticket = session.get(Ticket, win.ticket_id)
            assert ticket is not None and ticket.user_id == win.user_id and ticket.is_winner
            assert ticket.drawing_id == drawing_id and ticket.prize_id == win.prize_id
        assert len(session.exec(select(Ticket).where(Ticket.drawing_id == drawing_id,
                                                     Ticket.is_winner == True)).all()) == len(outcome.winners)  # noqa: E712
        public = drawings.results(session, drawing_id).as_json()
    parsed = [recipe.Entry.of(int(n), u) for n, u in (t.split(":", 1) for t in public["tickets"])]
    recomputed = recipe.draw(bytes.fromhex(public["server_seed"]), drawing_id, parsed, public["units"])
    assert [e.ticket_number for e in recomputed.winners] == [w.ticket_number for w in outcome.winners]
    ranks = [w.prize_rank for w in outcome.winners]
    assert ranks == sorted(ranks)
    with write_session() as session:
        again = drawings.execute_drawing(session, drawing_id)
    assert again.replayed and again.winners == outcome.winners


@settings(max_examples=200, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12),
       units=st.integers(min_value=0, max_value=8), alternates=st.integers(min_value=0, max_value=4),
       seed=st.binary(min_size=32, max_size=32), shuffle_seed=st.randoms(use_true_random=False))
def test_recipe_properties(sizes: list[int], units: int, alternates: int, seed: bytes,
                           shuffle_seed: object) -> None:
    """Pure recipe: one prize per member (alternates included), winners come from the list, the result does not
    depend on the order the tickets are given in, and alternates continue the same stream."""
    users = _members(len(sizes))
    entries = [recipe.Entry(0, u) for u, n in zip(users, sizes, strict=True) for _ in range(n)]
    entries = [recipe.Entry(k + 1, e.user_id) for k, e in enumerate(entries)]
    result = recipe.draw(seed, DRAWING_ID, entries, units, alternates)
    everyone = [*result.winners, *result.alternates]
    assert len({e.user_id for e in everyone}) == len(everyone)
    assert set(everyone) <= set(entries)
    assert len(result.winners) == min(units, len(users))
    shuffled = list(entries)
    shuffle_seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert recipe.draw(seed, DRAWING_ID, shuffled, units, alternates) == result
    longer = recipe.draw(seed, DRAWING_ID, entries, units, alternates + 1)
    assert longer.winners == result.winners and longer.alternates[:len(result.alternates)] == result.alternates
