"""domain.sweepstakes.recipe: the verifiable draw recipe of PRODUCT.md §6 — a golden vector, an independent
re-implementation written straight from the recipe text, and Hypothesis properties (distinct winners, counts,
determinism, sensitivity to the ticket list, no modulo bias)."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.sweepstakes.recipe import (
    WORD_SPACE,
    Entry,
    RandomStream,
    accept,
    draw,
    draw_seed,
    prize_units,
    rejection_limit,
    seed_commitment,
    ticket_list,
    ticket_list_hash,
)

GOLDEN_SEED = bytes(range(32))
GOLDEN_DRAWING = "12345678-1234-4678-9abc-123456789abc"
GOLDEN_USERS = [f"00000000-0000-4000-8000-00000000000{k}" for k in range(1, 5)]
GOLDEN_ENTRIES = [Entry.of(n, GOLDEN_USERS[(n * 7) % 4]) for n in range(1, 11)]


def reference_winners(server_seed: bytes, drawing_id: str, lines: list[tuple[int, str]], units: int) -> list[int]:
    """The recipe of PRODUCT.md §6 written out independently of domain.sweepstakes.recipe (ticket numbers of the
    winners)."""
    listing = "\n".join(f"{n}:{u}" for n, u in sorted(lines)).encode()
    list_hash = hashlib.sha256(listing).hexdigest()
    seed = hmac.new(server_seed, f"{drawing_id}:{list_hash}".encode(), hashlib.sha256).digest()
    words: list[int] = []
    counter = 0

    def uniform(n: int) -> int:
        nonlocal counter
        while True:
            if not words:
                block = hmac.new(seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
                counter += 1
                words.extend(int.from_bytes(block[k:k + 8], "big") for k in (0, 8, 16, 24))
            x = words.pop(0)
            if x < 2**64 - (2**64 % n):
                return x % n

    a = sorted(lines)
    won: set[str] = set()
    out: list[int] = []
    for i in range(len(a)):
        if len(out) == units:
            break
        j = i + uniform(len(a) - i)
        a[i], a[j] = a[j], a[i]
        if a[i][1] not in won:
            won.add(a[i][1])
            out.append(a[i][0])
    return out


def test_golden_vector() -> None:
    result = draw(GOLDEN_SEED, GOLDEN_DRAWING, GOLDEN_ENTRIES, units=3, alternates=1)
    assert result.seed_commitment == "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    assert result.seed_commitment == hashlib.sha256(GOLDEN_SEED).hexdigest()
    assert result.ticket_list_hash == "acb189422205e5dd657f4088804ccf0511e30d96dcd10ae3665a6998120cc060"
    assert result.draw_seed_hex == "ca79c1f10ca471298e207fa6759e6afe033ce20318493d6a8b07f5794d54d5d5"
    assert [(e.ticket_number, e.user_id[-1]) for e in result.winners] == [(9, "4"), (3, "2"), (4, "1")]
    assert [(e.ticket_number, e.user_id[-1]) for e in result.alternates] == [(10, "3")]
    stream = RandomStream(bytes(32))
    assert [stream.next_word() for _ in range(5)] == [
        17542954357850540164, 140053162167398746, 7094923571197185565, 601485762804817874, 11862794667570035051]


def test_ticket_list_format_and_draw_seed_message() -> None:
    entries = [Entry.of(2, uuid.UUID(GOLDEN_USERS[1])), Entry.of(1, GOLDEN_USERS[0].upper())]
    assert ticket_list(entries) == f"1:{GOLDEN_USERS[0]}\n2:{GOLDEN_USERS[1]}"
    list_hash = ticket_list_hash(entries)
    expected = hmac.new(GOLDEN_SEED, f"{GOLDEN_DRAWING}:{list_hash}".encode(), hashlib.sha256).digest()
    assert draw_seed(GOLDEN_SEED, uuid.UUID(GOLDEN_DRAWING), list_hash) == expected


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        seed_commitment(b"short")
    with pytest.raises(ValueError):
        ticket_list([Entry.of(1, GOLDEN_USERS[0]), Entry.of(1, GOLDEN_USERS[1])])
    with pytest.raises(ValueError):
        rejection_limit(0)
    with pytest.raises(ValueError):
        Entry.of(1, "not-a-uuid")


def test_no_tickets_and_more_units_than_members() -> None:
    assert draw(GOLDEN_SEED, GOLDEN_DRAWING, [], units=3).winners == ()
    result = draw(GOLDEN_SEED, GOLDEN_DRAWING, GOLDEN_ENTRIES, units=9, alternates=2)
    assert len(result.winners) == 4 and result.alternates == ()


def test_prize_units_in_rank_order() -> None:
    assert prize_units([(2, "b", 2), (1, "a", 1), (3, "c", 0), (2, "b2", 1)]) == ["a", "b", "b", "b2"]


seeds = st.binary(min_size=32, max_size=32)
entries_strategy = st.lists(
    st.tuples(st.integers(1, 500), st.integers(0, 7)), min_size=0, max_size=40, unique_by=lambda t: t[0],
).map(lambda pairs: [Entry.of(n, uuid.UUID(int=m + 1)) for n, m in pairs])


@settings(max_examples=150, deadline=None)
@given(entries=entries_strategy, units=st.integers(0, 10), alternates=st.integers(0, 3), seed=seeds)
def test_winners_are_distinct_members_and_counts_are_exact(entries: list[Entry], units: int, alternates: int,
                                                            seed: bytes) -> None:
    result = draw(seed, GOLDEN_DRAWING, entries, units, alternates)
    members = {e.user_id for e in entries}
    everyone = [*result.winners, *result.alternates]
    assert len({e.user_id for e in everyone}) == len(everyone)
    assert set(everyone) <= set(entries)
    assert len(result.winners) == min(units, len(members))
    assert len(result.alternates) == min(alternates, len(members) - len(result.winners))
    assert result == draw(seed, GOLDEN_DRAWING, list(reversed(entries)), units, alternates)  # deterministic
    lines = [(e.ticket_number, e.user_id) for e in entries]
    assert [e.ticket_number for e in result.winners] == reference_winners(seed, GOLDEN_DRAWING, lines, units)


@settings(max_examples=100, deadline=None)
@given(entries=entries_strategy.filter(lambda es: len(es) >= 1), seed=seeds, data=st.data())
def test_changing_a_ticket_changes_the_list_hash_seed_and_stream(entries: list[Entry], seed: bytes,
                                                                 data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(entries) - 1))
    changed = list(entries)
    changed[k] = Entry.of(changed[k].ticket_number, uuid.UUID(int=99))  # a different member holds that ticket
    before, after = ticket_list_hash(entries), ticket_list_hash(changed)
    assert before != after
    first = RandomStream(draw_seed(seed, GOLDEN_DRAWING, before))
    second = RandomStream(draw_seed(seed, GOLDEN_DRAWING, after))
    assert [first.next_word() for _ in range(4)] != [second.next_word() for _ in range(4)]


def test_changing_a_ticket_changes_the_winners_of_a_concrete_drawing() -> None:
    base = draw(GOLDEN_SEED, GOLDEN_DRAWING, GOLDEN_ENTRIES, units=3)
    changed = [*GOLDEN_ENTRIES[:-1], Entry.of(11, GOLDEN_USERS[2])]
    assert draw(GOLDEN_SEED, GOLDEN_DRAWING, changed, units=3).winners != base.winners


def test_uniform_has_no_modulo_bias_exhaustively_in_a_small_word_space() -> None:
    """The rejection rule with 8-bit words, every n and every x: each residue is produced equally often."""
    space = 256
    for n in range(1, space + 1):
        counts = [0] * n
        for x in range(space):
            value = accept(x, n, space)
            if value is not None:
                counts[value] += 1
        assert len(set(counts)) == 1, n
        assert space - sum(counts) < n  # fewer than n draws are ever rejected


def test_the_64_bit_rejection_bound_is_a_multiple_of_n_and_rejects_fewer_than_n_values() -> None:
    for n in [*range(1, 2_000), 2**32 + 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, 2**64]:
        limit = rejection_limit(n)
        assert limit % n == 0 and 0 <= WORD_SPACE - limit < n


@settings(max_examples=200, deadline=None)
@given(seed=seeds, n=st.integers(1, 2**64))
def test_uniform_stays_in_range_and_rejects_above_the_bound(seed: bytes, n: int) -> None:
    stream, mirror = RandomStream(seed), RandomStream(seed)
    value = stream.uniform(n)
    assert 0 <= value < n
    while (x := mirror.next_word()) >= rejection_limit(n):
        pass
    assert value == x % n


def test_the_rejection_path_is_taken_for_a_large_n() -> None:
    n = 2**63 + 1  # almost half of all words are rejected
    stream, mirror = RandomStream(GOLDEN_SEED), RandomStream(GOLDEN_SEED)
    words = [mirror.next_word() for _ in range(64)]
    assert any(w >= rejection_limit(n) for w in words)
    values = [stream.uniform(n) for _ in range(10)]
    assert values == [w % n for w in words if w < rejection_limit(n)][:10]
