"""The verifiable draw (PRODUCT.md §6 "Verifiable draw" and "The exact recipe"; notes/reliability.md §2) as pure
functions: no database, no clock, no randomness of its own. Anyone holding the revealed server seed, the drawing id
and the frozen ticket list can recompute the winners with this module (or with the recipe on the results page).

The recipe, step by step (PRODUCT.md §6):
  1. `server_seed` = 32 bytes from `secrets.token_bytes`; `seed_commitment` = hex SHA-256 of `server_seed`.
  2. `ticket_list` = tickets sorted by ticket number, one line `"{ticket_number}:{user_id}"` each, joined with `"\\n"`
     (UTF-8; canonical lowercase hyphenated UUIDs; free entries are tickets too); `ticket_list_hash` = its hex SHA-256.
  3. `draw_seed` = HMAC-SHA256(key=server_seed, msg=f"{drawing_id}:{ticket_list_hash}" UTF-8).
  4. Random stream: block c (c = 0, 1, …) = HMAC-SHA256(key=draw_seed, msg=c as 8-byte big-endian); each block yields
     four 64-bit big-endian unsigned integers, used in order.
  5. `uniform(n)`: take the next integer x; reject it while x ≥ 2^64 − (2^64 mod n); return x mod n.
  6. a = ticket list order. For i = 0, 1, …: j = i + uniform(len(a) − i); swap a[i], a[j]; ticket a[i] wins the next
     prize unit unless its member already won in this drawing (then it is skipped). Stop when every prize unit is
     awarded or the tickets run out. Units are awarded in rank order (a prize of quantity q is q units in a row).
     Alternate winners (forfeits) continue the same stream where it stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import textwrap
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

SERVER_SEED_BYTES = 32
WORD_BYTES = 8
WORD_SPACE = 1 << 64  # 64-bit unsigned integers from the stream
# The recipe text shown on results pages (the module docstring's numbered steps).
RECIPE = textwrap.dedent(__doc__.split("(PRODUCT.md §6):\n", 1)[1]).strip() if __doc__ else ""

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Entry:
    """A ticket as the draw sees it: its number in the drawing and its member's canonical UUID string."""

    ticket_number: int
    user_id: str

    @classmethod
    def of(cls, ticket_number: int, user_id: uuid.UUID | str) -> Entry:
        """An entry with `user_id` canonicalised (lowercase, hyphenated). Raises ValueError for a bad UUID."""
        return cls(int(ticket_number), str(uuid.UUID(str(user_id))))


@dataclass(frozen=True)
class DrawResult:
    """Everything a results page publishes. `winners[k]` receives prize unit k (rank order); `alternates` are the
    next distinct members in the same stream, in order, for forfeited units."""

    seed_commitment: str
    ticket_list_hash: str
    draw_seed_hex: str
    winners: tuple[Entry, ...]
    alternates: tuple[Entry, ...]


def new_server_seed() -> bytes:
    """32 secret bytes from `secrets.token_bytes` (step 1). Real drawings use this; the demo seed derives its own."""
    return secrets.token_bytes(SERVER_SEED_BYTES)


def _check_seed(server_seed: bytes) -> None:
    if len(server_seed) != SERVER_SEED_BYTES:
        raise ValueError(f"server_seed must be {SERVER_SEED_BYTES} bytes, got {len(server_seed)}")


def seed_commitment(server_seed: bytes) -> str:
    """Step 1: hex SHA-256 of the 32-byte server seed (published when the drawing opens). Raises ValueError."""
    _check_seed(server_seed)
    return hashlib.sha256(server_seed).hexdigest()


def ticket_list(entries: Iterable[Entry]) -> str:
    """Step 2: the frozen ticket list text, `"{ticket_number}:{user_id}"` lines sorted by number, joined by "\\n".

    Raises ValueError when two entries share a ticket number."""
    ordered = sorted(entries)
    numbers = [e.ticket_number for e in ordered]
    if len(set(numbers)) != len(numbers):
        raise ValueError("ticket numbers must be unique within a drawing")
    return "\n".join(f"{e.ticket_number}:{e.user_id}" for e in ordered)


def ticket_list_hash(entries: Iterable[Entry]) -> str:
    """Step 2: hex SHA-256 of the UTF-8 ticket list (published at close)."""
    return hashlib.sha256(ticket_list(entries).encode("utf-8")).hexdigest()


