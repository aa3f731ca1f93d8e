"""Admin lists with a status filter, a count and a pager (the mail outbox, state change requests): the paging,
filter events and loading are here once; a list builds its own body and says how to fetch and show a page."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from nicegui import ui

from app.web_auth import require_admin_event
from components.db_calls import read
from components.notice import notice
from domain.errors import DomainError

PAGE_SIZE = 20


class filtered_list:  # noqa: N801
    """Subclasses set `noun` (e.g. "message"), create the body in `__init__` between `filter_row()` and `pager()`,
    and implement `show(items)`. `fetch(session, *, status, page, limit) -> (items, total)` is a domain read."""

    noun = "item"

    def __init__(self, fetch: Callable[..., tuple[Sequence[Any], int]], statuses: Any, status: str, page: int) -> None:
        self.fetch = fetch
        self.status = status if status in statuses else ""
        self.page = max(page, 1)
        self.statuses = statuses

    def filter_row(self, count_marker: str) -> None:
        """The status select and the count label, then the (hidden) error notice."""
        with ui.row().classes("w-full items-center gap-3 p-3"):
            ui.select(self.statuses, value=self.status, label="Status", on_change=self._status_changed) \
                .props("dense outlined options-dense").classes("w-40").mark("status-filter")
            ui.space()
            self.count = ui.label().classes("text-sm text-slate-500").mark(count_marker)
        self.error = notice("error_outline", kind="error")
        self.error.visible = False

    def pager(self) -> None:
        self.pagination = ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._page_changed) \
            .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").classes("p-2").mark("pager")
        self.pagination.visible = False

    def show(self, items: Sequence[Any]) -> None:
        raise NotImplementedError

    async def _status_changed(self, event: Any) -> None:
        await require_admin_event()
        self.status, self.page = event.value or "", 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        await require_admin_event()
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        """Read and show the current page for the current filter (a readable error if the read fails)."""
        try:
            items, total = await read(self.fetch, status=self.status or None, page=self.page, limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show(f"Could not load the {self.noun}s", exc.detail)
            return
        self.error.visible = False
        self.show(items)
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.count.set_text(f"{total:,} {self.noun}{'s' if total != 1 else ''}")
        self.pagination.max = pages
        self.pagination.visible = pages > 1
