"""Searchable, filterable, server-paged admin lists (users, drawings, sponsors): the search box, the filter
selects, the count + pager footer, their events and the newest-load-wins loading are here once; a list builds
its table and says how to fetch and show a page."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from app.web_auth import require_admin_event
from components.notice import notice
from domain.errors import DomainError

PAGE_SIZE = 20
SEARCH_DEBOUNCE_MS = 350


class paged_list:  # noqa: N801
    """Subclasses call `super().__init__(q, page)`, then inside their card: `search_input(...)` and
    `filter_select(...)` in a row, `error_notice()`, their `self.table`, and `footer(...)`; they implement
    `fetch() -> (rows, total)` (a domain read for `self.q`, their filter attributes, `self.page`, `PAGE_SIZE`) and
    `show(rows)`. `count_text(first, last, total)` may be overridden. Every event checks the admin role first."""

    noun = "item"
    search_max_chars = 200
    table: ui.table  # created by the subclass

    def __init__(self, q: str, page: int) -> None:
        self.q = q.strip()[: self.search_max_chars]
        self.page = max(page, 1)
        self._seq = 0  # only the newest of overlapping loads may show its rows

    # --- building blocks ---------------------------------------------------------------------------------------

    def search_input(self, placeholder: str, classes: str = "grow basis-full sm:basis-auto min-w-[12rem]") -> ui.input:
        self.search = ui.input(placeholder=placeholder, value=self.q, on_change=self._search_changed) \
            .props(f"dense outlined clearable debounce={SEARCH_DEBOUNCE_MS} type=search").classes(classes) \
            .mark("search")
        with self.search.add_slot("prepend"):
            ui.icon("search")
        return self.search

    def filter_select(self, attribute: str, options: Mapping[str, str], label: str, classes: str,
                      marker: str) -> ui.select:
        """A select bound to `self.<attribute>` (an unknown preset value becomes "", i.e. all)."""
        if getattr(self, attribute, "") not in options:
            setattr(self, attribute, "")

        async def changed(event: Any) -> None:
            await require_admin_event()
            setattr(self, attribute, event.value or "")
            self.page = 1
            await self.load()

        return ui.select(dict(options), value=getattr(self, attribute), label=label, on_change=changed) \
            .props("dense outlined options-dense").classes(classes).mark(marker)

    def error_notice(self) -> None:
        self.error = notice("error_outline", kind="error").classes("rounded-none")
        self.error.visible = False

    def footer(self, count_marker: str, classes: str = "w-full items-center gap-3 px-3 py-2 border-t border-slate-200",
               ) -> None:
        with ui.row().classes(classes):
            self.count = ui.label().classes("text-sm text-slate-500").mark(count_marker)
            ui.space()
            self.pager = ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._page_changed) \
                .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").mark("pager")
            self.pager.visible = False

    # --- subclass hooks ----------------------------------------------------------------------------------------

    async def fetch(self) -> tuple[Sequence[Any], int]:
        raise NotImplementedError

    def show(self, rows: Sequence[Any]) -> None:
        raise NotImplementedError

    def count_text(self, first: int, last: int, total: int) -> str:
        return f"{total:,} {self.noun}{'s' if total != 1 else ''}"

    # --- events and loading ------------------------------------------------------------------------------------

    async def _search_changed(self, _: Any) -> None:
        await require_admin_event()
        # the input's value now, not the event's: handlers of quick successive edits may resume out of order
        query = (self.search.value or "").strip()[: self.search_max_chars]
        if query != self.q:
            self.q, self.page = query, 1
            await self.load()

    async def _page_changed(self, event: Any) -> None:
        await require_admin_event()
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        """Read the current page for the current search and filters and show it (the table shows a loading bar
        meanwhile; a failed read shows a readable error and keeps the page)."""
        self._seq += 1
        seq = self._seq
        self.table.props("loading")
        try:
            rows, total = await self.fetch()
        except DomainError as exc:
            self.error.show(f"Could not load the {self.noun}s", exc.detail)
            return
        except Exception:  # noqa: BLE001 - show something readable, keep the page alive
            self.error.show(f"Could not load the {self.noun}s", "Please try again in a moment.")
            raise
        finally:
            if seq == self._seq:
                self.table.props(remove="loading")
        if seq != self._seq:  # a newer search or filter started meanwhile: its result wins
            return
        self.error.visible = False
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        if self.page > pages:  # e.g. a stale ?page= link: show the last page instead of an empty one
            self.page = self.pager.value = pages
            await self.load()
            return
        self.show(rows)
        first = (self.page - 1) * PAGE_SIZE + 1
        self.count.set_text(self.count_text(first, first + len(rows) - 1, total))
        self.pager.max = pages
        self.pager.visible = pages > 1
