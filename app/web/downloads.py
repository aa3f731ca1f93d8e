"""Downloads. The frozen ticket list of a drawing (issue 12 §5, `ticket_list_response`: a file whose SHA-256 is the
published hash). CSV downloads of the admin exports (issue 7 §10): `domain.admin.exports` row chunks encoded with the
`csv` module and streamed chunk by chunk (a `StreamingResponse`), so an export of any size never sits in memory.

Used by the JSON API (`GET /api/v1/admin/export/{kind}.csv`, Bearer admin) and by the admin pages (the same
download at `/admin/export/{kind}.csv`, browser session). Every export is an admin action and leaves an audit entry
(`export.<kind>` with its filters). Text cells that a spreadsheet would run as a formula (starting with `=`, `+`,
`-`, `@`, tab or carriage return) get a leading `'` (OWASP "CSV injection"); numbers are written as they are.
Reads and the audit entry go through the caller's `System`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from app.adapters.ticket_lists import TicketListFiles, repr_digest
from app.web.auth import REQUEST_USER
from app.web.deps import AuditFilterDep, SystemDep, client_ip
from domain import audit
from domain.admin import exports
from domain.audit import AuditFilter
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import DomainError, InvalidInput, NotFound
from domain.sweepstakes import views

if TYPE_CHECKING:
    from app.system import System

MEDIA_TYPE: Final = "text/csv; charset=utf-8"
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: exports.Cell) -> exports.Cell:
    """`value` with a leading `'` when it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def filename(kind: str, now: datetime) -> str:
    """`fittrack-<kind>-<YYYYMMDD-HHMM>.csv` for the aware UTC time `now`."""
    return f"fittrack-{kind}-{now:%Y%m%d-%H%M}.csv"


def _audit_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None or value is False:
            continue
        out[key] = {k: v for k, v in dataclasses.asdict(value).items() if v not in (None, False)} \
            if isinstance(value, AuditFilter) else value
    return out


