"""`/admin/audit` — the audit log (issue 7 §6, PRODUCT.md §7): every admin action (who, what, when, before/after
JSON, IP), newest first, filterable by action, admin, target and period, exportable as CSV. Read-only: nothing here
edits or deletes an entry (the table is append-only; database triggers refuse changes).

Also `GET /admin/export/{kind}.csv`: the admin pages' CSV downloads (users, ledger, tickets, winners, audit) with
the browser session instead of a Bearer token — the same streamed, audited export as
`GET /api/v1/admin/export/{kind}.csv` (`app.web.downloads`), with the same query parameters.

Admins only: the page guard refuses other roles on `/admin*` (pages and the download), the download re-checks the
role, and every event handler goes through the admin guard (`PageContext.guard`: UI events bypass HTTP middleware).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from nicegui import background_tasks, ui
from sqlmodel import Session

from components.audit import audit_entry_card
from components.notice import notice
from components.page import PageContext, admin_page
from domain import audit
from domain.shared.errors import DomainError

PAGE_SIZE = 20
SYSTEM = "system"


def _filter_options(session: Session) -> tuple[list[str], list[tuple[uuid.UUID, str]], list[str]]:
    return audit.actions(session), audit.actors(session), audit.target_types(session)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class audit_browser:  # noqa: N801
    """Filters (action, admin, target type, target id, from/to day in UTC), the entries, a pager, CSV export."""

    def __init__(self, ctx: PageContext, action: str = "", actor: str = "", target_type: str = "",
                 target_id: str = "", since: str = "", until: str = "") -> None:
        self.ctx = ctx
        changed = ctx.guard(self._changed)
        self.page = 1
        self.action, self.actor, self.target_type = action, actor, target_type
        self.target_id = target_id.strip()[:64]
        self.since, self.until = _day(since), _day(until)
        with ui.card().props("flat").classes("ft-card w-full p-3 gap-3"):
            with ui.row().classes("w-full items-center gap-3"):
                self.action_select = ui.select({"": "All actions"}, value="", label="Action", on_change=changed) \
                    .props("dense outlined options-dense").classes("w-52 max-sm:w-full").mark("action-filter")
                self.actor_select = ui.select({"": "All admins"}, value="", label="Admin", on_change=changed) \
                    .props("dense outlined options-dense").classes("w-60 max-sm:w-full").mark("actor-filter")
                self.type_select = ui.select({"": "Any target"}, value="", label="Target type", on_change=changed) \
                    .props("dense outlined options-dense").classes("w-40 max-sm:flex-1").mark("type-filter")
                self.target_input = ui.input("Target id", value=self.target_id, on_change=changed) \
                    .props("dense outlined clearable debounce=400").classes("w-72 max-sm:flex-1") \
                    .mark("target-filter")
            with ui.row().classes("w-full items-center gap-3"):
                self.since_input = self._date_input("From (UTC)", self.since, "since-filter", changed)
                self.until_input = self._date_input("To (UTC)", self.until, "until-filter", changed)
                ui.space()
                self.count = ui.label().classes("text-sm text-slate-500").mark("audit-count")
                ui.button("Export CSV", icon="download", on_click=ctx.guard(self.export)) \
                    .props("outline dense no-caps color=primary").classes("px-3").mark("export-audit")
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.empty = notice("history", "No entries", "No admin action matches these filters.")
        self.empty.visible = False
        self.list = ui.column().classes("w-full gap-2").mark("audit-list")
        self.pager = ui.pagination(1, 1, direction_links=True, value=1, on_change=ctx.guard(self._page_changed)) \
            .props("max-pages=7 boundary-numbers color=grey-8 active-color=primary").classes("self-center")
        self.pager.visible = False

    @staticmethod
    def _date_input(label: str, value: date | None, marker: str, on_change: Callable[..., Any]) -> ui.input:
        field = ui.input(label, value=value.isoformat() if value else "", on_change=on_change) \
            .props("dense outlined clearable").classes("w-44 max-sm:flex-1 max-sm:min-w-[9rem]").mark(marker)
        with field.add_slot("append"):
            icon = ui.icon("event").classes("cursor-pointer")
            with ui.menu().props("no-parent-event") as menu:
                ui.date(mask="YYYY-MM-DD").bind_value(field).on_value_change(menu.close)
            icon.on("click", menu.open)
        return field

    async def load_options(self) -> None:
        actions, actors, types = await self.ctx.read(_filter_options)
        self.action_select.set_options({"": "All actions", **{f"{p}.": f"{p}.*" for p in
                                                              sorted({a.split('.')[0] for a in actions})},
                                        **{a: a for a in actions}}, value=self.action if self.action else "")
        self.actor_select.set_options({"": "All admins", SYSTEM: "System (scheduled)",
                                       **{str(uid): label for uid, label in actors}},
                                      value=self.actor if self.actor else "")
        self.type_select.set_options({"": "Any target", **{t: t for t in types}},
                                     value=self.target_type if self.target_type in types else "")

    def audit_filter(self) -> audit.AuditFilter:
        actor_id = None
        if self.actor and self.actor != SYSTEM:
            try:
                actor_id = uuid.UUID(self.actor)
            except ValueError:
                actor_id = None
        since = datetime.combine(self.since, time(), UTC) if self.since else None
        until = datetime.combine(self.until + timedelta(days=1), time(), UTC) if self.until else None
        return audit.AuditFilter(actor_id=actor_id, system_only=self.actor == SYSTEM, action=self.action or None,
                                     target_type=self.target_type or None, target_id=self.target_id or None,
                                     since=since, until=until)

    def query(self) -> dict[str, str]:
        """The current filters as `/admin/export/audit.csv` query parameters."""
        f = self.audit_filter()
        pairs = {"actor_id": str(f.actor_id) if f.actor_id else None, "system": "true" if f.system_only else None,
                 "action": f.action, "target_type": f.target_type, "target_id": f.target_id,
                 "since": f.since.isoformat() if f.since else None, "until": f.until.isoformat() if f.until else None}
        return {k: v for k, v in pairs.items() if v}

    async def _changed(self, _: Any = None) -> None:
        self.action = self.action_select.value or ""
        self.actor = self.actor_select.value or ""
        self.target_type = self.type_select.value or ""
        self.target_id = (self.target_input.value or "").strip()[:64]
        self.since, self.until = _day(self.since_input.value), _day(self.until_input.value)
        self.page = 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    def export(self) -> None:
        query = urlencode(self.query())
        ui.download.from_url("/admin/export/audit.csv" + (f"?{query}" if query else ""))

    async def load(self) -> None:
        """Read and show the current page for the current filters."""
        self.spinner.visible = True
        try:
            entries, total = await self.ctx.read(audit.list_entries, self.audit_filter(), page=self.page,
                                                 limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show("Could not load the audit log", exc.detail)
            return
        finally:
            self.spinner.visible = False
        self.error.visible = False
        self.empty.visible = total == 0
        self.count.set_text(f"{total:,} entr{'ies' if total != 1 else 'y'}")
        self.list.clear()
        with self.list:
            for entry in entries:
                audit_entry_card(entry, show_target=True)
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.pager.max = pages
        self.pager.visible = pages > 1


@admin_page("/admin/audit", title="Audit log")
async def admin_audit_page(ctx: PageContext, action: str = "", actor: str = "", target_type: str = "",
                           target_id: str = "", since: str = "", until: str = "") -> None:
    view = audit_browser(ctx, action, actor, target_type, target_id, since, until)

    async def start() -> None:
        await view.load_options()
        await view.load()

    background_tasks.create(start(), name="admin-audit-load")