class TicketListHasher:
    """Step 2, streamed (issue 12 §5): feed the list's `(ticket_number, user_id)` rows in ticket-number order, chunk
    by chunk; each `add` returns the UTF-8 bytes those lines contribute to the published list (with the separating
    "\\n" in front of every chunk but the first), so the caller can write the list to a file while it is hashed.
    `hexdigest()` equals `ticket_list_hash` of the same rows; `count` is the number of tickets so far.

    Rows must come sorted by ticket number, without duplicates (the database's ORDER BY and its unique
    (drawing_id, ticket_number) constraint); user ids must be canonical UUID strings."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.count = 0

    def add(self, rows: Sequence[tuple[int, str]]) -> bytes:
        """Hash the lines of `rows` and return their bytes (b"" for no rows)."""
        return self.add_lines([f"{number}:{user_id}" for number, user_id in rows])

    def add_lines(self, lines: Sequence[str]) -> bytes:
        """Hash `lines`, already formatted `"{ticket_number}:{user_id}"`, and return their bytes (b"" for none)."""
        if not lines:
            return b""
        data = (("\n" if self.count else "") + "\n".join(lines)).encode("utf-8")
        self._sha.update(data)
        self.count += len(lines)
        return data

    def hexdigest(self) -> str:
        """The hex SHA-256 of everything added so far (`ticket_list_hash`)."""
        return self._sha.hexdigest()


def draw_seed(server_seed: bytes, drawing_id: uuid.UUID | str, list_hash: str) -> bytes:
    """Step 3: HMAC-SHA256(key=server_seed, msg=f"{drawing_id}:{ticket_list_hash}") with the canonical drawing id."""
    _check_seed(server_seed)
    message = f"{uuid.UUID(str(drawing_id))}:{list_hash}".encode()
    return hmac.new(server_seed, message, hashlib.sha256).digest()


def rejection_limit(n: int, space: int = WORD_SPACE) -> int:
    """Step 5's bound: draws x ≥ space − (space mod n) are rejected, leaving a multiple of n values. Raises
    ValueError unless 1 ≤ n ≤ space."""
    if not 1 <= n <= space:
        raise ValueError(f"uniform(n) needs 1 ≤ n ≤ {space}, got {n}")
    return space - space % n


def accept(x: int, n: int, space: int = WORD_SPACE) -> int | None:
    """Step 5 for one draw x in [0, space): x mod n, or None when x is rejected (no modulo bias)."""
    return x % n if x < rejection_limit(n, space) else None


class RandomStream:
    """Step 4: the counter-mode HMAC-SHA256 stream of 64-bit big-endian unsigned integers, and step 5's uniform()."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0
        self._words: list[int] = []

    def next_word(self) -> int:
        """The next 64-bit unsigned integer (four per block; block c keyed by draw_seed, msg = c as 8 bytes BE)."""
        if not self._words:
            block = hmac.new(self._seed, self._counter.to_bytes(8, "big"), hashlib.sha256).digest()
            self._counter += 1
            self._words = [int.from_bytes(block[k:k + WORD_BYTES], "big") for k in range(0, len(block), WORD_BYTES)]
        return self._words.pop(0)

    def uniform(self, n: int) -> int:
        """A uniform integer in [0, n) by rejection sampling (step 5). Raises ValueError for n < 1."""
        while True:
            value = accept(self.next_word(), n)
            if value is not None:
                return value


class LazyShuffle:
    """Step 6 without building the array: a partial Fisher–Yates shuffle over `size` tickets in ticket-list order,
    where `entry_at(k)` returns the ticket at list position k (0-based). Only the positions the shuffle has touched
    are held (`dict` position → original list position, ≈ 24 bytes each), so a 1,000,000-ticket draw that awards a
    handful of prizes touches a handful of positions instead of copying and sorting the whole list (issue 12 §5).

    Identical to swapping in a full array (`a[i], a[j] = a[j], a[i]`, then a[i] is the candidate): position i is
    never read again once step i is done, so it is forgotten, and a position that was never touched still holds its
    original ticket. Winners are yielded one at a time, skipping members who already won in this drawing; calling
    `next_winner()` after the prize units continues the same stream (alternates for forfeited prizes)."""

    def __init__(self, size: int, entry_at: Callable[[int], Entry], stream: RandomStream) -> None:
        if size < 0:
            raise ValueError("size must be ≥ 0")
        self._size = size
        self._entry_at = entry_at
        self._moved: dict[int, int] = {}
        self._i = 0
        self._stream = stream
        self._won: set[str] = set()

    @property
    def touched(self) -> int:
        """How many list positions the shuffle currently remembers (its memory, in dict entries)."""
        return len(self._moved)

    def next_index(self) -> int | None:
        """One step of the shuffle (step 6's "j = i + uniform(len(a) − i); swap a[i], a[j]"): the original list
        position of the ticket now at a[i], or None when the tickets have run out. Does not skip members."""
        i = self._i
        if i >= self._size:
            return None
        j = i + self._stream.uniform(self._size - i)
        moved = self._moved
        at_j = moved.get(j, j)
        at_i = moved.pop(i, i)
        if j != i:
            moved[j] = at_i
        self._i = i + 1
        return at_j

    def next_winner(self) -> Entry | None:
        """The next winning ticket (its member has not won yet), or None when the tickets have run out."""
        while (k := self.next_index()) is not None:
            entry = self._entry_at(k)
            if entry.user_id not in self._won:
                self._won.add(entry.user_id)
                return entry
        return None


