"""`/admin/users` — the admin users list (PRODUCT.md §7 "users (search, ...)"): one page of users at a time, read on
the server (`domain.accounts.list_users`), searchable by email or display name (debounced), filterable by role and
status. Query parameters `q`, `role`, `status` and `page` preset the filters (the overview links here with them).
Each email links to the member's page (`/admin/users/{id}`, pages/admin_user_detail.py); "CSV" downloads every user
matching the search and filters (`/admin/export/users.csv`, streamed).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler starts with
`require_admin_event()` (UI events bypass HTTP middleware).
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from nicegui import background_tasks, ui

from app.web_auth import current_user, require_admin_event
from components.db_calls import read
from components.frame import frame
from components.notice import notice
from components.theme import NO_DATA_SLOT
from domain import accounts
from domain.enums import Role, UserStatus
from domain.errors import DomainError

PAGE_SIZE = 20
SEARCH_DEBOUNCE_MS = 350
ROLES = {"": "All roles", **{role.value: role.value.capitalize() for role in Role}}
STATUSES = {"": "All statuses", **{status.value: status.value.capitalize() for status in UserStatus}}
STATUS_COLORS = {"active": "positive", "pending": "warning", "suspended": "orange", "banned": "negative",
                 "deleted": "grey"}
ROLE_COLORS = {"admin": "accent", "premium": "info", "user": "secondary"}
WIDE = "max-sm:hidden"  # on phones only the email column shows; its cell then carries the other fields
COLUMNS = [
    {"name": "email", "label": "Email", "field": "email", "align": "left"},
    {"name": "display_name", "label": "Display name", "field": "display_name", "align": "left",
     "headerClasses": WIDE},
    {"name": "role", "label": "Role", "field": "role", "align": "left", "headerClasses": WIDE},
    {"name": "status", "label": "Status", "field": "status", "align": "left", "headerClasses": WIDE},
    {"name": "tier", "label": "Tier", "field": "tier", "align": "left", "headerClasses": WIDE},
    {"name": "balance", "label": "Balance", "field": "balance", "align": "right", "headerClasses": WIDE},
    {"name": "earned", "label": "Earned", "field": "earned", "align": "right", "headerClasses": WIDE},
    {"name": "joined", "label": "Joined", "field": "joined", "align": "left", "headerClasses": WIDE},
]
ROW = r"""
<q-tr :props="props">
  <q-td key="email" :props="props" class="font-medium max-sm:whitespace-normal">
    <a :href="'/admin/users/' + props.row.id" class="text-primary no-underline hover:underline"
      >{{ props.row.email }}</a>
    <div class="sm:hidden text-xs font-normal text-slate-500 pt-1">
      {{ props.row.display_name }} · {{ props.row.role }} · {{ props.row.status }} · {{ props.row.tier }}<br>
      {{ props.row.balance.toLocaleString() }} balance · {{ props.row.earned.toLocaleString() }} earned ·
      joined {{ props.row.joined }}</div></q-td>
  <q-td key="display_name" :props="props" class="max-sm:hidden">{{ props.row.display_name }}</q-td>
  <q-td key="role" :props="props" class="max-sm:hidden">
    <q-badge outline :color="props.row.role_color" :label="props.row.role" /></q-td>
  <q-td key="status" :props="props" class="max-sm:hidden">
    <q-badge :color="props.row.status_color" :label="props.row.status" /></q-td>
  <q-td key="tier" :props="props" class="text-slate-600 max-sm:hidden">{{ props.row.tier }}</q-td>
  <q-td key="balance" :props="props" class="ft-num max-sm:hidden">{{ props.row.balance.toLocaleString() }}</q-td>
  <q-td key="earned" :props="props" class="ft-num max-sm:hidden">{{ props.row.earned.toLocaleString() }}</q-td>
  <q-td key="joined" :props="props" class="text-slate-500 whitespace-nowrap max-sm:hidden">{{ props.row.joined }}</q-td>
