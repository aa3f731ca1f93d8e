"""`/admin/requests` — members' profile change requests (PRODUCT.md §3: a state change goes through support, as a
request visible to admins): one page at a time, oldest first, filterable by status (pending by default). Deciding a
request is not done here yet.

Admins only: the page guard refuses other roles on `/admin*`, and every event handler starts with
`require_admin_event()` (UI events bypass HTTP middleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, ui

from app.web_auth import current_user
from components.filtered_list import filtered_list
from components.frame import frame
from components.notice import notice
from components.theme import NO_DATA_SLOT
from domain.change_requests import ChangeRequestRow, list_change_requests_page
from domain.enums import Role

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


class requests_list(filtered_list):  # noqa: N801
    """Status filter (pending by default), the requests table and a pager."""

    noun = "request"

    def __init__(self, status: str = "pending", page: int = 1) -> None:
        super().__init__(list_change_requests_page, STATUSES, status if status in STATUSES else "pending", page)
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            self.filter_row("requests-count")
            self.table = ui.table(columns=COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat hide-pagination no-data-label="No requests"').classes("w-full ft-table") \
                .mark("requests-table")
            self.table.add_slot("no-data", NO_DATA_SLOT)
            self.pager()

    def show(self, items: Sequence[Any]) -> None:
        self.table.rows = [_row(row) for row in items]
        self.table.update()


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
