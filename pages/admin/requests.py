"""`/admin/requests` — members' profile change requests (PRODUCT.md §3: a state change goes through support, as a
request visible to admins): one page at a time, oldest first, filterable by status (pending by default). Deciding a
request is not done here yet.

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, ui

from components.page import PageContext, admin_page
from components.paged_list import paged_list
from components.theme import NO_DATA_SLOT
from domain.accounts.change_requests import ChangeRequestRow, list_change_requests_page

STATUSES = {"pending": "Pending", "approved": "Approved", "rejected": "Rejected", "": "All"}
FIELDS = {"state_code": "State"}
COLUMNS = [
    {"name": "member", "label": "Member", "field": "member", "align": "left"},
    {"name": "email", "label": "Email", "field": "email", "align": "left"},
    {"name": "field", "label": "Change", "field": "field", "align": "left"},
    {"name": "requested_value", "label": "Requested", "field": "requested_value", "align": "left"},
    {"name": "reason", "label": "Reason", "field": "reason", "align": "left", "classes": "whitespace-normal"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "created", "label": "Sent", "field": "created", "align": "left"},
]


def _row(request: ChangeRequestRow) -> dict[str, Any]:
    return {"id": str(request.id), "member": request.display_name, "email": request.email,
            "field": FIELDS.get(request.field, request.field), "requested_value": request.requested_value,
            "reason": request.reason or "—", "status": request.status,
            "created": request.created_at.strftime("%b %-d, %Y")}


class requests_list(paged_list):  # noqa: N801
    """Status filter (pending by default), the requests table and a pager."""

    noun = "request"

    def __init__(self, ctx: PageContext, status: str = "pending", page: int = 1) -> None:
        super().__init__(ctx, page=page)
        self.status = status if status in STATUSES else "pending"
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                self.filter_select("status", STATUSES, "Status", "w-40", "status-filter")
                ui.space()
                self.count_label("requests-count")
            self.error_notice(classes="")
            self.requests = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination no-data-label="No requests"').classes("w-full ft-table") \
                .mark("requests-table")
            self.requests.add_slot("no-data", NO_DATA_SLOT)
            self.pager(classes="p-2")

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.ctx.read(list_change_requests_page, status=self.status or None, page=self.page,
                                   limit=self.page_size)

    def show(self, rows: Sequence[Any]) -> None:
        self.requests.rows = [_row(row) for row in rows]
        self.requests.update()


@admin_page("/admin/requests", title="Change requests")
async def admin_requests_page(ctx: PageContext, status: str = "pending", page: int = 1) -> None:
    view = requests_list(ctx, status, page)
    background_tasks.create(view.load(), name="admin-requests-load")
