"""The admin audit log (PRODUCT.md §7 "audit log (every admin action: who, what, when, before/after, immutable)"):
one append-only `audit_logs` row per admin action or drawing step.

- Writing: every service that changes state on an admin's behalf calls `record` inside its own transaction, so the
  action and its audit entry commit together or not at all.
- Reading: `list_entries` / `AuditFilter` filter by actor, action, target and time, newest first, one page at a time.

Rows are never updated or deleted (database triggers refuse it, `migrations/guards.py`); nothing offers to change
them."""


from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from domain.models import AuditLog, Profile, User
from domain.shared.errors import InvalidInput
from domain.shared.types import utcnow

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


# --- reading -----------------------------------------------------------------------------------------------------

MAX_LIMIT = 100


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show; every field is optional (None = no restriction).

    - `actor_id`: the admin who acted; `system_only=True` instead selects entries without an actor (scheduled steps).
    - `action`: an exact action (`"user.suspend"`) or a prefix ending in "." (`"user."` = every user action).
    - `target_type` / `target_id`: exact (e.g. `"user"` and the member's id as a string).
    - `since` (inclusive) / `until` (exclusive): aware UTC datetimes."""

    actor_id: uuid.UUID | None = None
    system_only: bool = False
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """The SQL conditions of this filter (shared by the list and the CSV export). Raises InvalidInput when
        `since` is not before `until` or a datetime is naive."""
        for moment in (self.since, self.until):
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput("Times must include a timezone (UTC)", field="since")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidInput("The start of the period must be before its end", field="since")
        out: list[sa.ColumnElement[bool]] = []
        if self.system_only:
            out.append(col(AuditLog.actor_id).is_(None))
        elif self.actor_id is not None:
            out.append(col(AuditLog.actor_id) == self.actor_id)
        action = (self.action or "").strip()
        if action.endswith("."):
            out.append(col(AuditLog.action).startswith(action, autoescape=True))
        elif action:
            out.append(col(AuditLog.action) == action)
        if self.target_type:
            out.append(col(AuditLog.target_type) == self.target_type.strip())
        if self.target_id:
            out.append(col(AuditLog.target_id) == self.target_id.strip())
        if self.since is not None:
            out.append(col(AuditLog.created_at) >= self.since)
        if self.until is not None:
            out.append(col(AuditLog.created_at) < self.until)
        return out


@dataclass(frozen=True)
class AuditEntry:
    """One audit row with the actor's email and display name (None for system entries or erased actors)."""

    id: uuid.UUID
    created_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str | None
    actor_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before_state: dict[str, Any] | None
    after_state: dict[str, Any] | None
    ip_address: str | None


def _entries_query() -> Select[AuditLog, str, str | None]:
    return (
        select(AuditLog, col(User.email), col(Profile.display_name))
        .select_from(AuditLog)
        .join(User, col(User.id) == col(AuditLog.actor_id), isouter=True)
        .join(Profile, col(Profile.user_id) == col(AuditLog.actor_id), isouter=True)
    )


def _entry(row: AuditLog, email: str | None, name: str | None) -> AuditEntry:
    return AuditEntry(id=row.id, created_at=row.created_at, actor_id=row.actor_id, actor_email=email,
                      actor_name=name, action=row.action, target_type=row.target_type, target_id=row.target_id,
                      before_state=row.before_state, after_state=row.after_state, ip_address=row.ip_address)


def list_entries(session: Session, audit_filter: AuditFilter | None = None, *, page: int = 1, limit: int = 20,
                 ) -> tuple[list[AuditEntry], int]:
    """One page of audit entries matching `audit_filter`, newest first (ties by id), and the total matching count.
    Raises InvalidInput for `page` < 1, `limit` outside 1..100, or a bad filter (see `AuditFilter.conditions`)."""
    if page < 1 or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"page must be ≥ 1 and limit between 1 and {MAX_LIMIT}")
    conditions = (audit_filter or AuditFilter()).conditions()
    total = session.exec(select(sa.func.count()).select_from(AuditLog).where(*conditions)).one()
    rows = session.exec(
        _entries_query().where(*conditions)
        .order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc())
        .offset((page - 1) * limit).limit(limit)
    ).all()
    return [_entry(entry, email, name) for entry, email, name in rows], int(total)


def actions(session: Session) -> list[str]:
    """Every distinct action in the log, sorted (for filter menus)."""
    return sorted(session.exec(select(col(AuditLog.action)).distinct()).all())


def target_types(session: Session) -> list[str]:
    """Every distinct target type in the log, sorted (for filter menus)."""
    return sorted(t for t in session.exec(select(col(AuditLog.target_type)).distinct()).all() if t)


def actors(session: Session) -> list[tuple[uuid.UUID, str]]:
    """`(actor id, "Display name <email>")` for every admin who appears in the log, by label (for filter menus)."""
    rows = session.exec(
        select(col(User.id), col(User.email), col(Profile.display_name))
        .join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
        .where(col(User.id).in_(select(col(AuditLog.actor_id)).distinct().where(col(AuditLog.actor_id).is_not(None))))
    ).all()
    labelled = [(uid, f"{name} <{email}>" if name else email) for uid, email, name in rows]
    return sorted(labelled, key=lambda pair: pair[1].lower())
