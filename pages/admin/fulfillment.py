"""`/admin/fulfillment` — the prize fulfillment queue (PRODUCT.md §6, §7; issue 7 §3).

Filter by status (open ones by default), by address deadline (overdue, due within 3 or 7 days) and by the "tax form
needed" flag ($600+ prizes); summary chips count what waits where. Each prize card shows the winner, the prize, the
deadline or the shipping address, and the actions its status allows: ship (carrier + tracking number), mark
delivered, mark the address invalid (the winner is asked again with a new 14-day deadline) and forfeit (with a
reason; an alternate winner is drawn). Every action asks first, runs `domain.sweepstakes.fulfillment` in one unit of
work (audited, the winner's emails queued with it) and reloads the queue. Which actions a card offers follows the
domain's status flow (`fulfillment.TRANSITIONS`).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware). Digital prize codes are never shown here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from nicegui import background_tasks, ui
from sqlmodel import Session

from components.notice import notice
from components.page import PageContext, admin_page
from domain import audit
from domain.audit import AuditFilter
from domain.shared.enums import FulfillmentStatus
from domain.shared.errors import DomainError
from domain.sweepstakes import fulfillment
from domain.sweepstakes.fulfillment import TAX_FORM_THRESHOLD_USD, TRANSITIONS, FulfillmentView

PAGE_SIZE = 20
STATUSES = {"open": "Open", FulfillmentStatus.winner_notified.value: "Winner notified",
            FulfillmentStatus.address_invalid.value: "Address invalid",
            FulfillmentStatus.address_confirmed.value: "Ready to ship", FulfillmentStatus.shipped.value: "Shipped",
            FulfillmentStatus.delivered.value: "Delivered", FulfillmentStatus.forfeited.value: "Forfeited",
            FulfillmentStatus.pending.value: "Pending", "": "All"}
STATUS_STYLE = {"pending": ("grey-7", "Pending"), "winner_notified": ("warning", "Awaiting address"),
                "digital_notified": ("warning", "Code not viewed"),
                "address_invalid": ("negative", "Address invalid"), "address_confirmed": ("info", "Ready to ship"),
                "shipped": ("primary", "Shipped"), "delivered": ("positive", "Delivered"),
                "forfeited": ("grey-7", "Forfeited")}
DEADLINES = {"": "Any deadline", "overdue": "Overdue", "3": "Due within 3 days", "7": "Due within 7 days"}
CARRIERS = ["UPS", "USPS", "FedEx", "DHL"]
SUMMARY = [("winner_notified", "Winner notified", "hourglass_top"),
           ("address_invalid", "Address invalid", "wrong_location"),
           ("address_confirmed", "Ready to ship", "inventory_2"), ("shipped", "Shipped", "local_shipping"),
           ("tax_form", "Tax forms", "request_quote")]


def _due_before(deadline: str, now: datetime) -> datetime | None:
    if deadline == "overdue":
        return now
    if deadline in ("3", "7"):
        return now + timedelta(days=int(deadline))
    return None


def _load(session: Session, *, status: str, deadline: str, tax: bool, page: int,
          now: datetime) -> tuple[list[FulfillmentView], int, dict[str, int]]:
    rows, total = fulfillment.list_fulfillments(session, status=status or None,
                                                due_before=_due_before(deadline, now),
                                                tax_form=True if tax else None, page=page, limit=PAGE_SIZE)
    return rows, total, fulfillment.status_counts(session)


def _deadline_text(deadline: datetime, now: datetime) -> tuple[str, str]:
    """("Address due May 15 · 3 days left", colour class)."""
    left = deadline - now
    when = deadline.strftime("%b %-d, %H:%M UTC")
    if left <= timedelta(0):
        return f"Address was due {when} · overdue (forfeits at the next hourly run)", "text-red-700"
    days = left.days
    remaining = f"{days} day{'s' if days != 1 else ''} left" if days else f"{int(left.total_seconds() // 3600)} h left"
    return f"Address due {when} · {remaining}", "text-amber-700" if days < 3 else "text-slate-600"


def _address_lines(address: dict[str, Any]) -> list[str]:
    lines = [address.get("full_name", ""), address.get("line1", "")]
    if address.get("line2"):
        lines.append(address["line2"])
    lines.append(f"{address.get('city', '')}, {address.get('state', '')} {address.get('postal_code', '')}")
    if address.get("phone"):
        lines.append(address["phone"])
    return [line for line in lines if line.strip()]


async def _ask(title: str, text: str, action: str, color: str, fields: list[tuple[str, str, int]] | None = None,
               ) -> dict[str, str] | None:
    """A confirmation dialog; with `fields` [(key, label, max length)] each is a required input (the "reason"
    field is a text area, "carrier" suggests common carriers). Returns the values, or None when cancelled."""
    inputs: dict[str, Any] = {}

    def required(value: str | None) -> bool:
        return bool((value or "").strip())

    with ui.dialog() as dialog, ui.card().classes("ft-card p-5 gap-3 w-full max-w-md"):
        ui.label(title).classes("text-lg font-semibold")
        ui.label(text).classes("text-sm text-slate-600")
        for key, label, limit in fields or []:
            if key == "reason":
                element: Any = ui.textarea(label, validation={"Required": required})
            elif key == "carrier":
                element = ui.input(label, autocomplete=CARRIERS, validation={"Required": required})
            else:
                element = ui.input(label, validation={"Required": required})
            inputs[key] = element.props(f"outlined dense maxlength={limit}").classes("w-full") \
                .mark(f"dialog-{key}").without_auto_validation()

        def submit() -> None:
            if all([element.validate() for element in inputs.values()]):  # validate every field (no short-circuit)
                dialog.submit({key: element.value.strip() for key, element in inputs.items()})

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: dialog.submit(None)).props("flat no-caps")
            ui.button(action, color=color, on_click=submit).props("unelevated no-caps").mark("confirm")
    result = await dialog
    if not dialog.is_deleted:  # the browser may have gone away while the dialog was open
        dialog.delete()
    return result if isinstance(result, dict) else None


class fulfillment_card(ui.card):  # noqa: N801
    """One prize in the queue with the actions its status allows; `on_done` reloads the queue after an action."""

    def __init__(self, ctx: PageContext, view: FulfillmentView, now: datetime, on_done: Callable[[], Any]) -> None:
        super().__init__()
        self.ctx = ctx
        self.view, self.on_done = view, on_done
        self.props("flat").classes("ft-card w-full p-4 gap-2").mark(f"fulfillment-{view.id}")
        style = "digital_notified" if view.is_digital and view.status == "winner_notified" else view.status
        colour, label = STATUS_STYLE.get(style, ("grey-7", view.status))
        with self:
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                with ui.column().classes("gap-0 min-w-0 grow"):
                    ui.label(view.prize_name).classes("font-semibold text-slate-900 truncate max-w-full")
                    ui.label(f"{view.drawing_name} · rank {view.prize_rank} · ticket #{view.ticket_number}") \
                        .classes("text-xs text-slate-500 truncate max-w-full")
                with ui.column().classes("gap-1 items-end shrink-0"):
                    ui.badge(label, color=colour).props("rounded").classes("px-2").mark("status")
                    ui.label(f"${view.prize_value_usd:,.2f}").classes("font-semibold ft-num text-primary")
            with ui.row().classes("items-center gap-2"):
                ui.icon("person", size="xs").classes("text-slate-500")
                ui.label(view.display_name).classes("text-sm text-slate-800")
                ui.label(view.email).classes("text-xs text-slate-500 break-all")
            with ui.row().classes("items-center gap-2"):
                ui.badge("Digital" if view.is_digital else "Physical", color="secondary").props("outline")
                if view.tax_form_needed:
                    ui.badge("Tax form needed", color="warning").props("outline").mark("tax-flag") \
                        .tooltip(f"Prize worth ${TAX_FORM_THRESHOLD_USD:,.0f} or more: collect a W-9 and file a 1099")
            if view.awaiting_address and view.deadline_at is not None:
                text, tone = _deadline_text(view.deadline_at, now)
                ui.label(text).classes(f"text-sm {tone}").mark("deadline")
                if view.reminder_sent_at is not None:
                    ui.label(f"Reminder sent {view.reminder_sent_at.strftime('%b %-d')}") \
                        .classes("text-xs text-slate-500")
            if view.shipping_address and view.status in ("address_confirmed", "shipped", "delivered"):
                with ui.column().classes("gap-0 text-sm text-slate-700 bg-slate-50 rounded-lg px-3 py-2 w-full"):
                    for line in _address_lines(view.shipping_address):
                        ui.label(line)
            if view.carrier:
                ui.label(f"{view.carrier} · {view.tracking_number}").classes("text-sm text-slate-700") \
                    .mark("tracking")
            if view.notes and view.status in ("address_invalid", "forfeited"):
                ui.label(view.notes).classes("text-sm text-slate-600 italic")
            self.history = ui.expansion("History", icon="history",
                                        on_value_change=ctx.guard(self._history_toggled)) \
                .props("dense").classes("w-full text-sm bg-slate-50 rounded-lg").mark("history")
            with ui.row().classes("gap-2"):
                self._actions()

    async def _history_toggled(self, event: Any) -> None:
        if not event.value:
            return
        entries, _ = await self.ctx.read(audit.list_entries, AuditFilter(target_type="prize_fulfillment",
                                                                         target_id=str(self.view.id)), limit=50)
        self.history.clear()
        with self.history, ui.column().classes("w-full gap-1 py-1"):
            for entry in reversed(entries):  # oldest first: the prize's story in order
                who = entry.actor_name or entry.actor_email or "System"
                what = entry.action.split(".", 1)[-1].replace("_", " ")
                ui.label(f"{entry.created_at.strftime('%b %-d, %Y %H:%M')} · {what} · {who}") \
                    .classes("text-xs text-slate-600")

    def _button(self, text: str, icon: str, color: str, handler: Callable[[], Any], marker: str,
                outline: bool = False) -> None:
        ui.button(text, icon=icon, color=color, on_click=self.ctx.guard(handler)) \
            .props(f"{'outline' if outline else 'unelevated'} no-caps dense").classes("px-3").mark(marker)

    def _actions(self) -> None:
        status = FulfillmentStatus(self.view.status)
        allowed = TRANSITIONS[status]
        if FulfillmentStatus.shipped in allowed:
            self._button("Ship", "local_shipping", "primary", self.ship, "ship")
        if FulfillmentStatus.address_invalid in allowed:
            self._button("Address invalid", "wrong_location", "warning", self.address_invalid, "address-invalid",
                         outline=True)
        # a physical prize is delivered once shipped; a digital one (its code) straight from winner_notified
        if FulfillmentStatus.delivered in allowed and (status == FulfillmentStatus.shipped or self.view.is_digital):
            self._button("Mark delivered", "done_all", "positive", self.deliver, "deliver")
        if FulfillmentStatus.forfeited in allowed:
            self._button("Forfeit", "block", "negative", self.forfeit, "forfeit", outline=True)

    async def _run(self, service: Callable[..., Any], done: str, **kwargs: Any) -> None:
        admin = await self.ctx.require_admin()  # again: the dialog may have been open for a while
        try:
            await self.ctx.write(service, self.view.id, admin_id=admin.id, ip_address=self.ctx.ip,
                                 clock=self.ctx.system.clock, **kwargs)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(done, type="positive")
        await self.on_done()

    async def ship(self) -> None:
        values = await _ask("Mark as shipped", f"{self.view.prize_name} to {self.view.display_name}. The winner is "
                            "told by email and in the app.", "Mark shipped", "primary",
                            [("carrier", "Carrier", 64), ("tracking_number", "Tracking number", 128)])
        if values:
            await self._run(fulfillment.ship, f"Shipped with {values['carrier']}", **values)

    async def deliver(self) -> None:
        if await _ask("Mark as delivered?", f"{self.view.prize_name} reached {self.view.display_name}.",
                      "Mark delivered", "positive") is not None:
            await self._run(fulfillment.mark_delivered, "Marked delivered")

    async def address_invalid(self) -> None:
        values = await _ask("Address invalid", "The winner is asked for a new address and gets 14 more days. "
                            "Tell them what is wrong:", "Ask again", "warning", [("reason", "What is wrong", 500)])
        if values:
            await self._run(fulfillment.mark_address_invalid, "The winner was asked for a new address", **values)

    async def forfeit(self) -> None:
        values = await _ask("Forfeit this prize?", f"{self.view.display_name} loses {self.view.prize_name} and an "
                            "alternate winner is drawn from the same ticket list. This cannot be undone.",
                            "Forfeit and redraw", "negative", [("reason", "Reason (told to the winner)", 500)])
        if values:
            await self._run(fulfillment.forfeit, "Forfeited; an alternate winner was drawn if tickets remained",
                            **values)


class fulfillment_queue:  # noqa: N801
    """Summary chips, filters, the prize cards and a pager; `load()` reads the current page."""

    def __init__(self, ctx: PageContext, status: str, deadline: str, tax: bool, page: int) -> None:
        self.ctx = ctx
        self.status = status if status in STATUSES else "open"
        self.deadline = deadline if deadline in DEADLINES else ""
        self.tax, self.page = tax, max(page, 1)
        self.chips: dict[str, ui.label] = {}
        with ui.element("div").classes("grid grid-cols-2 sm:grid-cols-5 gap-2 w-full"):
            for key, label, icon in SUMMARY:
                span = "col-span-2 sm:col-span-1" if key == SUMMARY[-1][0] else ""  # 2 + 2 + 1 on a phone
                with ui.card().props("flat").classes(f"ft-card p-3 gap-0 cursor-pointer {span}") \
                        .on("click", ctx.guard(lambda _, k=key: self._chip(k))).mark(f"chip-{key}"):
                    with ui.row(wrap=False).classes("items-center gap-2"):
                        ui.icon(icon, size="xs", color="primary")
                        ui.label(label).classes("text-xs text-slate-500 truncate")
                    self.chips[key] = ui.label("–").classes("text-xl font-semibold ft-num text-slate-900")
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"), \
                ui.row().classes("w-full items-center gap-3 px-3 py-2"):
            self.status_select = ui.select(STATUSES, value=self.status, label="Status",
                                           on_change=ctx.guard(self._status_changed)) \
                .props("dense outlined options-dense").classes("w-44").mark("status-filter")
            self.deadline_select = ui.select(DEADLINES, value=self.deadline, label="Deadline",
                                             on_change=ctx.guard(self._deadline_changed)) \
                .props("dense outlined options-dense").classes("w-44").mark("deadline-filter")
            self.tax_switch = ui.switch("Tax form needed", value=self.tax, on_change=ctx.guard(self._tax_changed)) \
                .mark("tax-filter")
            ui.space()
            self.count = ui.label().classes("text-sm text-slate-500").mark("fulfillment-count")
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.empty = notice("local_shipping", "Nothing here", "No prizes match these filters.")
        self.empty.visible = False
        self.list = ui.column().classes("w-full gap-3")
        self.pager = ui.pagination(1, 1, direction_links=True, value=self.page,
                                   on_change=ctx.guard(self._page_changed)) \
            .props("max-pages=7 boundary-numbers color=grey-8 active-color=primary").classes("self-center")
        self.pager.visible = False

    async def _chip(self, key: str) -> None:
        if key == "tax_form":
            self.status, self.tax = "open", True
        else:
            self.status, self.tax = key, False
        self.deadline, self.page = "", 1
        self.status_select.set_value(self.status)  # their change handlers see nothing new: one load below
        self.deadline_select.set_value(self.deadline)
        self.tax_switch.set_value(self.tax)
        await self.load()

    async def _status_changed(self, event: Any) -> None:
        if event.value != self.status:
            self.status, self.page = event.value or "", 1
            await self.load()

    async def _deadline_changed(self, event: Any) -> None:
        if event.value != self.deadline:
            self.deadline, self.page = event.value or "", 1
            await self.load()

    async def _tax_changed(self, event: Any) -> None:
        if bool(event.value) != self.tax:
            self.tax, self.page = bool(event.value), 1
            await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        self.spinner.visible = True
        try:
            rows, total, counts = await self.ctx.read(_load, status=self.status, deadline=self.deadline, tax=self.tax,
                                                      page=self.page, now=self.ctx.now())
        except DomainError as exc:
            self.error.show("Could not load the fulfillment queue", exc.detail)
            return
        finally:
            self.spinner.visible = False
        self.error.visible = False
        for key, chip in self.chips.items():
            chip.set_text(f"{counts.get(key, 0):,}")
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        if self.page > pages:  # a stale page number (after actions or from the URL) shows the last page
            self.page = pages
            await self.load()
            return
        self.count.set_text(f"{total:,} prize{'s' if total != 1 else ''}")
        self.empty.visible = total == 0
        self.list.clear()
        now = self.ctx.now()
        with self.list:
            for view in rows:
                fulfillment_card(self.ctx, view, now, self.load)
        self.pager.max = pages
        self.pager.value = self.page
        self.pager.visible = pages > 1


@admin_page("/admin/fulfillment", title="Prize fulfillment")
async def admin_fulfillment_page(ctx: PageContext, status: str = "open", deadline: str = "", tax: bool = False,
                                 page: int = 1) -> None:
    queue = fulfillment_queue(ctx, status, deadline, tax, page)
    background_tasks.create(queue.load(), name="fulfillment-queue-load")
