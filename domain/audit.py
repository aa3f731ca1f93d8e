"""The admin audit log (PRODUCT.md §7): one append-only `audit_logs` row per admin action or drawing step.

Every service that changes state on an admin's behalf calls `record` inside its own transaction, so the action and
its audit entry commit together or not at all. Rows are never updated or deleted (database triggers refuse it,
`migrations/guards.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from domain.models import AuditLog
from domain.types import utcnow

Clock = Callable[[], datetime]

ACTION_MAX_CHARS = 64


def _jsonable(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Mapping):
            value = _jsonable(value)
        out[str(key)] = value
    return out


def record(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
    clock: Clock = utcnow,
) -> AuditLog:
    """Append one audit entry and flush it (not committed: the caller's transaction commits it with the action).

    `actor_id` is the admin (None for the system, e.g. a scheduled drawing step); `action` is a dotted slug such as
    `"user.suspend"` or `"drawing.executed"` (≤ 64 chars); `before`/`after` are JSON-able snapshots (UUIDs and
    datetimes are converted to strings). Raises ValueError for an empty or over-long action."""
    if not action or len(action) > ACTION_MAX_CHARS:
        raise ValueError(f"an audit action of 1–{ACTION_MAX_CHARS} characters is required")
    entry = AuditLog(actor_id=actor_id, action=action, target_type=target_type,
                     target_id=str(target_id) if target_id is not None else None,
                     before_state=_jsonable(before), after_state=_jsonable(after),
                     ip_address=ip_address, created_at=clock())
    session.add(entry)
    session.flush()
    return entry
