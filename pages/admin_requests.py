"""`/admin/requests` — members' profile change requests (PRODUCT.md §3: a state change goes through support, as a
request visible to admins): one page at a time, oldest first, filterable by status (pending by default). Deciding a
request is not done here yet.

Admins only: the page guard refuses other roles on `/admin*`, and every event handler starts with
`require_admin_event()` (UI events bypass HTTP middleware).
"""

from __future__ import annotations

import math

from nicegui import background_tasks, ui

from app.web_auth import current_user, require_admin_event
from components.db_calls import read
from components.frame import frame
from components.notice import notice
from components.theme import NO_DATA_SLOT
from domain.change_requests import ChangeRequestRow, list_change_requests_page
from domain.enums import Role
from domain.errors import DomainError

PAGE_SIZE = 20
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


def _row(request: ChangeRequestRow) -> dict:
    return {"id": str(request.id), "member": request.display_name, "email": request.email,
            "field": FIELDS.get(request.field, request.field), "requested_value": request.requested_value,
            "reason": request.reason or "—", "status": request.status,
            "created": request.created_at.strftime("%b %-d, %Y")}


class requests_list:  # noqa: N801
    def __init__(self, status: str = "pending", page: int = 1) -> None:
        self.status = status if status in STATUSES else "pending"
        self.page = max(page, 1)
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            with ui.row().classes("w-full items-center gap-3 p-3"):
                ui.select(STATUSES, value=self.status, label="Status", on_change=self._status_changed) \
                    .props("dense outlined options-dense").classes("w-40").mark("status-filter")
                ui.space()
                self.count = ui.label().classes("text-sm text-slate-500").mark("requests-count")
            self.error = notice("error_outline", kind="error").classes("rounded-none")
            self.error.visible = False
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination no-data-label="No requests"').classes("w-full ft-table") \
                .mark("requests-table")
            self.table.add_slot("no-data", NO_DATA_SLOT)
            self.pager = ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._page_changed) \
                .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").classes("p-2").mark("pager")
            self.pager.visible = False

    async def _status_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        self.status, self.page = event.value or "", 1
        await self.load()

    async def _page_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        await require_admin_event()
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        """Read and show the current page for the current filter."""
        try:
            rows, total = await read(list_change_requests_page, status=self.status or None, page=self.page,
                                     limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show("Could not load the requests", exc.detail)
            return
        self.error.visible = False
        self.table.rows = [_row(row) for row in rows]
        self.table.update()
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.count.set_text(f"{total:,} request{'s' if total != 1 else ''}")
        self.pager.max = pages
        self.pager.visible = pages > 1


@ui.page("/admin/requests")
async def admin_requests_page(status: str = "pending", page: int = 1) -> None:
    admin = current_user()
    if admin is None:
        ui.navigate.to("/login")
        return
    with frame("Change requests", admin):
        if admin.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
            notice("block", "Administrators only", "This page is for administrators.", kind="error")
            return
        view = requests_list(status, page)
    background_tasks.create(view.load(), name="admin-requests-load")
