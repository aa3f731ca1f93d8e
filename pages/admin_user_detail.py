"""`/admin/users/{id}` — one member as admins see them (issue 7 §4, PRODUCT.md §7): profile, points, connections,
ledger, tickets, flags and the audit trail; suspend / ban / reactivate and point adjustments through dialogs that
require a reason (`app.moderation`: the member is emailed, every action audited), and role changes
(`domain.roles.set_role`). Ledger and tickets export as CSV (`/admin/export/{kind}.csv`, streamed).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler starts with
`require_admin_event()` (UI events bypass HTTP middleware). Database work runs in worker threads.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from nicegui import background_tasks, run, ui

from app import moderation as moderation_actions
from app.web_auth import current_user, require_admin_event
from components.db_calls import read, write
from components.dialogs import client_ip
from components.frame import frame
from components.notice import notice
from components.theme import NO_DATA_SLOT
from domain import audit_log, moderation, roles
from domain.enums import Role, UserStatus
from domain.errors import DomainError

PAGE_SIZE = 15
STATUS_COLORS = {"active": "positive", "pending": "warning", "suspended": "orange", "banned": "negative",
                 "deleted": "grey"}
ROLE_COLORS = {"admin": "accent", "premium": "info", "user": "secondary"}
STATUS_DIALOGS = {  # status → (title, button, colour, what happens)
    "suspended": ("Suspend this member?", "Suspend", "orange",
                  "They are signed out everywhere and cannot sign in until reactivated. Their tickets stay in their "
                  "drawings. They get an email (your reason is not in it)."),
    "banned": ("Ban this member?", "Ban", "negative",
               "They are signed out everywhere and can no longer sign in. Their tickets stay in their drawings. "
               "They get an email (your reason is not in it)."),
    "active": ("Reactivate this member?", "Reactivate", "positive",
               "They can sign in again (an account that never verified its email goes back to pending). They get "
               "an email."),
}
LEDGER_COLUMNS = [
    {"name": "created", "label": "When (UTC)", "field": "created", "align": "left"},
    {"name": "type", "label": "Type", "field": "type", "align": "left"},
    {"name": "amount", "label": "Points", "field": "amount", "align": "right"},
    {"name": "balance", "label": "Balance", "field": "balance", "align": "right", "headerClasses": "max-sm:hidden",
     "classes": "max-sm:hidden"},
    {"name": "description", "label": "Description", "field": "description", "align": "left",
     "classes": "whitespace-normal max-sm:hidden", "headerClasses": "max-sm:hidden"},
]
TICKET_COLUMNS = [
    {"name": "drawing", "label": "Drawing", "field": "drawing", "align": "left", "classes": "whitespace-normal"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "tickets", "label": "Tickets", "field": "tickets", "align": "right"},
    {"name": "numbers", "label": "Numbers", "field": "numbers", "align": "left", "classes": "max-sm:hidden",
     "headerClasses": "max-sm:hidden"},
    {"name": "wins", "label": "Wins", "field": "wins", "align": "right"},
]


def _when(moment: Any) -> str:
    return moment.strftime("%b %-d, %Y %H:%M") if moment else "—"


def _trail(session: Any, user_id: uuid.UUID) -> list[audit_log.AuditEntry]:
    entries, _ = audit_log.list_entries(session, audit_log.AuditFilter(target_type="user", target_id=str(user_id)),
                                        limit=50)
    return entries


def export_button(label: str, url: str, marker: str) -> ui.button:
    """A "CSV" button that downloads `url` (an `/admin/export/...` stream) in the browser."""

    async def download() -> None:
        await require_admin_event()
        ui.download.from_url(url)

    return ui.button(label, icon="download", on_click=download).props("flat dense no-caps color=primary") \
        .mark(marker)


class paged_table:  # noqa: N801
    """A table with a pager whose `load()` reads one page with `fetch(page)` → (rows, total)."""

    def __init__(self, columns: list[dict], fetch: Callable[[int], Any], empty: str, marker: str) -> None:
        self.fetch = fetch
        self.page = 1
        self.table = ui.table(columns=columns, rows=[], row_key="id", pagination=0) \
            .props(f'flat dense hide-pagination loading no-data-label="{empty}"').classes("w-full ft-table") \
            .mark(marker)
        self.table.add_slot("no-data", NO_DATA_SLOT)
        self.pager = ui.pagination(1, 1, direction_links=True, value=1, on_change=self._page_changed) \
            .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").classes("self-center")
        self.pager.visible = False

    async def _page_changed(self, event: Any) -> None:
        await require_admin_event()
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        self.table.props("loading")
        try:
            rows, total = await self.fetch(self.page)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        finally:
            self.table.props(remove="loading")
        self.table.rows = rows
        self.table.update()
        self.pager.max = max(math.ceil(total / PAGE_SIZE), 1)
        self.pager.visible = total > PAGE_SIZE


class member_view:  # noqa: N801
    """The member's header card with actions, and the tabs below it."""

    def __init__(self, user_id: uuid.UUID, admin_id: uuid.UUID) -> None:
        self.user_id = user_id
        self.admin_id = admin_id
        self.detail: moderation.MemberDetail | None = None
        with ui.row().classes("w-full items-center gap-2"):
            ui.link("Users", "/admin/users").classes("text-sm text-primary no-underline")
            ui.icon("chevron_right", size="xs").classes("text-slate-400")
            self.crumb = ui.label("Member").classes("text-sm text-slate-500 truncate")
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("person_off", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-4")
        self.body.visible = False
        with self.body:
            self._header_card()
            self._tabs()

    # --- layout ---------------------------------------------------------------------------------------------------

    def _header_card(self) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-3"):
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                self.initial = ui.label().classes(
                    "shrink-0 w-12 h-12 rounded-full bg-primary/10 text-primary text-xl font-bold "
                    "flex items-center justify-center")
                with ui.column().classes("gap-0 min-w-0 grow"):
                    self.name = ui.label().classes("text-lg font-semibold text-slate-900 truncate max-w-full") \
                        .mark("member-name")
                    self.email = ui.label().classes("text-sm text-slate-500 max-w-full break-all")
                    with ui.row().classes("items-center gap-1 pt-1"):
                        self.status_badge = ui.badge().mark("member-status")
                        self.role_badge = ui.badge().props("outline").mark("member-role")
                        self.tier_badge = ui.badge(color="grey-7").props("outline")
            with ui.grid().classes("w-full grid-cols-2 sm:grid-cols-4 gap-2"):
                self.stats = {key: self._stat(label) for key, label in (
                    ("balance", "Balance"), ("earned", "Earned"), ("tickets", "Tickets"), ("wins", "Wins"))}
            self.meta = ui.label().classes("text-xs text-slate-500")
            with ui.row().classes("w-full gap-2"):
                ui.button("Adjust points", icon="exposure", on_click=self.adjust_dialog) \
                    .props("unelevated no-caps dense color=primary").classes("px-3").mark("adjust")
                ui.button("Change role", icon="badge", on_click=self.role_dialog) \
                    .props("outline no-caps dense color=primary").classes("px-3").mark("role")
                ui.space()
                self.suspend_button = ui.button("Suspend", icon="pause_circle",
                                                on_click=lambda: self.status_dialog("suspended")) \
                    .props("outline no-caps dense color=orange").classes("px-3").mark("suspend")
                self.ban_button = ui.button("Ban", icon="block", on_click=lambda: self.status_dialog("banned")) \
                    .props("outline no-caps dense color=negative").classes("px-3").mark("ban")
                self.reactivate_button = ui.button("Reactivate", icon="play_circle",
                                                   on_click=lambda: self.status_dialog("active")) \
                    .props("unelevated no-caps dense color=positive").classes("px-3").mark("reactivate")

    def _stat(self, label: str) -> ui.label:
        with ui.column().classes("gap-0 rounded-lg bg-slate-50 px-3 py-2"):
            ui.label(label).classes("text-xs text-slate-500")
            return ui.label("—").classes("text-lg font-semibold ft-num text-slate-900")

    def _tabs(self) -> None:
        uid = self.user_id
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.tabs().props("dense align=left no-caps active-color=primary indicator-color=primary "
                                 "outside-arrows mobile-arrows") \
                    .classes("w-full text-slate-600 border-b border-slate-200") as tabs:
                ledger_tab = ui.tab("Ledger", icon="receipt_long")
                tickets_tab = ui.tab("Tickets", icon="confirmation_number")
                connections_tab = ui.tab("Connections", icon="watch")
                flags_tab = ui.tab("Flags", icon="flag")
                audit_tab = ui.tab("Audit trail", icon="history")
            with ui.tab_panels(tabs, value=ledger_tab).classes("w-full").props("animated=false"):
                with ui.tab_panel(ledger_tab).classes("p-0"):
                    with ui.row().classes("w-full items-center px-3 pt-2"):
                        ui.label("Every entry, newest first").classes("text-sm text-slate-500")
                        ui.space()
                        export_button("CSV", f"/admin/export/ledger.csv?user_id={uid}", "export-ledger")
                    self.ledger = paged_table(LEDGER_COLUMNS, self._ledger_page, "No ledger entries yet",
                                              "ledger-table")
                with ui.tab_panel(tickets_tab).classes("p-0"):
                    with ui.row().classes("w-full items-center px-3 pt-2"):
                        ui.label("Tickets stay valid when a member is suspended or banned") \
                            .classes("text-sm text-slate-500")
                        ui.space()
                        export_button("CSV", f"/admin/export/tickets.csv?user_id={uid}", "export-tickets")
                    self.tickets = paged_table(TICKET_COLUMNS, self._tickets_page, "No tickets yet", "tickets-table")
                with ui.tab_panel(connections_tab):
                    self.connections = ui.column().classes("w-full gap-2")
                with ui.tab_panel(flags_tab):
                    self.flags = ui.column().classes("w-full gap-2")
                with ui.tab_panel(audit_tab):
                    with ui.row().classes("w-full items-center"):
                        ui.label("Admin actions on this member, newest first").classes("text-sm text-slate-500")
                        ui.space()
                        ui.link("Open in audit log", f"/admin/audit?target_type=user&target_id={uid}") \
                            .classes("text-sm text-primary")
                    self.trail = ui.column().classes("w-full gap-2").mark("audit-trail")

    # --- data -----------------------------------------------------------------------------------------------------

    async def _ledger_page(self, page: int) -> tuple[list[dict], int]:
        result = await read(moderation.member_ledger, self.user_id, page=page, limit=PAGE_SIZE)
        if result is None:  # NiceGUI is shutting down
            return [], 0
        entries, total = result
        return [{"id": str(e.id), "created": _when(e.created_at), "type": e.transaction_type,
                 "amount": f"{e.amount:+,}", "balance": f"{e.balance_after:,}", "description": e.description or "—"}
                for e in entries], total

    async def _tickets_page(self, page: int) -> tuple[list[dict], int]:
        result = await read(moderation.member_tickets, self.user_id, page=page, limit=PAGE_SIZE)
        if result is None:
            return [], 0
        rows, total = result
        return [{"id": str(r.drawing_id), "drawing": r.drawing_name, "status": r.drawing_status,
                 "tickets": r.tickets, "numbers": f"#{r.first_ticket}–#{r.last_ticket}"
                 + (f" ({r.free_entries} free)" if r.free_entries else ""), "wins": r.wins} for r in rows], total

    async def load(self) -> None:
        """Read the member and every tab (in worker threads); shows an error card for an unknown member."""
        try:
            detail = await read(moderation.member_detail, self.user_id)
        except DomainError as exc:
            self.spinner.visible = False
            self.error.show("Member not found", exc.detail)
            return
        self.spinner.visible = False
        if detail is None:
            return
        self._show(detail)
        self.body.visible = True
        await self.ledger.load()
        await self.tickets.load()
        await self.load_trail()

    async def reload(self) -> None:
        detail = await read(moderation.member_detail, self.user_id)
        if detail is None:
            return
        self._show(detail)
        await self.ledger.load()
        await self.load_trail()

    def _show(self, d: moderation.MemberDetail) -> None:
        self.detail = d
        name = d.display_name or d.email.split("@", 1)[0]
        self.crumb.set_text(name)
        self.initial.set_text(name[:1].upper())
        self.name.set_text(name)
        self.email.set_text(d.email)
        self.status_badge.set_text(d.status)
        self.status_badge.props(f"color={STATUS_COLORS.get(d.status, 'grey')}")
        self.role_badge.set_text(d.role)
        self.role_badge.props(f"color={ROLE_COLORS.get(d.role, 'grey')}")
        self.tier_badge.set_text(d.tier_code or "OPEN")
        for key, value in (("balance", d.point_balance), ("earned", d.points_earned), ("tickets", d.tickets),
                           ("wins", d.wins)):
            self.stats[key].set_text(f"{value:,}")
        verified = "email verified" if d.email_verified_at else "email not verified"
        state = f" · {d.state_code}" if d.state_code else ""
        self.meta.set_text(f"Joined {_when(d.created_at)} · last sign-in {_when(d.last_login_at)} · {verified}"
                           f"{state} · {d.active_days:,} active days")
        own, deleted = d.id == self.admin_id, d.status == UserStatus.deleted.value
        blocked = d.status in (UserStatus.suspended.value, UserStatus.banned.value)
        self.suspend_button.visible = not own and not deleted and d.status != UserStatus.suspended.value
        self.ban_button.visible = not own and not deleted and d.status != UserStatus.banned.value
        self.reactivate_button.visible = not own and blocked
        self._show_connections(d.connections)
        self._show_flags(d.flags)

    def _show_connections(self, connections: Sequence[moderation.ConnectionRow]) -> None:
        self.connections.clear()
        with self.connections:
            if not connections:
                notice("watch_off", "No trackers connected", "The member has not linked a tracker yet.")
            for c in connections:
                with ui.row(wrap=False).classes("w-full items-center gap-3 rounded-lg border border-slate-200 p-3"):
                    ui.icon("watch", size="sm").classes("text-primary")
                    with ui.column().classes("gap-0 grow min-w-0"):
                        ui.label(c.provider + (" · primary" if c.is_primary else "")).classes("font-medium")
                        ui.label(f"Connected {_when(c.connected_at)} · last sync {_when(c.last_sync_at)}"
                                 + (f" · {c.status_message}" if c.status_message else "")) \
                            .classes("text-xs text-slate-500")
                    ui.badge(c.status, color="positive" if c.status == "connected" else "grey")

    def _show_flags(self, flags: Sequence[moderation.FlagRow]) -> None:
        self.flags.clear()
        with self.flags:
            if not flags:
                notice("outlined_flag", "No flags", "Nothing in the review queue, no tax forms, no lockout.")
            for f in flags:
                with ui.row(wrap=False).classes("w-full items-start gap-3 rounded-lg border border-slate-200 p-3"):
                    ui.icon("flag", size="sm").classes("text-orange-600")
                    with ui.column().classes("gap-0 grow min-w-0"):
                        ui.label(f.kind.replace("review:", "Review · ").replace("_", " ")).classes("font-medium")
                        ui.label(f.detail).classes("text-sm text-slate-600 whitespace-normal")
                    with ui.column().classes("items-end gap-1 shrink-0"):
                        ui.badge(f.status, color="warning" if f.status == "pending" else "grey")
                        if f.amount:
                            ui.label(f"{f.amount:+,} pts").classes("text-xs ft-num")

    async def load_trail(self) -> None:
        entries = await read(_trail, self.user_id) or []
        self.trail.clear()
        with self.trail:
            if not entries:
                notice("history", "No admin actions yet", "Suspensions, adjustments and role changes appear here.")
            for entry in entries:
                audit_entry_card(entry)

    # --- actions --------------------------------------------------------------------------------------------------

    async def status_dialog(self, status: str) -> None:
        await require_admin_event()
        title, action, color, text = STATUS_DIALOGS[status]
        reason = await reason_dialog(title, text, action, color)
        if reason is None:
            return
        admin = await require_admin_event()
        try:
            change = await run.io_bound(moderation_actions.change_status, self.user_id, status, admin_id=admin.id,
                                        reason=reason, ip_address=client_ip())
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        if change is None:
            return
        ui.notify(f"Status: {change.after}" if change.changed else f"Already {change.after}",
                  type="positive" if change.changed else "info")
        await self.reload()

    async def adjust_dialog(self) -> None:
        await require_admin_event()
        balance = self.detail.point_balance if self.detail else 0
        key = uuid.uuid4().hex  # one key per dialog: a double submit cannot post twice
        with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-sm"):
            ui.label("Adjust points").classes("text-lg font-semibold")
            ui.label("A ledger adjustment (never an edit). Negative amounts remove points; the balance cannot go "
                     "below 0.").classes("text-sm text-slate-600")
            amount = ui.number("Points (+ or −)", value=None, precision=0, step=10, format="%d") \
                .props("outlined dense autofocus").classes("w-full").mark("adjust-amount")
            after = ui.label(f"Balance after: {balance:,}").classes("text-sm text-slate-500 ft-num")
            reason = ui.textarea("Reason (required)").props("outlined dense counter maxlength=500 autogrow") \
                .classes("w-full").mark("adjust-reason")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                save = ui.button("Adjust", color="primary",
                                 on_click=lambda: dialog.submit((int(amount.value or 0), reason.value or ""))) \
                    .props("unelevated no-caps").mark("confirm")

            def changed() -> None:
                value = int(amount.value or 0)
                after.set_text(f"Balance after: {balance + value:,}")
                after.classes(replace="text-sm ft-num " + ("text-red-600" if balance + value < 0
                                                          else "text-slate-500"))
                save.set_enabled(value != 0 and bool((reason.value or "").strip()))

            amount.on_value_change(changed)
            reason.on_value_change(changed)
            changed()
        result = await dialog
        dialog.delete()
        if not result:
            return
        admin = await require_admin_event()
        points, why = result
        try:
            adjustment = await run.io_bound(moderation_actions.adjust_points, self.user_id, points,
                                            admin_id=admin.id, reason=why, idempotency_key=key,
                                            ip_address=client_ip())
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        if adjustment is not None:
            ui.notify(f"{points:+,} points · balance {adjustment.entry.balance_after:,}", type="positive")
        await self.reload()

    async def role_dialog(self) -> None:
        await require_admin_event()
        current = self.detail.role if self.detail else Role.user.value
        with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-sm"):
            ui.label("Change role").classes("text-lg font-semibold")
            ui.label("Premium never improves drawing odds. The last active admin cannot be demoted.") \
                .classes("text-sm text-slate-600")
            role = ui.select({r.value: r.value.capitalize() for r in Role}, value=current, label="Role") \
                .props("outlined dense").classes("w-full").mark("role-select")
            reason = ui.textarea("Reason (required)").props("outlined dense counter maxlength=500 autogrow") \
                .classes("w-full").mark("role-reason")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
                save = ui.button("Change role", color="primary",
                                 on_click=lambda: dialog.submit((role.value, reason.value or ""))) \
                    .props("unelevated no-caps").mark("confirm")
            save.bind_enabled_from(reason, "value", backward=lambda v: bool((v or "").strip()))
        result = await dialog
        dialog.delete()
        if not result:
            return
        admin = await require_admin_event()
        new_role, why = result
        try:
            await write(roles.set_role, self.user_id, new_role, admin_id=admin.id, reason=why,
                        ip_address=client_ip())
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(f"Role: {new_role}", type="positive")
        await self.reload()


async def reason_dialog(title: str, text: str, action: str, color: str) -> str | None:
    """A confirmation dialog with a required reason (≤ 500 characters); returns the reason or None (cancelled)."""
    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-sm"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm text-slate-600")
        reason = ui.textarea("Reason (required, kept in the audit log)") \
            .props("outlined dense counter maxlength=500 autogrow autofocus").classes("w-full").mark("reason")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            confirm = ui.button(action, color=color, on_click=lambda: dialog.submit(reason.value or "")) \
                .props("unelevated no-caps").mark("confirm")
        confirm.bind_enabled_from(reason, "value", backward=lambda v: bool((v or "").strip()))
    result = await dialog
    dialog.delete()
    return result.strip() if isinstance(result, str) and result.strip() else None


def audit_entry_card(entry: audit_log.AuditEntry, *, show_target: bool = False) -> None:
    """One audit entry: action, actor, time, IP, and the before/after JSON in an expansion."""
    with ui.column().classes("w-full gap-1 rounded-lg border border-slate-200 p-3"):
        with ui.row(wrap=False).classes("w-full items-center gap-2"):
            ui.badge(entry.action, color="primary").props("outline").classes("font-mono")
            ui.space()
            ui.label(_when(entry.created_at) + " UTC").classes("text-xs text-slate-500 whitespace-nowrap")
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


@ui.page("/admin/users/{user_id}")
async def admin_user_detail_page(user_id: str) -> None:
    admin = current_user()
    if admin is None:
        ui.navigate.to("/login")
        return
    with frame("Member", admin):
        if admin.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
            notice("block", "Administrators only", "This page is for administrators.", kind="error")
            return
        try:
            member_id = uuid.UUID(user_id)
        except ValueError:
            notice("person_off", "Member not found", "That is not a member id.", kind="error")
            return
        view = member_view(member_id, admin.id)
    background_tasks.create(view.load(), name="admin-member-load")
