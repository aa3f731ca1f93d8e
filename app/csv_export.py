"""CSV downloads of the admin exports (issue 7 §10): `domain.exports` row chunks encoded with the `csv` module and
streamed chunk by chunk (a `StreamingResponse`), so an export of any size never sits in memory.

Used by the JSON API (`GET /api/v1/admin/export/{kind}.csv`, Bearer admin) and by the admin pages (the same
download at `/admin/export/{kind}.csv`, browser session). Every export is an admin action and leaves an audit entry
(`export.<kind>` with its filters). Text cells that a spreadsheet would run as a formula (starting with `=`, `+`,
`-`, `@`, tab or carriage return) get a leading `'` (OWASP "CSV injection"); numbers are written as they are.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Iterator
from typing import Any, Final

from starlette.responses import StreamingResponse

from app.db import read_session, write_session
from domain import audit, exports
from domain.audit_log import AuditFilter
from domain.types import utcnow

MEDIA_TYPE: Final = "text/csv; charset=utf-8"
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: exports.Cell) -> exports.Cell:
    """`value` with a leading `'` when it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def filename(kind: str) -> str:
    """`fittrack-<kind>-<YYYYMMDD-HHMM>.csv` (UTC)."""
    return f"fittrack-{kind}-{utcnow():%Y%m%d-%H%M}.csv"


def _audit_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None or value is False:
            continue
        out[key] = {k: v for k, v in dataclasses.asdict(value).items() if v not in (None, False)} \
            if isinstance(value, AuditFilter) else value
    return out


def csv_chunks(kind: str, filters: dict[str, Any], chunk_rows: int = exports.CHUNK_ROWS) -> Iterator[bytes]:
    """The CSV (UTF-8, header first) of export `kind`, one `bytes` block per chunk of rows, read in a read session
    that lives as long as the iteration."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(exports.HEADERS[kind])
    yield buffer.getvalue().encode()
    with read_session() as session:
        for chunk in exports.rows(session, kind, filters, chunk_rows=chunk_rows):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([safe_cell(value) for value in row] for row in chunk)
            yield buffer.getvalue().encode()


def export_response(kind: str, filters: dict[str, Any], *, admin_id: uuid.UUID, ip_address: str | None,
                    ) -> StreamingResponse:
    """Validate `kind` and `filters` (raises `domain.errors.InvalidInput` before anything is sent), record the
    `export.<kind>` audit entry (committed), then stream the CSV as an attachment. Blocking: call from a worker
    thread (FastAPI runs sync routes there)."""
    with read_session() as session:
        exports.rows(session, kind, filters)  # validates; the generator is never started
    with write_session() as session:
        audit.record(session, actor_id=admin_id, action=f"export.{kind}", target_type="export", target_id=kind,
                     after={"filters": _audit_filters(filters)}, ip_address=ip_address)
    return StreamingResponse(csv_chunks(kind, filters), media_type=MEDIA_TYPE,
                             headers={"Content-Disposition": f'attachment; filename="{filename(kind)}"',
                                      "Cache-Control": "no-store"})
