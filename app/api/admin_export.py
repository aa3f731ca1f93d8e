"""CSV exports for admins (issue 7 §10): `GET /api/v1/admin/export/{users|ledger|tickets|winners|audit}.csv`,
`text/csv`, streamed chunk by chunk (`app.web.downloads`), never built in memory. Each export is audited
(`export.<kind>`). Filters are query parameters; one that does not apply to the export is a 400 problem.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from app.api.deps import AdminUser, SystemDep, client_ip
from app.web.deps import AuditFilterDep
from app.web.downloads import Kind, export_filters, export_response
from domain.shared.enums import Role, UserStatus

router = APIRouter(prefix="/admin", tags=["admin"])

@router.get("/export/{kind}.csv", summary="Export as CSV (admin)", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The CSV file, header row first"},
                       400: {"description": "A filter that does not apply to this export"}})
def admin_export(
    kind: Kind,
    request: Request,
    audit: AuditFilterDep,
    admin: AdminUser,
    system: SystemDep,
    q: str | None = Query(None, max_length=254, description="users: email or display name contains (any case)"),
    role: Role | None = Query(None, description="users: only this role"),
    status: UserStatus | None = Query(None, description="users: only this status"),
    user_id: uuid.UUID | None = Query(None, description="ledger, tickets: one member"),
    drawing_id: uuid.UUID | None = Query(None, description="tickets, winners: one drawing"),
    include_forfeited: bool = Query(False, description="winners: also forfeited wins"),
) -> StreamingResponse:
    """Columns per export: users (account, profile, points), ledger (every entry), tickets (drawing, number, member,
    free entry, winner), winners (state filing format: name, address, prize, value, drawing), audit (who, what,
    when, before/after JSON, IP). `since`/`until` apply to the ledger (entry time) and the audit log."""
    filters = export_filters(kind, q, role, status, user_id, drawing_id, audit.since, audit.until, include_forfeited,
                             audit)
    return export_response(system, kind, filters, admin_id=admin.id, ip_address=client_ip(request))