</q-tr>
"""


def _row(user: accounts.UserSummary) -> dict:
    return {
        "id": str(user.id), "email": user.email, "display_name": user.display_name or "—",
        "role": user.role, "role_color": ROLE_COLORS.get(user.role, "grey"),
        "status": user.status, "status_color": STATUS_COLORS.get(user.status, "grey"),
        "tier": user.tier_code or "OPEN", "balance": user.point_balance, "earned": user.points_earned,
        "joined": user.created_at.strftime("%b %-d, %Y"),
    }


class users_list:  # noqa: N801
    """Filters, the table, the pager and their `load()`; the table keeps its rows in place between pages."""

    def __init__(self, q: str = "", role: str = "", status: str = "", page: int = 1) -> None:
        self.q = q.strip()[:254]
        self.role = role if role in ROLES else ""
        self.status = status if status in STATUSES else ""
        self.page = max(page, 1)
        self._load_seq = 0  # only the newest of overlapping loads may show its rows
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                self.search = ui.input(placeholder="Search email or display name", value=self.q,
                                       on_change=self._search_changed) \
                    .props(f'dense outlined clearable debounce={SEARCH_DEBOUNCE_MS} type=search') \
                    .classes("grow basis-full sm:basis-auto min-w-[14rem]").mark("search")
                with self.search.add_slot("prepend"):
                    ui.icon("search")
                ui.select(ROLES, value=self.role, label="Role", on_change=self._role_changed) \
                    .props("dense outlined options-dense").classes("w-36 max-sm:flex-1").mark("role-filter")
                ui.select(STATUSES, value=self.status, label="Status", on_change=self._status_changed) \
                    .props("dense outlined options-dense").classes("w-40 max-sm:flex-1").mark("status-filter")
                ui.button("CSV", icon="download", on_click=self._export) \
                    .props("outline dense no-caps color=primary").classes("px-3").mark("export-users") \
                    .tooltip("Export every user matching the search and filters")
            self.error = notice("error_outline", kind="error").classes("rounded-none")
            self.error.visible = False
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination loading no-data-label="No users match these filters"') \
                .classes("w-full ft-table").mark("users-table")
            self.table.add_slot("body", ROW)
            self.table.add_slot("no-data", NO_DATA_SLOT)
            with ui.row().classes("w-full items-center gap-3 px-3 py-2 border-t border-slate-200"):
                self.count = ui.label().classes("text-sm text-slate-500").mark("users-count")
                ui.space()
                self.pager = ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._page_changed) \
                    .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").mark("pager")
                self.pager.visible = False

    async def _search_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        # the input's value now, not the event's: handlers of quick successive edits may resume out of order
        query = (self.search.value or "").strip()[:254]
        if query != self.q:
            self.q, self.page = query, 1
            await self.load()

    async def _role_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        self.role, self.page = event.value or "", 1
        await self.load()

    async def _status_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        self.status, self.page = event.value or "", 1
        await self.load()

    async def _export(self) -> None:
        await require_admin_event()
        query = urlencode({k: v for k, v in (("q", self.q), ("role", self.role), ("status", self.status)) if v})
        ui.download.from_url("/admin/export/users.csv" + (f"?{query}" if query else ""))

    async def _page_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        """Read the current page for the current filters and show it (the table shows a loading bar meanwhile)."""
        self._load_seq += 1
        seq = self._load_seq
        self.table.props("loading")
        try:
            users, total = await read(accounts.list_users, q=self.q or None, role=self.role or None,
                                      status=self.status or None, page=self.page, limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show("Could not load the users", exc.detail)
            return
        except Exception:  # noqa: BLE001 - show something readable, keep the page alive
            self.error.show("Could not load the users", "Please try again in a moment.")
            raise
        finally:
            if seq == self._load_seq:
                self.table.props(remove="loading")
        if seq != self._load_seq:  # a newer search or filter started meanwhile: its result wins
            return
        self.error.visible = False
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        if self.page > pages:  # e.g. a stale ?page= link: show the last page instead of an empty one
            self.page = pages
            self.pager.value = pages
            await self.load()
            return
        self.table.rows = [_row(user) for user in users]
        self.table.update()
        first = (self.page - 1) * PAGE_SIZE + 1
        self.count.set_text(f"{first:,}–{first + len(users) - 1:,} of {total:,} users" if users else "0 users")
        self.pager.max = pages
        self.pager.visible = pages > 1


@ui.page("/admin/users")
async def admin_users_page(q: str = "", role: str = "", status: str = "", page: int = 1) -> None:
    admin = current_user()
    if admin is None:
        ui.navigate.to("/login")
        return
    with frame("Users", admin):
        if admin.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
            notice("block", "Administrators only", "This page is for administrators.", kind="error")
            return
        view = users_list(q, role, status, page)
    background_tasks.create(view.load(), name="admin-users-load")
