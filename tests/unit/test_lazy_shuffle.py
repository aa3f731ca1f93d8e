"""The draw at scale (issue 12 §5), pure parts of `domain.sweepstakes.recipe`: the lazy partial Fisher–Yates visits
exactly the tickets the full in-array shuffle of the recipe (PRODUCT.md §6 step 6) puts at a[0], a[1], … while
remembering only the positions it touched; `shuffle_positions` predicts those positions from seed, hash and size
alone; `draw_frozen` on just those tickets gives the same winners as `draw` on the whole list; the streamed hasher
gives the published hash whatever the chunking (Hypothesis over sizes, seeds and chunkings)."""

from __future__ import annotations

import hashlib
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.sweepstakes.recipe import (
    Entry,
    LazyShuffle,
    RandomStream,
    TicketListHasher,
    draw,
    draw_frozen,
    draw_seed,
    shuffle_positions,
    ticket_list,
    ticket_list_hash,
)

DRAWING = "12345678-1234-4678-9abc-123456789abc"
seeds = st.binary(min_size=32, max_size=32)


def full_shuffle_prefix(size: int, seed: bytes, steps: int) -> list[int]:
    """The recipe's step 6 on a real array of list positions: a[i] after each swap, for the first `steps` i."""
    a = list(range(size))
    stream = RandomStream(seed)
    out = []
    for i in range(min(steps, size)):
        j = i + stream.uniform(size - i)
        a[i], a[j] = a[j], a[i]
        out.append(a[i])
    return out


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 400), seed=seeds, data=st.data())
def test_lazy_shuffle_equals_the_full_shuffle(size: int, seed: bytes, data: st.DataObject) -> None:
    steps = data.draw(st.integers(0, size + 2))
    lazy = LazyShuffle(size, lambda k: Entry(k + 1, str(uuid.UUID(int=k))), RandomStream(seed))
    visited = []
    for _ in range(steps):
        k = lazy.next_index()
        if k is None:
            break
        visited.append(k)
        assert lazy.touched <= len(visited)  # only touched positions are remembered
    assert visited == full_shuffle_prefix(size, seed, steps)
    if steps >= size:
        assert sorted(visited) == list(range(size))  # a whole pass is a permutation
        assert lazy.next_index() is None


def test_lazy_shuffle_memory_is_the_touched_positions_only() -> None:
    """A million tickets, a hundred steps: at most a hundred remembered positions (no array of a million)."""
    lazy = LazyShuffle(1_000_000, lambda k: Entry(k + 1, str(uuid.UUID(int=k))), RandomStream(bytes(32)))
    for _ in range(100):
        lazy.next_index()
    assert lazy.touched <= 100


@settings(max_examples=150, deadline=None)
@given(members=st.integers(1, 6), count=st.integers(0, 120), seed=seeds, units=st.integers(0, 5),
       alternates=st.integers(0, 3), salt=st.integers(0, 1000))
def test_draw_on_the_positions_read_equals_the_full_draw(members: int, count: int, seed: bytes, units: int,
                                                         alternates: int, salt: int) -> None:
    """What the engine does: predict the positions, keep only those tickets, draw lazily — same result as `draw`
    (or a clean "not read" when the budget was too small, never a different winner)."""
    users = [str(uuid.UUID(int=salt * 31 + m + 1)) for m in range(members)]
    entries = [Entry(n + 1, users[(n * 5 + salt) % members]) for n in range(count)]
    expected = draw(seed, DRAWING, entries, units, alternates)
    list_hash = ticket_list_hash(entries)
    budget = 2 * (units + alternates) + 1
    while True:
        positions = shuffle_positions(seed, DRAWING, list_hash, count, budget)
        picked = {k: entries[k] for k in positions}
        try:
            got = draw_frozen(seed, DRAWING, list_hash, count, picked.__getitem__, units, alternates)
            break
        except KeyError:
            assert budget < count
            budget *= 2
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(count=st.integers(0, 60), seed=seeds, cuts=st.lists(st.integers(0, 60), max_size=8))
def test_streamed_hash_equals_the_published_hash(count: int, seed: bytes, cuts: list[int]) -> None:
    """`TicketListHasher` fed in any chunking gives `ticket_list_hash`, and the bytes it returns are the list."""
    entries = [Entry(n * 3 + 1, str(uuid.UUID(bytes=hashlib.sha256(seed + bytes([n])).digest()[:16])))
               for n in range(count)]
    bounds = sorted({0, count, *(c for c in cuts if c <= count)})
    hasher = TicketListHasher()
    written = b""
    for start, end in zip(bounds, bounds[1:], strict=False):
        chunk = entries[start:end]
        if start % 2:
            written += hasher.add([(e.ticket_number, e.user_id) for e in chunk])
        else:
            written += hasher.add_lines([f"{e.ticket_number}:{e.user_id}" for e in chunk])
    assert hasher.count == count
    assert hasher.hexdigest() == ticket_list_hash(entries)
    assert written == ticket_list(entries).encode()


def test_shuffle_positions_follow_the_draw_seed() -> None:
    entries = [Entry(n, str(uuid.UUID(int=n % 3 + 1))) for n in range(1, 51)]
    list_hash = ticket_list_hash(entries)
    positions = shuffle_positions(bytes(range(32)), DRAWING, list_hash, 50, 10)
    assert positions == full_shuffle_prefix(50, draw_seed(bytes(range(32)), DRAWING, list_hash), 10)
    assert shuffle_positions(bytes(range(32)), DRAWING, list_hash, 3, 10) == \
        full_shuffle_prefix(3, draw_seed(bytes(range(32)), DRAWING, list_hash), 3)
