"""One audit log entry as the admin pages show it (the audit log, a member's audit trail)."""

from __future__ import annotations

import json
from datetime import datetime

from nicegui import ui

from domain import audit


def when(moment: datetime | None) -> str:
    """"Nov 21, 2026 14:05" (UTC as stored), or an em dash."""
    return moment.strftime("%b %-d, %Y %H:%M") if moment else "—"


def audit_entry_card(entry: audit.AuditEntry, *, show_target: bool = False) -> None:
    """One audit entry: action, actor, time, IP, and the before/after JSON in an expansion."""
    with ui.column().classes("w-full gap-1 rounded-lg border border-slate-200 p-3"):
        with ui.row(wrap=False).classes("w-full items-center gap-2"):
            ui.badge(entry.action, color="primary").props("outline").classes("font-mono")
            ui.space()
            ui.label(when(entry.created_at) + " UTC").classes("text-xs text-slate-500 whitespace-nowrap")
        actor = entry.actor_name or entry.actor_email or ("System" if entry.actor_id is None else str(entry.actor_id))
        line = f"by {actor}" + (f" · {entry.ip_address}" if entry.ip_address else "")
        if show_target and entry.target_type == "user" and entry.target_id:
            with ui.row().classes("w-full items-baseline gap-1 text-xs text-slate-500 break-all"):
                ui.label(f"{line} · user")
                ui.link(entry.target_id, f"/admin/users/{entry.target_id}").classes("text-primary break-all")
        else:
            if show_target and entry.target_type:
                line += f" · {entry.target_type} {entry.target_id or ''}"
            ui.label(line).classes("text-xs text-slate-500 break-all")
        reason = (entry.after_state or {}).get("reason")
        if reason:
            ui.label(f"“{reason}”").classes("text-sm text-slate-700 whitespace-normal")
        with ui.expansion("Before / after", icon="data_object").classes("w-full text-sm bg-slate-50 rounded-lg") \
                .props("dense"):
            ui.code(json.dumps({"before": entry.before_state, "after": entry.after_state}, indent=2, sort_keys=True,
                               default=str), language="json").classes("w-full text-xs")
