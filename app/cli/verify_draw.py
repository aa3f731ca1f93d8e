"""Independent check of a published drawing (PRODUCT.md §6 "Verifiable draw"; issue 6 §7).

    python -m app.cli.verify_draw results.json [--tickets tickets.txt]
    python -m app.cli.verify_draw https://fittrack.example/api/v1/drawings/<id>/results
    curl -s …/results | python -m app.cli.verify_draw - --tickets https://fittrack.example/api/v1/drawings/<id>/ticket-list

Reads the public results JSON (`GET /api/v1/drawings/{id}/results`) and the frozen ticket list — the document shows
one page of it, the whole list is the file at its `ticket_list_url` (`GET /api/v1/drawings/{id}/ticket-list`,
followed automatically when the results came from a URL; `--tickets` names a file or URL), or, for a document that
holds every ticket, its own `tickets` (issue 12 §5) — and recomputes everything from the published
data with the recipe printed on every results page, using ONLY the Python standard library (hashlib, hmac, json,
urllib). It deliberately shares no code with the draw itself (`domain/sweepstakes/recipe.py`): this file is the second,
independent implementation, so a bug in one shows up as a mismatch. Copy it anywhere; it imports nothing from
FitTrack.

Checks, in order:
  1. SHA-256(server_seed) equals the seed commitment published when the drawing opened;
  2. the ticket list is sorted by ticket number without duplicates, and SHA-256 of its lines joined with "\\n"
     equals the ticket-list hash published at close (and the ticket count matches, when published);
  3. draw_seed = HMAC-SHA256(server_seed, f"{drawing_id}:{ticket_list_hash}") (equals `draw_seed`, when published);
  4. the HMAC counter stream + partial Fisher–Yates with rejection sampling + one prize per member gives exactly
     the published winners in award order (ticket number and member), each with the prize rank of its unit (when
     the prizes are published), then the published alternates in order.

Exit status: 0 when everything matches, 1 on any mismatch or when the data cannot be verified (e.g. the drawing
has not been drawn yet, so the server seed is still secret).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

SPACE = 1 << 64
FETCH_TIMEOUT_SECONDS = 20


class Unverifiable(Exception):
    """The document lacks what a check needs (or is malformed)."""


# ---------------------------------------------------------------------------------------------- the recipe, again
def _stream(draw_seed: bytes) -> Iterator[int]:
    """Step 4: block c = HMAC-SHA256(draw_seed, c as 8-byte big-endian) → four 64-bit big-endian integers."""
    counter = 0
    while True:
        block = hmac.new(draw_seed, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for offset in (0, 8, 16, 24):
            yield int.from_bytes(block[offset:offset + 8], "big")
        counter += 1


def _uniform(words: Iterator[int], n: int) -> int:
    """Step 5: reject x ≥ 2^64 − (2^64 mod n), then x mod n."""
    limit = SPACE - SPACE % n
    while True:
        x = next(words)
        if x < limit:
            return x % n


def distinct_winners(draw_seed: bytes, tickets: Sequence[tuple[int, str]], count: int) -> list[tuple[int, str]]:
    """Step 6: the first `count` winning tickets (distinct members) of the partial Fisher–Yates shuffle over
    `tickets` (already in ticket-number order); fewer when the tickets run out. The array shuffled is the list of
    positions (a full array, unlike the engine's lazy one), so `tickets` may parse its items on access."""
    a = list(range(len(tickets)))
    words = _stream(draw_seed)
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    i = 0
    while len(out) < count and i < len(a):
        j = i + _uniform(words, len(a) - i)
        a[i], a[j] = a[j], a[i]
        ticket = tickets[a[i]]
        if ticket[1] not in seen:
            seen.add(ticket[1])
            out.append(ticket)
        i += 1
    return out


# ----------------------------------------------------------------------------------------------------- reading
def _field(doc: dict[str, Any], *names: str) -> Any:
    for name in names:
        if doc.get(name) is not None:
            return doc[name]
    return None


def _hex(value: Any, what: str, size: int = 32) -> bytes:
    try:
        raw = bytes.fromhex(str(value))
    except ValueError as exc:
        raise Unverifiable(f"{what} is not hexadecimal") from exc
    if len(raw) != size:
        raise Unverifiable(f"{what} must be {size} bytes ({2 * size} hex digits), got {len(raw)}")
    return raw


def _parse(line: str) -> tuple[int, str]:
    number, sep, user = line.partition(":")
    if not sep or not number.strip().isdigit():
        raise Unverifiable(f"bad ticket line {line!r}")
    return int(number), user


class TicketLines(Sequence[tuple[int, str]]):
    """The ticket list as `(number, user_id)` items parsed on access from its `"number:user_id"` lines (a
    1,000,000-line list stays one string per line)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [_parse(line) for line in self.lines[k]]
        return _parse(self.lines[k])


def _tickets(lines: Any) -> TicketLines:
    if not isinstance(lines, list):
        raise Unverifiable('"tickets" must be a list of "number:user_id" strings')
    out = TicketLines([str(line) for line in lines])
    for line in out.lines:
        _parse(line)
    return out


def list_lines(data: bytes) -> list[str]:
    """The lines of a downloaded ticket-list file (UTF-8, joined by "\\n", no trailing newline; empty → [])."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unverifiable("the ticket-list file is not UTF-8") from exc
    return text.split("\n") if text else []


def _entry(item: Any, what: str) -> tuple[int, str]:
    if not isinstance(item, dict) or "ticket_number" not in item or "user_id" not in item:
        raise Unverifiable(f"{what} needs ticket_number and user_id")
    return int(item["ticket_number"]), str(item["user_id"])


def _unit_ranks(prizes: Any) -> list[int] | None:
    """Prize ranks in award order (rank 1 first, a prize of quantity q as q units), or None if not published."""
    if not isinstance(prizes, list) or not prizes:
        return None
    try:
        ordered = sorted(((int(p["prize_rank"]), k, int(p.get("quantity", 1))) for k, p in enumerate(prizes)))
    except (KeyError, TypeError, ValueError) as exc:
        raise Unverifiable("prizes need prize_rank (and quantity)") from exc
    return [rank for rank, _, quantity in ordered for _ in range(quantity)]


# ------------------------------------------------------------------------------------------------------ checking
class Report:
    """The outcome of `verify`: one line per check; `ok` is True when every check passed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ok = True

    def check(self, passed: bool, label: str, detail: str = "") -> bool:
        self.lines.append(f"[{'ok' if passed else 'MISMATCH'}] {label}" + (f" — {detail}" if detail else ""))
        self.ok = self.ok and passed
        return passed

    def fail(self, label: str) -> None:
        self.lines.append(f"[CANNOT VERIFY] {label}")
        self.ok = False


def verify(doc: dict[str, Any], ticket_file: bytes | None = None) -> Report:
    """Recompute a results document (module docstring). `ticket_file` is the downloaded ticket-list file (its bytes);
    without it the document's own `tickets` must be the whole list. Never raises for bad data: problems are report
    lines."""
    report = Report()
    try:
        _verify(doc, report, ticket_file)
    except Unverifiable as exc:
        report.fail(str(exc))
    return report


def _listed(doc: dict[str, Any], report: Report, ticket_file: bytes | None) -> tuple[TicketLines, str]:
    """The whole ticket list and the SHA-256 of its text: from the file when given (and the document's page of
    lines must agree with it), else from the document (which must then hold every ticket)."""
    if ticket_file is None:
        tickets = _tickets(doc.get("tickets"))
        total = _field(doc, "total_tickets", "ticket_count")
        if total is not None and int(total) > len(tickets) and (doc.get("tickets_pages") or 0) > 1:
            raise Unverifiable(f"the document shows {len(tickets)} of {total} tickets (one page): download the list "
                               "from ticket_list_url and pass it with --tickets, or verify the results URL")
        text = "\n".join(tickets.lines)
        return tickets, hashlib.sha256(text.encode("utf-8")).hexdigest()
    tickets = TicketLines(list_lines(ticket_file))
    page_lines = doc.get("tickets")
    if isinstance(page_lines, list) and page_lines:
        page, limit = int(doc.get("tickets_page") or 1), int(doc.get("tickets_limit") or len(page_lines))
        start = (page - 1) * limit
        report.check(tickets.lines[start:start + len(page_lines)] == [str(x) for x in page_lines],
                     "the document's page of tickets agrees with the ticket-list file",
                     f"lines {start + 1}–{start + len(page_lines)}")
    return tickets, hashlib.sha256(ticket_file).hexdigest()


def _verify(doc: dict[str, Any], report: Report, ticket_file: bytes | None = None) -> None:
    if not isinstance(doc, dict):
        raise Unverifiable("the results document must be a JSON object")
    drawing_id = _field(doc, "drawing_id", "id")
    if drawing_id is None:
        raise Unverifiable("drawing_id is missing")
    try:
        drawing_id = str(uuid.UUID(str(drawing_id)))
    except ValueError as exc:
        raise Unverifiable("drawing_id is not a UUID") from exc
    commitment, list_hash = doc.get("seed_commitment"), doc.get("ticket_list_hash")
    seed_hex = _field(doc, "server_seed", "server_seed_hex")
    if not commitment:
        raise Unverifiable("seed_commitment is missing (the drawing has not opened)")
    if not list_hash:
        raise Unverifiable("ticket_list_hash is missing (sales have not closed yet)")
    if not seed_hex:
        raise Unverifiable("server_seed is not revealed yet (the drawing has not been drawn)")
    server_seed = _hex(seed_hex, "server_seed")

    report.check(hashlib.sha256(server_seed).hexdigest() == str(commitment).lower(),
                 "SHA-256(server_seed) = seed_commitment", str(commitment))

    tickets, digest = _listed(doc, report, ticket_file)
    previous = None
    ordered = True
    for k in range(len(tickets)):
        number = tickets[k][0]
        if previous is not None and number <= previous:
            ordered = False
            break
        previous = number
    report.check(ordered, "tickets sorted by number, no duplicates", f"{len(tickets)} tickets")
    report.check(digest == str(list_hash).lower(), "SHA-256(ticket list) = ticket_list_hash", str(list_hash))
    total = _field(doc, "total_tickets", "ticket_count")
    if total is not None:
        report.check(int(total) == len(tickets), "ticket count", f"published {total}, listed {len(tickets)}")

    seed = hmac.new(server_seed, f"{drawing_id}:{list_hash}".encode(), hashlib.sha256).digest()
    published_seed = doc.get("draw_seed")
    if published_seed:
        report.check(seed.hex() == str(published_seed).lower(), "draw_seed = HMAC-SHA256(server_seed, id:hash)")

    winners = [_entry(w, "a winner") for w in doc.get("winners") or []]
    alternates = [_entry(w, "an alternate") for w in doc.get("alternates") or []]
    ranks = _unit_ranks(doc.get("prizes"))
    if ranks is not None:
        expected_units = min(len(ranks), len({user for _, user in tickets}))
        report.check(len(winners) == expected_units, "number of winners",
                     f"{len(winners)} published, {expected_units} prize units can be awarded")
    recomputed = distinct_winners(seed, tickets, len(winners) + len(alternates))
    for k, published in enumerate(winners):
        got = recomputed[k] if k < len(recomputed) else None
        label = f"winner {k + 1}: ticket #{published[0]}"
        report.check(got == published, label, "" if got == published else f"recomputed {_show(got)}")
        rank = (doc.get("winners") or [])[k].get("prize_rank")
        if ranks is not None and k < len(ranks) and rank is not None:
            report.check(int(rank) == ranks[k], f"winner {k + 1}: prize rank {rank}")
    for k, published in enumerate(alternates):
        got = recomputed[len(winners) + k] if len(winners) + k < len(recomputed) else None
        report.check(got == published, f"alternate {k + 1}: ticket #{published[0]}",
                     "" if got == published else f"recomputed {_show(got)}")
    if not winners and tickets:
        report.check(False, "winners", "none published although there are tickets")


def _show(entry: tuple[int, str] | None) -> str:
    return "nothing (tickets ran out)" if entry is None else f"ticket #{entry[0]} ({entry[1]})"


# ------------------------------------------------------------------------------------------------------- the CLI
def load(source: str, stdin: TextIO | None = None) -> dict[str, Any]:
    """The JSON document from a file path, an http(s) URL or "-" (standard input). Raises Unverifiable."""
    try:
        if source == "-":
            raw = (stdin or sys.stdin).read()
        elif source.startswith(("http://", "https://")):
            request = urllib.request.Request(source, headers={"Accept": "application/json"})
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
                raw = response.read().decode("utf-8")
        else:
            with open(source, encoding="utf-8") as handle:
                raw = handle.read()
        doc = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise Unverifiable(f"could not read {source}: {exc}") from exc
    if not isinstance(doc, dict):
        raise Unverifiable("the results document must be a JSON object")
    return doc


def load_bytes(source: str) -> bytes:
    """The raw bytes of a file path or an http(s) URL (the ticket-list download). Raises Unverifiable."""
    try:
        if source.startswith(("http://", "https://")):
            request = urllib.request.Request(source, headers={"Accept": "text/plain"})
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
                return bytes(response.read())
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unverifiable(f"could not read the ticket list {source}: {exc}") from exc


def ticket_list_source(doc: dict[str, Any], source: str, explicit: str | None = None) -> str | None:
    """Where to read the whole ticket list: `explicit` (--tickets) when given, else the document's
    `ticket_list_url` (resolved against `source` when that is a URL); None when there is none to follow."""
    if explicit:
        return explicit
    url = doc.get("ticket_list_url")
    if not url:
        return None
    url = str(url)
    if url.startswith(("http://", "https://")):
        return url
    if source.startswith(("http://", "https://")):
        return urllib.parse.urljoin(source, url)
    return None


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Verify one results document; prints one line per check and a verdict. Returns the exit status (0/1)."""
    parser = argparse.ArgumentParser(prog="python -m app.cli.verify_draw", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="results JSON: a file, an http(s) URL of /api/v1/drawings/{id}/results, or -")
    parser.add_argument("--tickets", default=None,
                        help="the ticket-list file (a path or URL; default: the document's ticket_list_url)")
    args = parser.parse_args(argv)
    try:
        doc = load(args.source)
        listing = ticket_list_source(doc, args.source, args.tickets)
        ticket_file = load_bytes(listing) if listing else None
    except Unverifiable as exc:
        print(f"[CANNOT VERIFY] {exc}", file=out)
        print("RESULT: NOT VERIFIED", file=out)
        return 1
    report = verify(doc, ticket_file)
    if listing:
        report.lines.insert(0, f"[info] ticket list read from {listing} ({len(ticket_file or b'')} bytes)")
    name = doc.get("name") or doc.get("drawing_id") or "drawing"
    print(f"Verifying {name} ({doc.get('drawing_id', '?')})", file=out)
    for line in report.lines:
        print(line, file=out)
    print("RESULT: MATCH — the published winners follow from the published data" if report.ok
          else "RESULT: MISMATCH — the published winners do not follow from the published data", file=out)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
