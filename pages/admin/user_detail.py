"""`/admin/users/{id}` — one member as admins see them (issue 7 §4, PRODUCT.md §7): profile, points, connections,
ledger, tickets, flags and the audit trail; suspend / ban / reactivate and point adjustments through dialogs that
require a reason (`app.services.moderation`: the member is emailed, every action audited), and role changes
(`domain.accounts.roles.set_role`). Ledger and tickets export as CSV (`/admin/export/{kind}.csv`, streamed).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware). Database work runs in worker threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, ui
from sqlmodel import Session

from app.services import moderation as moderation_actions
from components.audit import audit_entry_card
from components.audit import when as _when
from components.dialogs import ask_reason
from components.notice import notice
from components.page import PageContext, admin_page
from components.paged_list import paged_table
from domain import audit
from domain.accounts import roles
from domain.admin import moderation
from domain.shared.enums import Role, UserStatus
from domain.shared.errors import DomainError

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


def _trail(session: Session, user_id: uuid.UUID) -> list[audit.AuditEntry]:
    entries, _ = audit.list_entries(session, audit.AuditFilter(target_type="user", target_id=str(user_id)),
                                    limit=50)
    return entries


def export_button(ctx: PageContext, label: str, url: str, marker: str) -> ui.button:
    """A "CSV" button that downloads `url` (an `/admin/export/...` stream) in the browser."""
    return ui.button(label, icon="download", on_click=ctx.guard(lambda: ui.download.from_url(url))) \
        .props("flat dense no-caps color=primary").mark(marker)


class member_view:  # noqa: N801
    """The member's header card with actions, and the tabs below it."""

    def __init__(self, ctx: PageContext, user_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.admin_id = ctx.member_id
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
                ui.button("Adjust points", icon="exposure", on_click=self.ctx.guard(self.adjust_dialog)) \
                    .props("unelevated no-caps dense color=primary").classes("px-3").mark("adjust")
                ui.button("Change role", icon="badge", on_click=self.ctx.guard(self.role_dialog)) \
                    .props("outline no-caps dense color=primary").classes("px-3").mark("role")
                ui.space()
                self.suspend_button = ui.button("Suspend", icon="pause_circle",
                                                on_click=self.ctx.guard(lambda: self.status_dialog("suspended"))) \
                    .props("outline no-caps dense color=orange").classes("px-3").mark("suspend")
                self.ban_button = ui.button("Ban", icon="block",
                                            on_click=self.ctx.guard(lambda: self.status_dialog("banned"))) \
                    .props("outline no-caps dense color=negative").classes("px-3").mark("ban")
                self.reactivate_button = ui.button("Reactivate", icon="play_circle",
                                                   on_click=self.ctx.guard(lambda: self.status_dialog("active"))) \
                    .props("unelevated no-caps dense color=positive").classes("px-3").mark("reactivate")

    def _stat(self, label: str) -> ui.label:
        with ui.column().classes("gap-0 rounded-lg bg-slate-50 px-3 py-2"):
            ui.label(label).classes("text-xs text-slate-500")
            return ui.label("—").classes("text-lg font-semibold ft-num text-slate-900")

    def _tabs(self) -> None:
        ctx, uid = self.ctx, self.user_id
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
                        export_button(ctx, "CSV", f"/admin/export/ledger.csv?user_id={uid}", "export-ledger")
                    self.ledger = paged_table(ctx, LEDGER_COLUMNS, self._ledger_page, "No ledger entries yet",
                                              "ledger-table", page_size=PAGE_SIZE)
                with ui.tab_panel(tickets_tab).classes("p-0"):
                    with ui.row().classes("w-full items-center px-3 pt-2"):
                        ui.label("Tickets stay valid when a member is suspended or banned") \
                            .classes("text-sm text-slate-500")
                        ui.space()
                        export_button(ctx, "CSV", f"/admin/export/tickets.csv?user_id={uid}", "export-tickets")
                    self.tickets = paged_table(ctx, TICKET_COLUMNS, self._tickets_page, "No tickets yet",
                                               "tickets-table", page_size=PAGE_SIZE)
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

    async def _ledger_page(self, page: int) -> tuple[list[dict[str, Any]], int]:
        entries, total = await self.ctx.read(moderation.member_ledger, self.user_id, page=page, limit=PAGE_SIZE)
        return [{"id": str(e.id), "created": _when(e.created_at), "type": e.transaction_type,
                 "amount": f"{e.amount:+,}", "balance": f"{e.balance_after:,}", "description": e.description or "—"}
                for e in entries], total

    async def _tickets_page(self, page: int) -> tuple[list[dict[str, Any]], int]:
        rows, total = await self.ctx.read(moderation.member_tickets, self.user_id, page=page, limit=PAGE_SIZE)
        return [{"id": str(r.drawing_id), "drawing": r.drawing_name, "status": r.drawing_status,
                 "tickets": r.tickets, "numbers": f"#{r.first_ticket}–#{r.last_ticket}"
                 + (f" ({r.free_entries} free)" if r.free_entries else ""), "wins": r.wins} for r in rows], total

    async def load(self) -> None:
        """Read the member and every tab (in worker threads); shows an error card for an unknown member."""
        try:
            detail = await self.ctx.read(moderation.member_detail, self.user_id)
        except DomainError as exc:
            self.spinner.visible = False
            self.error.show("Member not found", exc.detail)
            return
        self.spinner.visible = False
        self._show(detail)
        self.body.visible = True
        await self.ledger.load()
        await self.tickets.load()
        await self.load_trail()

    async def reload(self) -> None:
        detail = await self.ctx.read(moderation.member_detail, self.user_id)
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
        entries = await self.ctx.read(_trail, self.user_id)
        self.trail.clear()
        with self.trail:
            if not entries:
                notice("history", "No admin actions yet", "Suspensions, adjustments and role changes appear here.")
            for entry in entries:
                audit_entry_card(entry)

    # --- actions --------------------------------------------------------------------------------------------------

    async def status_dialog(self, status: str) -> None:
        title, action, color, text = STATUS_DIALOGS[status]
        reason = await ask_reason(title, text, action, color, back="Cancel", disabled_until_reason=True)
        if reason is None:
            return
        admin = await self.ctx.require_admin()  # again: the dialog may have been open for a while
        try:
            change = await self.ctx.call(moderation_actions.change_status, self.user_id, status, admin_id=admin.id,
                                         reason=reason, ip_address=self.ctx.ip)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(f"Status: {change.after}" if change.changed else f"Already {change.after}",
                  type="positive" if change.changed else "info")
        await self.reload()

    async def adjust_dialog(self) -> None:
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
        admin = await self.ctx.require_admin()
        points, why = result
        try:
            adjustment = await self.ctx.call(moderation_actions.adjust_points, self.user_id, points,
                                             admin_id=admin.id, reason=why, idempotency_key=key,
                                             ip_address=self.ctx.ip)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(f"{points:+,} points · balance {adjustment.entry.balance_after:,}", type="positive")
        await self.reload()

    async def role_dialog(self) -> None:
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
        admin = await self.ctx.require_admin()
        new_role, why = result
        try:
            await self.ctx.write(roles.set_role, self.user_id, new_role, admin_id=admin.id, reason=why,
                                 ip_address=self.ctx.ip, clock=self.ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(f"Role: {new_role}", type="positive")
        await self.reload()


@admin_page("/admin/users/{user_id}", title="Member")
async def admin_user_detail_page(ctx: PageContext, user_id: str) -> None:
    try:
        member_id = uuid.UUID(user_id)
    except ValueError:
        notice("person_off", "Member not found", "That is not a member id.", kind="error")
        return
    view = member_view(ctx, member_id)
    background_tasks.create(view.load(), name="admin-member-load")
