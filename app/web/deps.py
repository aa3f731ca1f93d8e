"""FastAPI dependencies of the web plumbing, shared by the JSON API (`app.api.deps` re-exports them), the Terra
webhook route and the pages' CSV downloads: the `System` of this process, the caller's IP and the audit-log filter
from query parameters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from app.system import System
from domain import audit


async def get_system(request: Request) -> System:
    """The `System` the app was built with (`app.main.install` puts it on `app.state.system`). Async: it does no
    I/O, so FastAPI resolves it on the event loop instead of spending a worker-thread hop on it (issue 12 §1)."""
    return request.app.state.system  # type: ignore[no-any-return]


SystemDep = Annotated[System, Depends(get_system)]


def client_ip(request: Request) -> str | None:
    """The caller's IP address as the server sees it (kept in audit entries), or None."""
    return request.client.host if request.client else None


def audit_filter(
    actor_id: uuid.UUID | None = Query(None, description="Entries by this admin"),
    system: bool = Query(False, description="Only entries without an actor (scheduled steps)"),
    action: str | None = Query(None, max_length=64,
                               description="Exact action (`user.suspend`) or a prefix ending in `.` (`user.`)"),
    target_type: str | None = Query(None, max_length=32),
    target_id: str | None = Query(None, max_length=64),
    since: datetime | None = Query(None, description="From (inclusive), ISO 8601 with timezone"),
    until: datetime | None = Query(None, description="To (exclusive), ISO 8601 with timezone"),
) -> audit.AuditFilter:
    """The audit-log filter from query parameters (the audit log API and the audit CSV exports)."""
    return audit.AuditFilter(actor_id=actor_id, system_only=system, action=action, target_type=target_type,
                             target_id=target_id, since=since, until=until)


AuditFilterDep = Annotated[audit.AuditFilter, Depends(audit_filter)]
