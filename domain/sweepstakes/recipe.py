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
from collections.abc import Iterable, Sequence
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


class Shuffle:
    """Step 6: a partial Fisher–Yates shuffle over the ticket list that yields winners one at a time, skipping members
    who already won in this drawing. Calling `next_winner()` after the prize units continues the same stream, which
    is how alternates for forfeited prizes are drawn."""

    def __init__(self, entries: Iterable[Entry], stream: RandomStream) -> None:
        self._a = sorted(entries)
        self._i = 0
        self._stream = stream
        self._won: set[str] = set()

    def next_winner(self) -> Entry | None:
        """The next winning ticket (its member has not won yet), or None when the tickets have run out."""
        a = self._a
        while self._i < len(a):
            i = self._i
            j = i + self._stream.uniform(len(a) - i)
            a[i], a[j] = a[j], a[i]
            self._i += 1
            if a[i].user_id not in self._won:
                self._won.add(a[i].user_id)
                return a[i]
        return None


def draw(server_seed: bytes, drawing_id: uuid.UUID | str, entries: Sequence[Entry], units: int,
         alternates: int = 0) -> DrawResult:
    """Run the whole recipe (PRODUCT.md §6): `units` prize units (rank order, see `prize_units`), then up to
    `alternates` more winners from the same stream. Winners are distinct members; len(winners) =
    min(units, distinct members). Deterministic: the same inputs always give the same result.

    Raises ValueError for a server seed that is not 32 bytes, duplicate ticket numbers or negative counts."""
    if units < 0 or alternates < 0:
        raise ValueError("units and alternates must be ≥ 0")
    list_hash = ticket_list_hash(entries)
    seed = draw_seed(server_seed, drawing_id, list_hash)
    shuffle = Shuffle(entries, RandomStream(seed))
    winners: list[Entry] = []
    while len(winners) < units and (entry := shuffle.next_winner()) is not None:
        winners.append(entry)
    extra: list[Entry] = []
    while len(winners) == units and len(extra) < alternates and (entry := shuffle.next_winner()) is not None:
        extra.append(entry)
    return DrawResult(seed_commitment(server_seed), list_hash, seed.hex(), tuple(winners), tuple(extra))


def prize_units(prizes: Iterable[tuple[int, T, int]]) -> list[T]:
    """Expand `(prize_rank, prize, quantity)` triples into award order: rank 1 first, a prize of quantity q as q units
    in a row (PRODUCT.md §6 step 6). Ties in rank keep their given order."""
    ordered = sorted(enumerate(prizes), key=lambda item: (item[1][0], item[0]))
    return [prize for _, (_, prize, quantity) in ordered for _ in range(quantity)]
