"""`/drawings/{id}` — one drawing (issue 6 §2, §3, §5): prizes and sponsors, my tickets and odds, the live ticket
total and countdown, "Buy tickets" (`components/ticket_dialog.py`: cost, balance after, odds after, confirm), "Enter
free" (the alternate method of entry, no purchase necessary), the official rules link and the verifiable-draw values
published so far; once drawn, the winners.

`/results/{id}` — the public results page (no sign-in; PRODUCT.md §6 "the public results page lets anyone recompute
the winners"): seed commitment, ticket-list hash, revealed server seed, the frozen ticket list (a file download and a
paged browser, issue 12 §5), winners and alternates, the recipe and how to verify with
`python -m app.cli.verify_draw`. `/drawings/{id}/results` leads there.

Live: the countdown ticks in the browser; the ticket total and status are re-read every `LIVE_SECONDS` (one small
query) and the page re-reads everything when the status changes (sales closed, drawn) or the countdown ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import background_tasks, ui

from app.api.drawings import ticket_list_url
from components.countdown import countdown, local_time, timing
from components.frame import frame, public_shell
from components.notice import notice
from components.page import PageContext, member_page, public_page
from components.sweepstakes import status_chip, type_chip
from components.theme import money
from components.ticket_dialog import percent, ticket_dialog
from domain.models import User
from domain.shared.enums import DrawingStatus
from domain.shared.errors import DomainError, NotFound
from domain.sweepstakes import drawings, tickets, views
from domain.sweepstakes.drawings import DrawResults, WinnerLine
from domain.sweepstakes.views import DrawingPage

LIVE_SECONDS = 5.0
TicketReader = Callable[..., Awaitable[list[str]]]  # PageContext.read bound to a ticket-page read
S = DrawingStatus


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def hash_line(label: str, value: str | None, marker: str, waiting: str) -> None:
    """A labelled hex value (wrapping anywhere, selectable) or a grey "waiting" sentence."""
    with ui.column().classes("gap-0 w-full min-w-0"):
        ui.label(label).classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
        if value:
            ui.label(value).classes("font-mono text-xs break-all text-slate-800 select-all").mark(marker)
        else:
            ui.label(waiting).classes("text-sm text-slate-500").mark(marker)


class drawing_view:  # noqa: N801
    """The drawing page's body; `show(page)` rebuilds it from a `DrawingPage`, `live()` updates the total."""

    def __init__(self, ctx: PageContext, page: DrawingPage) -> None:
        self.ctx = ctx
        self.user_id = ctx.member_id
        self.page = page
        self.dialog = ticket_dialog(ctx, page.drawing.id, page.drawing.name, page.drawing.ticket_cost_points,
                                    on_bought=self._bought)
        self.body = ui.column().classes("w-full gap-4")
        self.show(page)
        ui.timer(LIVE_SECONDS, self.live)

    # ---------------------------------------------------------------------------------------------------- building
    def show(self, page: DrawingPage) -> None:
        self.page = page
        d = page.drawing
        now = self.ctx.now()
        self.body.clear()
        with self.body:
            self._hero(page, now)
            if d.status == S.cancelled.value:
                reason = (d.results or {}).get("reason") or "This drawing was cancelled."
                notice("block", "This drawing was cancelled", f"{reason} Bought tickets were refunded.",
                       kind="info").mark("cancelled-notice")
            with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-4 w-full items-start"):
                with ui.column().classes("gap-4 lg:col-span-2 min-w-0"):
                    if d.status in (S.open.value, S.scheduled.value):
                        self._entry_card(page)
                    if d.status == S.completed.value:
                        self.winners_box = ui.column().classes("w-full gap-0")
                        background_tasks.create(self._load_winners(), name="drawing-winners")
                    self._prizes(page)
                with ui.column().classes("gap-4 min-w-0"):
                    self._my_card(page)
                    self._verify_card(page)

    def _hero(self, page: DrawingPage, now: datetime) -> None:
        d = page.drawing
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0 overflow-hidden"):
            with ui.element("div").classes("w-full bg-primary text-white px-5 py-5"):
                with ui.row().classes("items-center gap-2"):
                    status_chip(d.status).mark("drawing-status")
                    type_chip(d.drawing_type)
                ui.label(d.name).classes("text-2xl font-bold tracking-tight pt-2").mark("drawing-name")
                if d.description:
                    ui.label(d.description).classes("text-sm opacity-90 max-w-2xl")
            with ui.element("div").classes("grid grid-cols-2 sm:grid-cols-4 gap-3 w-full px-5 py-4"):
                self._figure("Ticket price", f"{d.ticket_cost_points:,} pts", "ticket-price")
                self.total_label = self._figure("Tickets in", f"{d.total_tickets:,}", "total-tickets")
                caption, deadline, fixed = timing(d.status, d.open_time, d.sales_close, d.drawing_time, now)
                with ui.column().classes("gap-0 min-w-0 col-span-2"):
                    ui.label(caption).classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                    if deadline is not None:
                        countdown(deadline, label=caption, on_expired=self.reload) \
                            .classes("text-xl font-bold text-slate-900").mark("countdown")
                        ui.label(local_time(deadline)).classes("text-xs text-slate-500")
                    else:
                        ui.label(fixed).classes("text-base font-semibold text-slate-900").mark("countdown")

    @staticmethod
    def _figure(title: str, value: str, marker: str) -> ui.label:
        with ui.column().classes("gap-0 min-w-0"):
            ui.label(title).classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
            return ui.label(value).classes("text-xl font-bold text-slate-900 ft-num").mark(marker)

    def _entry_card(self, page: DrawingPage) -> None:
        d = page.drawing
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("entry-card"):
            ui.label("Enter this drawing").classes("text-lg font-semibold text-slate-900")
            if page.refusal:
                with ui.row(wrap=False).classes("w-full items-start gap-2 rounded-lg bg-amber-50 p-3"):
                    ui.icon("info", color="warning")
                    ui.label(page.refusal).classes("text-sm text-slate-700").mark("entry-refusal")
            with ui.row().classes("w-full items-center gap-2"):
                buy = ui.button("Buy tickets", icon="confirmation_number", on_click=self._open_dialog) \
                    .props("unelevated no-caps color=primary size=md").mark("buy-tickets")
                buy.set_enabled(page.can_enter and d.ticket_cost_points > 0)
                if page.my_free_entry:
                    with ui.row(wrap=False).classes("items-center gap-1 text-positive text-sm font-medium px-2") \
                            .mark("free-entry-claimed"):
                        ui.icon("check_circle", size="sm")
                        ui.label("Free entry claimed")
                else:
                    free = ui.button("Enter free", icon="volunteer_activism", on_click=self._free_entry) \
                        .props("outline no-caps color=primary size=md").mark("enter-free")
                    free.set_enabled(page.can_enter)
            ui.label("No purchase necessary: every eligible member may claim one free entry per drawing, with the "
                     "same odds as a bought ticket. Premium membership never improves odds.") \
                .classes("text-xs text-slate-500")

    def _my_card(self, page: DrawingPage) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-2").mark("my-odds"):
            ui.label("Your chances").classes("text-base font-semibold text-slate-900")
            with ui.row(wrap=False).classes("w-full items-end gap-2"):
                self.mine_label = ui.label(f"{page.my_tickets:,}").classes("text-3xl font-bold ft-num text-primary") \
                    .mark("my-tickets")
                ui.label("tickets" if page.my_tickets != 1 else "ticket").classes("text-sm text-slate-500 pb-1")
            self.odds_label = ui.label().classes("text-sm text-slate-700").mark("my-chance")
            self._show_odds(page.my_tickets, page.drawing.total_tickets)
            if page.my_free_entry:
                ui.label("Includes your free entry.").classes("text-xs text-slate-500")
            ui.label(f"Your balance: {page.balance:,} points").classes("text-xs text-slate-500").mark("my-balance")

    def _show_odds(self, mine: int, total: int) -> None:
        if not mine:
            self.odds_label.set_text("You have no tickets in this drawing yet.")
        else:
            self.odds_label.set_text(f"{mine:,} of {total:,} tickets · {percent(mine / total if total else 0)} "
                                     "chance for each prize draw")

    def _prizes(self, page: DrawingPage) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0").mark("prizes"):
            with ui.row().classes("w-full items-center px-5 pt-4 pb-2"):
                ui.label("Prizes").classes("text-lg font-semibold text-slate-900")
                ui.space()
                ui.label(f"Total value {money(sum(p.prize.value_usd * p.prize.quantity for p in page.prizes))}") \
                    .classes("text-sm text-slate-500")
            if not page.prizes:
                ui.label("Prizes will be announced soon.").classes("px-5 pb-4 text-sm text-slate-500")
            with ui.list().classes("w-full").props("separator"):
                for view in page.prizes:
                    p = view.prize
                    with ui.item().classes("px-5 py-3"):
                        with ui.item_section().props("avatar"):
                            ui.label(f"#{p.prize_rank}").classes("rounded-full bg-amber-50 w-10 h-10 flex "
                                                                 "items-center justify-center font-bold "
                                                                 "text-amber-700")
                        with ui.item_section():
                            ui.label(p.name + (f" × {p.quantity}" if p.quantity > 1 else "")) \
                                .classes("font-medium text-slate-900").mark("prize-name")
                            details = [money(p.value_usd) + (" each" if p.quantity > 1 else ""),
                                       "digital code" if p.fulfillment_type == "digital" else "shipped to you"]
                            if view.sponsor_name:
                                details.append(f"sponsored by {view.sponsor_name}")
                            ui.label(" · ".join(details)).classes("text-xs text-slate-500")

    def _verify_card(self, page: DrawingPage) -> None:
        d = page.drawing
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("verify-card"):
            with ui.row(wrap=False).classes("items-center gap-2"):
                ui.icon("verified", color="primary")
                ui.label("Verifiable draw").classes("text-base font-semibold text-slate-900")
            hash_line("Seed commitment", d.seed_commitment if d.status != S.scheduled.value else None,
                      "seed-commitment", "Published when the drawing opens.")
            hash_line("Ticket list hash",
                      d.ticket_list_hash if d.status in (S.closed.value, S.completed.value) else None,
                      "ticket-list-hash", "Published when sales close.")
            with ui.row().classes("gap-x-4 gap-y-1"):
                ui.link("Results & how to verify", f"/results/{d.id}").classes("text-sm text-primary") \
                    .mark("results-link")
                ui.link(f"Official rules (v{d.rules_version})", f"/rules/{d.id}").classes("text-sm text-primary") \
                    .mark("rules-link")

    async def _load_winners(self) -> None:
        try:
            results = await self.ctx.read(views.public_results, self.page.drawing.id, include_tickets=False)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        with self.winners_box:
            winners_card(results, viewer_id=self.user_id)

    # ----------------------------------------------------------------------------------------------------- events
    async def reload(self) -> None:
        """Re-read everything (after a purchase, a free entry, or when the countdown ends)."""
        try:
            page = await self.ctx.read(views.drawing_page, self.page.drawing.id, self.user_id, self.ctx.now())
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        self.show(page)

    async def live(self) -> None:
        """The live ticket total; a status change re-reads the whole page."""
        drawing_id = self.page.drawing.id
        try:
            live = await self.ctx.read(views.live_totals, [drawing_id])
        except DomainError:
            return
        if drawing_id not in live:
            return
        total, status = live[drawing_id]
        if status != self.page.drawing.status:
            await self.reload()
            return
        self.total_label.set_text(f"{total:,}")
        self._show_odds(self.page.my_tickets, total)

    async def _member(self) -> User | None:
        return await self.ctx.member()

    async def _open_dialog(self) -> None:
        if await self._member() is None:
            return
        try:
            page = await self.ctx.read(views.drawing_page, self.page.drawing.id, self.user_id, self.ctx.now())
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        if page.refusal:
            ui.notify(page.refusal, type="warning")
            self.show(page)
            return
        self.dialog.start(page.balance, page.my_tickets, page.drawing.total_tickets)

    async def _bought(self, _: tickets.Purchase) -> None:
        await self.reload()

    async def _free_entry(self) -> None:
        member = await self._member()
        if member is None:
            return
        try:
            ticket = await self.ctx.write(tickets.claim_free_entry, user_id=member.id,
                                          drawing_id=self.page.drawing.id, clock=self.ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            await self.reload()
            return
        ui.notify(f"Your free entry is in: ticket #{ticket.ticket_number}. Good luck!", type="positive")
        await self.reload()


def winners_card(results: DrawResults, *, viewer_id: uuid.UUID | None = None) -> None:
    """The winners (award order) and alternates of a completed drawing, from its public results."""
    with ui.card().props("flat").classes("ft-card w-full p-0 gap-0").mark("winners"):
        with ui.row(wrap=False).classes("w-full items-center gap-2 px-5 pt-4 pb-2"):
            ui.icon("emoji_events", color="accent")
            ui.label("Winners").classes("text-lg font-semibold text-slate-900")
        winners = results.winners
        if not winners:
            ui.label("No winners were drawn.").classes("px-5 pb-4 text-sm text-slate-500")
        mine = str(viewer_id) if viewer_id else None
        with ui.list().classes("w-full").props("separator"):
            for row in winners:
                _winner_item(row, mine)
            for row in results.alternates:
                _winner_item(row, mine, alternate=True)


def _winner_item(row: WinnerLine, mine: str | None, *, alternate: bool = False) -> None:
    you = mine is not None and row.user_id == mine
    with ui.item().classes("px-5 py-2" + (" bg-amber-50" if you else "")).mark("winner"):
        with ui.item_section().props("avatar"):
            ui.label(f"#{row.prize_rank}").classes("font-bold text-amber-700")
        with ui.item_section():
            name = row.display_name or "Member"
            ui.label(f"{name}{' (you!)' if you else ''}").classes("font-medium text-slate-900")
            extra = f" · alternate for ticket #{row.replaces_ticket_number}" if alternate else ""
            ui.label(f"{row.prize_name or 'Prize'} · ticket #{row.ticket_number}{extra}") \
                .classes("text-xs text-slate-500")


@member_page("/drawings/{drawing_id}", title="Sweepstakes")
async def drawing_detail_page(ctx: PageContext, drawing_id: str) -> None:
    ui.link("← All drawings", "/drawings").classes("text-sm text-primary -mt-2")
    key = _uuid(drawing_id)
    page: DrawingPage | None = None
    if key is not None:
        try:
            page = await ctx.read(views.drawing_page, key, ctx.member_id, ctx.now())
        except NotFound:
            page = None
    if page is None:
        notice("search_off", "No such drawing", "It may have been removed, or the link is mistyped.") \
            .mark("not-found")
        return
    drawing_view(ctx, page)


@public_page("/drawings/{drawing_id}/results")
async def drawing_results_redirect(ctx: PageContext, drawing_id: str) -> RedirectResponse:
    key = _uuid(drawing_id)
    return RedirectResponse(f"/results/{key}" if key else "/drawings")


# -------------------------------------------------------------------------------------------- public results page
VERIFY_STEPS = (
    "Check that SHA-256 of the revealed server seed equals the seed commitment published when the drawing opened.",
    "Check that SHA-256 of the ticket list (the lines joined with a newline) equals the hash published at close.",
    "Recompute the winners with the recipe below, or let the command do all of it:",
)


class ticket_browser:  # noqa: N801
    """The frozen ticket list, one page at a time (issue 12 §5): `PAGE_SIZES` lines a page (bounded), read with
    `domain.sweepstakes.drawings.ticket_page` on every page change — a 1,000,000-ticket list is never in the page."""

    PAGE_SIZES = (100, 500, drawings.TICKETS_MAX_LIMIT)

    def __init__(self, read: TicketReader, results: DrawResults) -> None:
        self.read = read
        self.drawing_id = uuid.UUID(results.drawing_id)
        self.total = results.total_tickets
        self.page, self.limit = results.tickets_page, results.tickets_limit
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("ticket-browser"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label("Ticket list").classes("text-lg font-semibold text-slate-900")
                ui.space()
                ui.select({n: f"{n:,} a page" for n in self.PAGE_SIZES}, value=self.limit,
                          on_change=self._limit_changed).props("dense outlined options-dense").mark("ticket-limit")
            self.count = ui.label().classes("text-sm text-slate-500").mark("ticket-count")
            self.lines = ui.label().classes("font-mono text-xs whitespace-pre break-all text-slate-800 select-all "
                                            "max-h-96 overflow-auto w-full").mark("ticket-lines")
            self.pager = ui.pagination(1, self.pages, direction_links=True, value=self.page,
                                       on_change=self._page_changed) \
                .props("max-pages=7 boundary-numbers color=grey-8 active-color=primary").mark("ticket-pager")
        self.show(results.tickets)

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.limit), 1)

    def show(self, lines: list[str]) -> None:
        first = (self.page - 1) * self.limit + 1
        self.count.set_text(f"Tickets {first:,}–{first + len(lines) - 1:,} of {self.total:,}" if lines
                            else f"{self.total:,} tickets")
        self.lines.set_text("\n".join(lines))
        self.pager.max = self.pages
        self.pager.visible = self.pages > 1

    async def load(self) -> None:
        self.show(await self.read(drawings.ticket_page, self.drawing_id, page=self.page, limit=self.limit))

    async def _page_changed(self, event: Any) -> None:
        if event.value and event.value != self.page:
            self.page = int(event.value)
            await self.load()

    async def _limit_changed(self, event: Any) -> None:
        if event.value and event.value != self.limit:
            first = (self.page - 1) * self.limit  # keep the first line shown in view
            self.limit = int(event.value)
            self.page = first // self.limit + 1
            self.pager.value = self.page
            await self.load()


