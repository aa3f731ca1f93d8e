"""`/admin/users` — the admin users list (PRODUCT.md §7 "users (search, ...)"): one page of users at a time, read on
the server (`domain.accounts.users.list_users`), searchable by email or display name (debounced), filterable by role and
status. Query parameters `q`, `role`, `status` and `page` preset the filters (the overview links here with them).
Each email links to the member's page (`/admin/users/{id}`, pages/admin/user_detail.py); "CSV" downloads every user
matching the search and filters (`/admin/export/users.csv`, streamed).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from nicegui import background_tasks, ui

from components.page import PageContext, admin_page
from components.paged_list import paged_list
from components.theme import NO_DATA_SLOT
from domain.accounts import users
from domain.shared.enums import Role, UserStatus

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


def _row(user: users.UserSummary) -> dict[str, Any]:
    return {
        "id": str(user.id), "email": user.email, "display_name": user.display_name or "—",
        "role": user.role, "role_color": ROLE_COLORS.get(user.role, "grey"),
        "status": user.status, "status_color": STATUS_COLORS.get(user.status, "grey"),
        "tier": user.tier_code or "OPEN", "balance": user.point_balance, "earned": user.points_earned,
        "joined": user.created_at.strftime("%b %-d, %Y"),
    }


class users_list(paged_list):  # noqa: N801
    """Filters, the table, the pager and their `load()`; the table keeps its rows in place between pages."""

    table: ui.table

    noun = "user"
    search_max_chars = 254

    def __init__(self, ctx: PageContext, q: str = "", role: str = "", status: str = "", page: int = 1) -> None:
        super().__init__(ctx, q, page)
        self.role, self.status = role, status
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                self.search_input("Search email or display name", "grow basis-full sm:basis-auto min-w-[14rem]")
                self.filter_select("role", ROLES, "Role", "w-36 max-sm:flex-1", "role-filter")
                self.filter_select("status", STATUSES, "Status", "w-40 max-sm:flex-1", "status-filter")
                ui.button("CSV", icon="download", on_click=ctx.guard(self._export)) \
                    .props("outline dense no-caps color=primary").classes("px-3").mark("export-users") \
                    .tooltip("Export every user matching the search and filters")
            self.error_notice()
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination loading no-data-label="No users match these filters"') \
                .classes("w-full ft-table").mark("users-table")
            self.table.add_slot("body", ROW)
            self.table.add_slot("no-data", NO_DATA_SLOT)
            self.footer("users-count")

    def _export(self) -> None:
        query = urlencode({k: v for k, v in (("q", self.q), ("role", self.role), ("status", self.status)) if v})
        ui.download.from_url("/admin/export/users.csv" + (f"?{query}" if query else ""))

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.ctx.read(users.list_users, q=self.q or None, role=self.role or None,
                                   status=self.status or None, page=self.page, limit=self.page_size)

    def show(self, rows: Sequence[Any]) -> None:
        self.table.rows = [_row(user) for user in rows]
        self.table.update()

    def count_text(self, first: int, last: int, total: int) -> str:
        return f"{first:,}–{last:,} of {total:,} users" if total and last >= first else "0 users"


@admin_page("/admin/users", title="Users")
async def admin_users_page(ctx: PageContext, q: str = "", role: str = "", status: str = "", page: int = 1) -> None:
    view = users_list(ctx, q, role, status, page)
    background_tasks.create(view.load(), name="admin-users-load")