def csv_chunks(system: System, kind: str, filters: dict[str, Any],
               chunk_rows: int = exports.CHUNK_ROWS) -> Iterator[bytes]:
    """The CSV (UTF-8, header first) of export `kind`, one `bytes` block per chunk of rows, read in a read session
    that lives as long as the iteration."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(exports.HEADERS[kind])
    yield buffer.getvalue().encode()
    with system.read() as session:
        for chunk in exports.rows(session, kind, filters, chunk_rows=chunk_rows):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([safe_cell(value) for value in row] for row in chunk)
            yield buffer.getvalue().encode()


def export_response(system: System, kind: str, filters: dict[str, Any], *, admin_id: uuid.UUID,
                    ip_address: str | None) -> StreamingResponse:
    """Validate `kind` and `filters` (raises `domain.shared.errors.InvalidInput` before anything is sent), record the
    `export.<kind>` audit entry (committed), then stream the CSV as an attachment. Blocking: call from a worker
    thread (FastAPI runs sync routes there)."""
    with system.read() as session:
        exports.rows(session, kind, filters)  # validates; the generator is never started
    with system.uow() as uow:
        audit.record(uow, actor_id=admin_id, action=f"export.{kind}", target_type="export", target_id=kind,
                     after={"filters": _audit_filters(filters)}, ip_address=ip_address, clock=system.clock)
    return StreamingResponse(csv_chunks(system, kind, filters), media_type=MEDIA_TYPE,
                             headers={"Content-Disposition": f'attachment; filename="{filename(kind, system.clock())}"',
                                      "Cache-Control": "no-store"})


Kind = Literal["users", "ledger", "tickets", "winners", "audit"]


def export_filters(
    kind: str,
    q: str | None = None,
    role: Role | None = None,
    status: UserStatus | None = None,
    user_id: uuid.UUID | None = None,
    drawing_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_forfeited: bool = False,
    audit: AuditFilter | None = None,
) -> dict[str, Any]:
    """The `domain.admin.exports.rows` filters for `kind` from the given values (None/False values are left out, so an
    inapplicable filter that was given reaches the domain and is refused there)."""
    if kind == "audit":
        if q or role or status or user_id or drawing_id or include_forfeited:
            raise InvalidInput("The audit export takes actor_id, system, action, target_type, target_id, since and "
                               "until")
        return {"audit_filter": audit}
    if audit is not None and (audit.actor_id or audit.system_only or audit.action or audit.target_type
                              or audit.target_id):
        raise InvalidInput(f"actor_id, system, action, target_type and target_id filter the audit export, not {kind}")
    values: dict[str, Any] = {"q": (q or "").strip() or None, "role": role.value if role else None,
                              "status": status.value if status else None,
                              "user_id": user_id, "drawing_id": drawing_id, "since": since, "until": until,
                              "include_forfeited": include_forfeited or None}
    return {key: value for key, value in values.items() if value is not None}


# --- the frozen ticket list of a drawing (public; issue 12 §5) ---------------------------------------------------
TICKET_LIST_MEDIA_TYPE: Final = "text/plain; charset=utf-8"


def ticket_list_filename(drawing_id: uuid.UUID) -> str:
    """`tickets-<drawing id>.txt`."""
    return f"tickets-{drawing_id}.txt"


def ticket_list_response(system: System, drawing_id: uuid.UUID, if_none_match: str | None = None) -> Response:
    """The frozen ticket list of a closed or completed drawing as a file download (PRODUCT.md §6 step 2: the lines
    `"number:user_id"` joined by "\\n", UTF-8, no trailing newline), byte for byte what was hashed: its SHA-256 is the
    published `ticket_list_hash`, sent as the strong `ETag` (`"<hex>"`) and as `Repr-Digest: sha-256=:<base64>:`
    (RFC 9530). `If-None-Match` with that ETag → 304. Served from the content-addressed file
    (`app.adapters.ticket_lists`; written at close, or streamed from the database on this machine's first request),
    with byte ranges, so a 1,000,000-ticket list (≈ 45 MB) never sits in memory. Raises NotFound (unknown drawing,
    a draft, or a list not frozen yet: sales still open), Conflict (the tickets no longer match the published hash).
    Blocking: call from a worker thread."""
    with system.read() as session:
        drawing = views.public_drawing(session, drawing_id)[0]
        list_hash = drawing.ticket_list_hash
        if not list_hash:
            raise NotFound(f"drawing {drawing_id} has no frozen ticket list yet (sales close first)")
        etag = f'"{list_hash}"'
        headers = {"ETag": etag, "Repr-Digest": repr_digest(list_hash),
                   "Cache-Control": "public, max-age=31536000, immutable"}
        if if_none_match and etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}:
            return Response(status_code=304, headers=headers)
        path = TicketListFiles.under(system.settings.media_dir).ensure(session, drawing)
    return FileResponse(path, media_type=TICKET_LIST_MEDIA_TYPE, filename=ticket_list_filename(drawing_id),
                        headers=headers)


# --- the admin pages' download route (browser session) ----------------------------------------------------------
router = APIRouter()


@router.get("/admin/export/{kind}.csv", include_in_schema=False)
async def admin_page_export(
    kind: Kind,
    request: Request,
    system: SystemDep,
    audit: AuditFilterDep,
    q: str | None = Query(None, max_length=254),
    role: Role | None = Query(None),
    status: UserStatus | None = Query(None),
    user_id: uuid.UUID | None = Query(None),
    drawing_id: uuid.UUID | None = Query(None),
    include_forfeited: bool = Query(False),
) -> Response:
    """The CSV download behind the pages' export buttons (browser session; the page guard already refused
    non-admins and resolved the user into `request.state`), on the app's `System`."""
    user = getattr(request.state, REQUEST_USER, None)
    if user is None or user.role != Role.admin.value:
        return PlainTextResponse("Administrator role required", status_code=403)
    try:
        filters = export_filters(kind, q, role, status, user_id, drawing_id, audit.since, audit.until,
                                 include_forfeited, audit)
        response = await run_in_threadpool(export_response, system, kind, filters, admin_id=user.id,
                                           ip_address=client_ip(request))
    except DomainError as exc:
        return PlainTextResponse(exc.detail, status_code=400)
    return response