def results_body(results: DrawResults, viewer_id: uuid.UUID | None, base_url: str, read: TicketReader) -> None:
    """The results page content for `results` (`domain.sweepstakes.drawings.results`, page 1 of the ticket list);
    `read` is the page's `PageContext.read`, for the ticket browser's further pages."""
    status = results.status
    drawing_id = results.drawing_id
    with ui.card().props("flat").classes("ft-card w-full p-5 gap-2"):
        with ui.row().classes("items-center gap-2"):
            status_chip(status)
            type_chip(results.drawing_type)
        ui.label(results.name).classes("text-xl font-bold text-slate-900").mark("results-name")
        drawn = results.drawn_at
        when = local_time(datetime.fromisoformat(drawn or results.drawing_time))
        ui.label(f"{'Drawn' if drawn else 'Drawing time'}: {when} · {results.total_tickets:,} tickets") \
            .classes("text-sm text-slate-600")
        if status == S.cancelled.value:
            ui.label(f"Cancelled: {results.cancelled_reason or 'no reason given'}") \
                .classes("text-sm text-slate-700").mark("results-cancelled")
    if status == S.completed.value:
        winners_card(results, viewer_id=viewer_id)
    elif status in (S.open.value, S.closed.value, S.scheduled.value):
        notice("hourglass_top", "Not drawn yet",
               "The winners and the server seed appear here right after the draw.", kind="info") \
            .mark("results-pending")

    with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("published-values"):
        ui.label("Published values").classes("text-lg font-semibold text-slate-900")
        hash_line("Seed commitment — SHA-256 of the server seed", results.seed_commitment,
                  "seed-commitment", "Published when the drawing opens.")
        hash_line("Ticket list hash — SHA-256 of the frozen list", results.ticket_list_hash,
                  "ticket-list-hash", "Published when sales close.")
        hash_line("Server seed (revealed after the draw)", results.server_seed, "server-seed",
                  "Kept secret until the draw.")
        hash_line("Draw seed — HMAC-SHA256(server seed, drawing id:list hash)", results.draw_seed,
                  "draw-seed", "Computed at the draw.")
        with ui.row().classes("items-center gap-2 pt-1"):
            if results.ticket_list_hash:
                # the frozen list as a file (its SHA-256 is the hash above), never built in this page (issue 12 §5)
                ui.button(f"Download ticket list ({results.total_tickets:,} tickets)", icon="download",
                          on_click=lambda: ui.download.from_url(ticket_list_url(drawing_id))) \
                    .props("outline no-caps color=primary").mark("download-tickets")
            ui.button("Download results JSON", icon="data_object",
                      on_click=lambda: ui.download.content(json.dumps(results.as_json(), indent=2).encode(),
                                                           f"results-{drawing_id}.json", "application/json")) \
                .props("flat no-caps color=primary").mark("download-results")
    if results.ticket_list_hash and results.total_tickets:
        ticket_browser(read, results)

    with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("how-to-verify"):
        ui.label("How to verify").classes("text-lg font-semibold text-slate-900")
        with ui.column().classes("gap-1"):
            for k, step in enumerate(VERIFY_STEPS, start=1):
                ui.label(f"{k}. {step}").classes("text-sm text-slate-700")
        command = f"python -m app.cli.verify_draw {base_url}/api/v1/drawings/{drawing_id}/results"
        ui.code(command, language="bash").classes("w-full text-xs").mark("verify-command")
        ui.label("The command uses only the Python standard library and shares no code with the draw; it prints "
                 "MATCH or MISMATCH (exit status 0 or 1). The results JSON is public: no account needed.") \
            .classes("text-xs text-slate-500")
        with ui.expansion("The recipe", icon="receipt_long").classes("w-full").props("dense"):
            ui.code(results.recipe, language="text").classes("w-full text-xs").mark("recipe")


@public_page("/results/{drawing_id}", with_user=True)
async def results_page(ctx: PageContext, drawing_id: str) -> None:
    key = _uuid(drawing_id)
    results: DrawResults | None = None
    if key is not None:
        try:
            results = await ctx.read(views.public_results, key)
        except NotFound:
            results = None
    title = f"Results · {results.name}" if results else "Results"
    base = ctx.base_url
    if ctx.user is not None:
        with frame(ctx, title):
            if results is not None:
                ui.link("← Back to the drawing", f"/drawings/{drawing_id}").classes("text-sm text-primary -mt-2")
                results_body(results, ctx.user.id, base, ctx.read)
            else:
                notice("search_off", "No such drawing", "The link may be mistyped.").mark("not-found")
        return
    public_shell(title)
    with ui.column().classes("w-full max-w-4xl mx-auto px-3 py-4 sm:px-6 gap-4"):
        if results is None:
            notice("search_off", "No such drawing", "The link may be mistyped.").mark("not-found")
        else:
            results_body(results, None, base, ctx.read)
