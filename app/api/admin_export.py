"""CSV exports for admins (issue 7 §10): `GET /api/v1/admin/export/{users|ledger|tickets|winners|audit}.csv`,
`text/csv`, streamed chunk by chunk (`app.csv_export`), never built in memory. Each export is audited
(`export.<kind>`). Filters are query parameters; one that does not apply to the export is a 400 problem.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import StreamingResponse

from app.api.admin_users import audit_filter
from app.api.deps import require_admin
from app.csv_export import export_response
from domain.audit_log import AuditFilter
from domain.enums import Role, UserStatus
from domain.errors import InvalidInput
from domain.models import User

router = APIRouter(prefix="/admin", tags=["admin"])

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
    """The `domain.exports.rows` filters for `kind` from the given values (None/False values are left out, so an
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


@router.get("/export/{kind}.csv", summary="Export as CSV (admin)", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The CSV file, header row first"},
                       400: {"description": "A filter that does not apply to this export"}})
def admin_export(
    kind: Kind,
    request: Request,
    q: str | None = Query(None, max_length=254, description="users: email or display name contains (any case)"),
    role: Role | None = Query(None, description="users: only this role"),
    status: UserStatus | None = Query(None, description="users: only this status"),
    user_id: uuid.UUID | None = Query(None, description="ledger, tickets: one member"),
    drawing_id: uuid.UUID | None = Query(None, description="tickets, winners: one drawing"),
    include_forfeited: bool = Query(False, description="winners: also forfeited wins"),
    audit: AuditFilter = Depends(audit_filter),
    admin: User = Depends(require_admin),
) -> StreamingResponse:
    """Columns per export: users (account, profile, points), ledger (every entry), tickets (drawing, number, member,
    free entry, winner), winners (state filing format: name, address, prize, value, drawing), audit (who, what,
    when, before/after JSON, IP). `since`/`until` apply to the ledger (entry time) and the audit log."""
    filters = export_filters(kind, q, role, status, user_id, drawing_id, audit.since, audit.until, include_forfeited,
                             audit)
    return export_response(kind, filters, admin_id=admin.id,
                           ip_address=request.client.host if request.client else None)
