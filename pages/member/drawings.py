"""`/drawings` — the sweepstakes list (issue 6 §5): filter by status and type, one card per drawing with its prizes,
ticket price, a live countdown, the live ticket total and my tickets; and `/my/entries` — the drawings I entered
and the prizes I won (with the fulfillment status and the link to confirm an address or reveal a code).

Live: countdowns tick in the browser (`components/countdown.py`); ticket totals are re-read every
`TOTALS_SECONDS` for the cards on screen (one small query) and updated in place.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from nicegui import background_tasks, ui
from sqlmodel import Session

from components.countdown import countdown, timing
from components.notice import notice
from components.page import PageContext, member_page
from components.sweepstakes import STATUS_STYLE, status_chip, type_chip
from components.theme import money
from components.ticket_dialog import percent
from domain.shared.enums import DrawingStatus, FulfillmentStatus
from domain.shared.errors import DomainError
from domain.sweepstakes import tickets, views
from domain.sweepstakes.fulfillment import claim_path

PAGE_SIZE = 12
TOTALS_SECONDS = 10.0
# "All" lists open, upcoming and closed drawings first (soonest draw first), then past ones (latest first).
STATUS_FILTERS = {"": "All", "open": "Open", "scheduled": "Upcoming", "closed": "Sales closed",
                  "completed": "Drawn", "cancelled": "Cancelled"}
TYPE_FILTERS = {"": "All types", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly", "annual": "Annual"}
FULFILLMENT_LABELS = {
    FulfillmentStatus.pending.value: ("Being prepared", "grey-7"),
    FulfillmentStatus.winner_notified.value: ("Action needed", "warning"),
    FulfillmentStatus.address_confirmed.value: ("Address confirmed", "info"),
    FulfillmentStatus.address_invalid.value: ("Fix your address", "negative"),
    FulfillmentStatus.shipped.value: ("Shipped", "info"),
    FulfillmentStatus.delivered.value: ("Delivered", "positive"),
    FulfillmentStatus.forfeited.value: ("Forfeited", "grey-6"),
}


class drawings_list:  # noqa: N801
    """Filters, the cards grid, a pager; `load()` reads the current page."""

    def __init__(self, ctx: PageContext, status: str, drawing_type: str, page: int) -> None:
        self.ctx = ctx
        self.user_id = ctx.member_id
        self.status = status if status in STATUS_FILTERS else ""
        self.type = drawing_type if drawing_type in TYPE_FILTERS else ""
        self.page = max(page, 1)
        self.totals: dict[uuid.UUID, tuple[ui.label, ui.label]] = {}
        with ui.row().classes("w-full items-center gap-2"):
            ui.select(STATUS_FILTERS, value=self.status, label="Show", on_change=self._status_changed) \
                .props("dense outlined options-dense").classes("w-44").mark("status-filter")
            ui.select(TYPE_FILTERS, value=self.type, label="Type", on_change=self._type_changed) \
                .props("dense outlined options-dense").classes("w-36").mark("type-filter")
            ui.space()
            self.count = ui.label().classes("text-sm text-slate-500").mark("drawings-count")
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        self.empty = notice("confirmation_number", "No drawings here",
                            "Try another filter: new drawings open every day.")
        self.empty.visible = False
        self.grid = ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-3 w-full") \
            .mark("drawings-grid")
        with self.grid:
            for _ in range(3):
                ui.skeleton("rect", height="210px").classes("w-full rounded-2xl")
        self.pagination = ui.pagination(1, 1, direction_links=True, value=self.page, on_change=self._page_changed) \
            .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").mark("pager")
        self.pagination.visible = False
        ui.timer(TOTALS_SECONDS, self.refresh_totals)

    async def _status_changed(self, event: Any) -> None:
        self.status, self.page = event.value or "", 1
        await self.load()

    async def _type_changed(self, event: Any) -> None:
        self.type, self.page = event.value or "", 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        """Read and show the current page for the current filters."""
        try:
            cards, total = await self.ctx.read(views.drawing_cards, self.user_id, self.ctx.now(),
                                               status=self.status or None, drawing_type=self.type or None,
                                               page=self.page, limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show("Could not load the drawings", exc.detail)
            return
        self.error.visible = False
        self.grid.clear()
        self.totals = {}
        now = self.ctx.now()
        with self.grid:
            for card in cards:
                self._card(card, now)
        self.empty.visible = not cards
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.count.set_text(f"{total:,} drawing{'s' if total != 1 else ''}")
        self.pagination.max = pages
        self.pagination.visible = pages > 1

    def _card(self, card: views.DrawingCard, now: datetime) -> None:
        d = card.drawing
        link = ui.link(target=f"/drawings/{d.id}").classes("no-underline text-inherit block min-w-0") \
            .mark("drawing-card")
        with link, ui.card().props("flat").classes("ft-card w-full h-full p-4 gap-3 hover:shadow-md transition-shadow"):
            with ui.row(wrap=False).classes("w-full items-center gap-2"):
                status_chip(d.status)
                type_chip(d.drawing_type)
                ui.space()
                if card.my_tickets:
                    with ui.row(wrap=False).classes("items-center gap-1 text-primary text-xs font-semibold"):
                        ui.icon("confirmation_number", size="xs")
                        ui.label(f"{card.my_tickets} mine")
            ui.label(d.name).classes("text-lg font-semibold text-slate-900 leading-snug")
            top = card.prizes[0] if card.prizes else None
            with ui.row(wrap=False).classes("w-full items-center gap-2 text-slate-700 min-w-0"):
                ui.icon("redeem", color="accent", size="sm").classes("shrink-0")
                ui.label(top.prize.name if top else "Prizes to be announced").classes("text-sm truncate min-w-0")
                extra = sum(p.prize.quantity for p in card.prizes) - 1
                if extra > 0:
                    ui.label(f"+{extra} more").classes("text-xs text-slate-500 whitespace-nowrap")
            with ui.element("div").classes("grid grid-cols-3 gap-2 w-full text-center bg-slate-50 rounded-xl "
                                           "py-2"):
                with ui.column().classes("gap-0 items-center"):
                    ui.label(f"{d.ticket_cost_points:,}").classes("text-base font-semibold ft-num")
                    ui.label("pts / ticket").classes("text-[11px] text-slate-500")
                with ui.column().classes("gap-0 items-center"):
                    total = ui.label(f"{d.total_tickets:,}").classes("text-base font-semibold ft-num") \
                        .mark("card-total")
                    ui.label("tickets in").classes("text-[11px] text-slate-500")
                with ui.column().classes("gap-0 items-center"):
                    odds = ui.label(percent(card.chance) if card.my_tickets else "—") \
                        .classes("text-base font-semibold ft-num")
                    ui.label("my odds").classes("text-[11px] text-slate-500")
            self.totals[d.id] = (total, odds)
            caption, deadline, fixed = timing(d.status, d.open_time, d.sales_close, d.drawing_time, now)
            with ui.row(wrap=False).classes("w-full items-center gap-1 text-sm text-slate-600"):
                ui.icon("schedule", size="xs")
                ui.label(caption)
                if deadline is not None:
                    countdown(deadline, label=caption).classes("font-semibold text-slate-900")
                else:
                    ui.label(fixed).classes("font-medium text-slate-900")
                ui.space()
                ui.label(money(card.total_value_usd)).classes("text-xs text-slate-500") \
                    .tooltip("Total prize value")

    async def refresh_totals(self) -> None:
        """Re-read the ticket totals of the cards on screen and update them in place."""
        if not self.totals:
            return
        try:
            live = await self.ctx.read(views.live_totals, list(self.totals))
        except DomainError:
            return
        for drawing_id, (total_label, _) in self.totals.items():
            if drawing_id in live:
                total_label.set_text(f"{live[drawing_id][0]:,}")


@member_page("/drawings", title="Sweepstakes")
async def drawings_page(ctx: PageContext, status: str = "", type: str = "", page: int = 1) -> None:  # noqa: A002
    ui.label("Spend points on tickets or claim your free entry — no purchase necessary. Every draw is "
             "verifiable.").classes("text-sm text-slate-600 -mt-2")
    with ui.row().classes("gap-2"):
        ui.button("My entries & prizes", icon="confirmation_number",
                  on_click=lambda: ui.navigate.to("/my/entries")) \
            .props("outline no-caps color=primary").mark("my-entries-link")
    view = drawings_list(ctx, status, type, page)
    background_tasks.create(view.load(), name="drawings-load")


# -------------------------------------------------------------------------------------------------- /my/entries
def entry_row(row: tickets.EntryRow) -> dict[str, Any]:
    d = row.drawing
    if row.won:
        result = "Won!"
    elif d.status == DrawingStatus.completed.value:
        result = "Not this time"
    elif d.status == DrawingStatus.cancelled.value:
        result = "Cancelled (refunded)" if row.points_spent else "Cancelled"
    else:
        result = "Waiting for the draw"
    tickets_text = f"{row.tickets} ticket{'s' if row.tickets != 1 else ''}"
    if row.free_entry:
        tickets_text += " (free)" if row.tickets == 1 else " (1 free)"
    return {"id": str(d.id), "name": d.name, "status": STATUS_STYLE.get(d.status, (d.status,))[0],
            "when": d.drawing_time.strftime("%b %-d, %Y"), "tickets": tickets_text, "spent": f"{row.points_spent:,}",
            "result": result, "won": row.won}


def _my_page(session: Session, user_id: uuid.UUID,
             page: int) -> tuple[list[tickets.WinRow], list[tickets.EntryRow], int]:
    wins = tickets.my_wins(session, user_id)
    entries, total = tickets.my_entries(session, user_id, page=page, limit=PAGE_SIZE)
    return wins, entries, total


class my_entries_view:  # noqa: N801
    """The member's prizes and their paged entries; `load()` reads the current page."""

    def __init__(self, ctx: PageContext, page: int) -> None:
        self.ctx = ctx
        self.user_id, self.page = ctx.member_id, max(page, 1)
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        ui.label("Prizes won").classes("text-lg font-semibold text-slate-900")
        self.wins = ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 gap-3 w-full").mark("wins")
        with self.wins:
            ui.skeleton("rect", height="120px").classes("w-full rounded-2xl")
        ui.label("My entries").classes("text-lg font-semibold text-slate-900 pt-2")
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            self.entries = ui.list().props("separator").classes("w-full").mark("entries")
            with self.entries:
                for _ in range(3):
                    ui.skeleton("text").classes("mx-4 my-3 w-2/3")
            self.pagination = ui.pagination(1, 1, direction_links=True, value=self.page,
                                            on_change=self._page_changed) \
                .props("max-pages=5 boundary-numbers color=grey-8 active-color=primary").classes("p-2")
            self.pagination.visible = False

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        try:
            wins, entries, total = await self.ctx.read(_my_page, self.user_id, self.page)
        except DomainError as exc:
            self.error.show("Could not load your entries", exc.detail)
            return
        self.entries.clear()
        with self.entries:
            if not entries:
                with ui.item():
                    ui.label("You have not entered a drawing yet.").classes("text-sm text-slate-500 py-2")
            for row in entries:
                self._entry(entry_row(row))
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.pagination.max = pages
        self.pagination.visible = pages > 1
        self.wins.clear()
        with self.wins:
            if not wins:
                with ui.element("div").classes("md:col-span-2"):
                    notice("emoji_events", "No prizes yet",
                           "Every ticket — bought or free — has the same chance. Good luck in the next draw!")
            for win in wins:
                self._win(win)

    @staticmethod
    def _entry(row: dict[str, Any]) -> None:
        with ui.item().props(f'clickable href="/drawings/{row["id"]}"').classes("px-4 py-3").mark("entry"):
            with ui.item_section():
                ui.label(row["name"]).classes("font-medium text-slate-900")
                ui.label(f"{row['status']} · draw {row['when']} · {row['spent']} points spent") \
                    .classes("text-xs text-slate-500")
            with ui.item_section().props("side").classes("items-end"):
                ui.label(row["tickets"]).classes("text-sm ft-num text-slate-800 whitespace-nowrap")
                ui.label(row["result"]).classes("text-xs whitespace-nowrap " + (
                    "text-primary font-semibold" if row["won"] else "text-slate-500")).mark("entry-result")

    def _win(self, win: tickets.WinRow) -> None:
        label, color = FULFILLMENT_LABELS.get(win.fulfillment_status or "", ("Being prepared", "grey-7"))
        digital = win.prize.fulfillment_type == "digital"
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2").mark("win"):
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                with ui.element("div").classes("rounded-xl bg-amber-50 p-2"):
                    ui.icon("emoji_events", color="accent", size="md")
                with ui.column().classes("gap-0 min-w-0 grow"):
                    ui.label(win.prize.name).classes("font-semibold text-slate-900")
                    ui.label(f"{win.drawing.name} · ticket #{win.ticket_number} · "
                             f"{money(win.prize.value_usd)}").classes("text-xs text-slate-500")
                ui.badge(label, color=color).props("rounded").classes("px-2 py-1 text-[11px]").mark("win-status")
            if win.fulfillment_id is not None:
                action = None
                if win.fulfillment_status in (FulfillmentStatus.winner_notified.value,
                                              FulfillmentStatus.address_invalid.value):
                    action = "Reveal my code" if digital else "Confirm shipping address"
                with ui.row().classes("w-full justify-end"):
                    target = claim_path(win.fulfillment_id)
                    if action:
                        ui.button(action, icon="arrow_forward", on_click=lambda t=target: ui.navigate.to(t)) \
                            .props("unelevated no-caps color=primary").mark("claim-prize")
                    else:
                        ui.button("View prize", on_click=lambda t=target: ui.navigate.to(t)) \
                            .props("flat no-caps color=primary").mark("view-prize")


@member_page("/my/entries", title="My entries & prizes")
async def my_entries_page(ctx: PageContext, page: int = 1) -> None:
    ui.link("← All drawings", "/drawings").classes("text-sm text-primary -mt-2")
    view = my_entries_view(ctx, page)
    background_tasks.create(view.load(), name="my-entries-load")