class Shuffle(LazyShuffle):
    """Step 6 over an in-memory ticket list (sorted here into ticket-list order): `LazyShuffle` on that list."""

    def __init__(self, entries: Iterable[Entry], stream: RandomStream) -> None:
        ordered = sorted(entries)
        super().__init__(len(ordered), ordered.__getitem__, stream)


def _unread(k: int) -> Entry:
    raise LookupError(f"list position {k} was not read")


def shuffle_positions(server_seed: bytes, drawing_id: uuid.UUID | str, list_hash: str, size: int,
                      count: int) -> list[int]:
    """The original list positions of the tickets step 6 visits first (a[0], a[1], … after each swap; the first
    `count`, fewer when the list is shorter), in visiting order. They depend only on the seed, the drawing, the
    published list hash and the list's size — not on who holds which ticket — so a draw can read just those tickets
    while it streams the list to re-hash it (issue 12 §5)."""
    shuffle = LazyShuffle(size, _unread, RandomStream(draw_seed(server_seed, drawing_id, list_hash)))
    out: list[int] = []
    while len(out) < count and (k := shuffle.next_index()) is not None:
        out.append(k)
    return out


def draw_frozen(server_seed: bytes, drawing_id: uuid.UUID | str, list_hash: str, size: int,
                entry_at: Callable[[int], Entry], units: int, alternates: int = 0) -> DrawResult:
    """Steps 3–6 on a ticket list already frozen and hashed (`list_hash`, step 2): `size` tickets, `entry_at(k)` the
    ticket at list position k (ticket-number order). The draw engine uses this with the list it streamed and hashed
    from the database (issue 12 §5); `draw` uses it with an in-memory list. Same results as `draw` for the same list.

    Raises ValueError for a server seed that is not 32 bytes or negative counts."""
    if units < 0 or alternates < 0:
        raise ValueError("units and alternates must be ≥ 0")
    seed = draw_seed(server_seed, drawing_id, list_hash)
    shuffle = LazyShuffle(size, entry_at, RandomStream(seed))
    winners: list[Entry] = []
    while len(winners) < units and (entry := shuffle.next_winner()) is not None:
        winners.append(entry)
    extra: list[Entry] = []
    while len(winners) == units and len(extra) < alternates and (entry := shuffle.next_winner()) is not None:
        extra.append(entry)
    return DrawResult(seed_commitment(server_seed), list_hash, seed.hex(), tuple(winners), tuple(extra))


def draw(server_seed: bytes, drawing_id: uuid.UUID | str, entries: Sequence[Entry], units: int,
         alternates: int = 0) -> DrawResult:
    """Run the whole recipe (PRODUCT.md §6): `units` prize units (rank order, see `prize_units`), then up to
    `alternates` more winners from the same stream. Winners are distinct members; len(winners) =
    min(units, distinct members). Deterministic: the same inputs always give the same result.

    Raises ValueError for a server seed that is not 32 bytes, duplicate ticket numbers or negative counts."""
    if units < 0 or alternates < 0:
        raise ValueError("units and alternates must be ≥ 0")
    ordered = sorted(entries)
    list_hash = ticket_list_hash(ordered)
    return draw_frozen(server_seed, drawing_id, list_hash, len(ordered), ordered.__getitem__, units, alternates)


def prize_units(prizes: Iterable[tuple[int, T, int]]) -> list[T]:
    """Expand `(prize_rank, prize, quantity)` triples into award order: rank 1 first, a prize of quantity q as q units
    in a row (PRODUCT.md §6 step 6). Ties in rank keep their given order."""
    ordered = sorted(enumerate(prizes), key=lambda item: (item[1][0], item[0]))
    return [prize for _, (_, prize, quantity) in ordered for _ in range(quantity)]
