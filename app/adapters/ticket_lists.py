"""Frozen ticket lists as files (issue 12 §5; PRODUCT.md §6 step 2): the published list of a closed drawing, byte for
byte as hashed, so anyone can download it and check that its SHA-256 is the published `ticket_list_hash`.

Files are content-addressed — `<settings.media_dir>/ticket-lists/<drawing id>/<sha-256>.txt` — and written through a
temporary file that is renamed into place only once its own SHA-256 is known, so a file under a hash always has that
hash (a close that rolled back after writing leaves a correct, merely unused file). The close step writes the file
while it streams and hashes the list (`TicketListFiles.writer` as the `sink` of
`domain.sweepstakes.drawings.close_drawing`); an instance that has no copy (another machine closed the drawing)
re-streams it from the database on the first download (`TicketListFiles.ensure`) and checks the hash.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from sqlmodel import Session

from domain.models import Drawing
from domain.shared.errors import Conflict, NotFound
from domain.sweepstakes import drawings

SUBDIR: Final = "ticket-lists"


def repr_digest(list_hash: str) -> str:
    """The RFC 9530 `Repr-Digest` field value of a list whose hex SHA-256 is `list_hash`: `sha-256=:<base64>:`."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(list_hash)).decode()}:"


class HashingWriter:
    """A binary file being written that hashes what goes through it (`write(data)`; `hexdigest()`, `size` bytes)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._sha = hashlib.sha256()
        self.size = 0
        self.used = False

    def write(self, data: bytes, /) -> int:
        """Write and hash `data`; returns its length."""
        self.used = True
        self._sha.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def hexdigest(self) -> str:
        """Hex SHA-256 of everything written so far."""
        return self._sha.hexdigest()


class TicketListFiles:
    """The ticket-list files under `root` (module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def under(cls, media_dir: Path) -> TicketListFiles:
        """The store in `media_dir/ticket-lists` (the app's `settings.media_dir`)."""
        return cls(media_dir / SUBDIR)

    def path(self, drawing_id: uuid.UUID, list_hash: str) -> Path:
        """Where the list of `drawing_id` with hash `list_hash` lives (it may not exist). Raises ValueError for a
        hash that is not 64 hex digits."""
        if len(list_hash) != 64 or any(c not in "0123456789abcdef" for c in list_hash):
            raise ValueError("a ticket-list hash is 64 lowercase hex digits")
        return self.root / str(uuid.UUID(str(drawing_id))) / f"{list_hash}.txt"

    @contextmanager
    def writer(self, drawing_id: uuid.UUID, *, keep_empty: bool = False) -> Iterator[HashingWriter]:
        """A `HashingWriter` on a temporary file for `drawing_id`'s list; on a clean exit the file is renamed to
        `path(drawing_id, its own SHA-256)` (nothing is kept when nothing was written, unless `keep_empty`); on an
        exception it is deleted."""
        folder = self.root / str(uuid.UUID(str(drawing_id)))
        folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".part-", suffix=".txt", delete=False)  # noqa: SIM115
        out = HashingWriter(handle)
        try:
            yield out
            handle.close()
            if out.used or keep_empty:
                os.chmod(handle.name, 0o644)  # a public file (temporary files are created 0600)
                os.replace(handle.name, self.path(drawing_id, out.hexdigest()))
            else:
                os.unlink(handle.name)
        except BaseException:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
            raise

    def ensure(self, session: Session, drawing: Drawing) -> Path:
        """The file of `drawing`'s frozen list, written from the database (streamed, `drawings.freeze`) when this
        machine has none yet. Raises NotFound when the list is not frozen (no `ticket_list_hash`: not closed yet),
        Conflict when the tickets in the database no longer hash to the published value (nothing is kept then)."""
        list_hash = drawing.ticket_list_hash
        if not list_hash:
            raise NotFound(f"drawing {drawing.id} has no frozen ticket list yet")
        target = self.path(drawing.id, list_hash)
        if target.exists():
            return target
        with self.writer(drawing.id, keep_empty=True) as out:
            frozen = drawings.freeze(session, drawing.id, sink=out)
        if frozen.list_hash != list_hash:
            self.path(drawing.id, frozen.list_hash).unlink(missing_ok=True)
            raise Conflict(f"drawing {drawing.id}: the ticket list no longer matches its published hash")
        return target
