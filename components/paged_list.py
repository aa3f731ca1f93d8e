"""Server-paged admin lists (users, drawings, sponsors, the mail outbox, change requests, a member's ledger and
tickets): the search box, the filter selects, the count, the pager, their events (each through the admin guard,
`PageContext.guard`) and the newest-load-wins loading are here once; a list builds its own body from these blocks
and says how to fetch and show a page. `paged_table` is the simplest list: a table with a pager below it."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nicegui import ui

from components.notice import notice
from components.theme import NO_DATA_SLOT
from domain.shared.errors import DomainError

if TYPE_CHECKING:
    from components.page import PageContext

PAGE_SIZE = 20
SEARCH_DEBOUNCE_MS = 350
PAGER_PROPS = "max-pages=5 boundary-numbers color=grey-8 active-color=primary"


class paged_list:  # noqa: N801
    """Subclasses call `super().__init__(ctx, q, page)`, then build their body from the blocks — `search_input(...)`,
    `filter_select(...)`, `count_label(...)`, `error_notice()`, their rows (`self.table`, or any element), and
    `pager()` or `footer(...)` (count + pager) — and implement `fetch() -> (rows, total)` (a domain read for `self.q`,
    their filter attributes, `self.page` and `self.page_size`) and `show(rows)`. `count_text(first, last, total)` and
    `failed(title, detail)` may be overridden. Every event checks the admin role first."""

    noun = "item"
    search_max_chars = 200
    page_size = PAGE_SIZE
    table: ui.table | None = None  # a table shows a loading bar while a page is read
    count: ui.label | None = None
    error: notice | None = None

    def __init__(self, ctx: PageContext, q: str = "", page: int = 1) -> None:
        self.ctx = ctx
        self.q = q.strip()[: self.search_max_chars]
        self.page = max(page, 1)
        self._seq = 0  # only the newest of overlapping loads may show its rows

    # --- building blocks ---------------------------------------------------------------------------------------

    def search_input(self, placeholder: str, classes: str = "grow basis-full sm:basis-auto min-w-[12rem]") -> ui.input:
        self.search = ui.input(placeholder=placeholder, value=self.q, on_change=self.ctx.guard(self._search_changed)) \
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
            setattr(self, attribute, event.value or "")
            self.page = 1
            await self.load()

        return ui.select(dict(options), value=getattr(self, attribute), label=label,
                         on_change=self.ctx.guard(changed)) \
            .props("dense outlined options-dense").classes(classes).mark(marker)

    def count_label(self, marker: str) -> ui.label:
        self.count = ui.label().classes("text-sm text-slate-500").mark(marker)
        return self.count

    def error_notice(self, classes: str = "rounded-none") -> None:
        self.error = notice("error_outline", kind="error").classes(classes)
        self.error.visible = False

    def pager(self, classes: str = "", marker: str | None = "pager") -> ui.pagination:
        self.pagination = ui.pagination(1, 1, direction_links=True, value=self.page,
                                        on_change=self.ctx.guard(self._page_changed)) \
            .props(PAGER_PROPS).classes(classes)
        if marker:
            self.pagination.mark(marker)
        self.pagination.visible = False
        return self.pagination

    def footer(self, count_marker: str, classes: str = "w-full items-center gap-3 px-3 py-2 border-t border-slate-200",
               ) -> None:
        with ui.row().classes(classes):
            self.count_label(count_marker)
            ui.space()
            self.pager()

    # --- subclass hooks ----------------------------------------------------------------------------------------

    async def fetch(self) -> tuple[Sequence[Any], int]:
        raise NotImplementedError

    def show(self, rows: Sequence[Any]) -> None:
        raise NotImplementedError

    def count_text(self, first: int, last: int, total: int) -> str:
        return f"{total:,} {self.noun}{'s' if total != 1 else ''}"

    def failed(self, title: str, detail: str) -> None:
        """Show a failed read (the error notice; a notification without one)."""
        if self.error is not None:
            self.error.show(title, detail)
        else:
            ui.notify(detail, type="negative")

    # --- events and loading ------------------------------------------------------------------------------------

    async def _search_changed(self, _: Any) -> None:
        # the input's value now, not the event's: handlers of quick successive edits may resume out of order
        query = (self.search.value or "").strip()[: self.search_max_chars]
        if query != self.q:
            self.q, self.page = query, 1
            await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    def _busy(self, busy: bool) -> None:
        if self.table is not None:
            if busy:
                self.table.props("loading")
            else:
                self.table.props(remove="loading")

    async def load(self) -> None:
        """Read the current page for the current search and filters and show it (a table shows a loading bar
        meanwhile; a failed read shows a readable error and keeps the page)."""
        self._seq += 1
        seq = self._seq
        self._busy(True)
        try:
            rows, total = await self.fetch()
        except DomainError as exc:
            self.failed(f"Could not load the {self.noun}s", exc.detail)
            return
        except Exception:  # noqa: BLE001 - show something readable, keep the page alive
            self.failed(f"Could not load the {self.noun}s", "Please try again in a moment.")
            raise
        finally:
            if seq == self._seq:
                self._busy(False)
        if seq != self._seq:  # a newer search or filter started meanwhile: its result wins
            return
        if self.error is not None:
            self.error.visible = False
        pages = max(math.ceil(total / self.page_size), 1)
        if self.page > pages:  # e.g. a stale ?page= link: show the last page instead of an empty one
            self.page = self.pagination.value = pages
            await self.load()
            return
        self.show(rows)
        if self.count is not None:
            first = (self.page - 1) * self.page_size + 1
            self.count.set_text(self.count_text(first, first + len(rows) - 1, total))
        self.pagination.max = pages
        self.pagination.visible = pages > 1


class paged_table(paged_list):  # noqa: N801
    """A table (`columns`, rows keyed by "id") with a pager below it; `fetch_page(page)` → (row dicts, total). A failed
    read is a notification. `page_size` rows a page."""

    def __init__(self, ctx: PageContext, columns: list[dict[str, Any]],
                 fetch_page: Callable[[int], Awaitable[tuple[list[dict[str, Any]], int]]], empty: str, marker: str,
                 *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(ctx)
        self.page_size = page_size
        self.fetch_page = fetch_page
        self.table = ui.table(columns=columns, rows=[], row_key="id", pagination=0) \
            .props(f'flat dense hide-pagination loading no-data-label="{empty}"').classes("w-full ft-table") \
            .mark(marker)
        self.table.add_slot("no-data", NO_DATA_SLOT)
        self.pager(classes="self-center", marker=None)

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.fetch_page(self.page)

    def show(self, rows: Sequence[Any]) -> None:
        assert self.table is not None
        self.table.rows = list(rows)
        self.table.update()

    def failed(self, title: str, detail: str) -> None:
        ui.notify(detail, type="negative")
