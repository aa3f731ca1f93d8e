"""`/prizes/{fulfillment_id}` — a winner's prize (PRODUCT.md §6; issue 6 §6), and `/prizes`, all of the member's
prizes.

What the page shows follows the fulfillment's status: a physical prize waiting for an address shows the deadline and
the shipping address form (validated by `domain.sweepstakes.fulfillment.address_problems`, each problem under its field;
the address can be corrected until the prize ships); `address_invalid` says why and asks again; `shipped` shows the
carrier and tracking number; a digital prize has a "Reveal my code" button (the code is shown only to the winner,
and revealing it marks the prize delivered); a forfeited prize says why. Prizes of $600 or more say a tax form is
needed. Another member's prize is "not found". Saving and revealing run `domain.sweepstakes.fulfillment` in one unit
of work (audited; the emails they ask for are queued with the change)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from nicegui import background_tasks, ui

from components.notice import notice
from components.page import PageContext, member_page
from domain.accounts.eligibility import ELIGIBLE_STATES
from domain.shared.errors import DomainError
from domain.sweepstakes import fulfillment
from domain.sweepstakes.fulfillment import FulfillmentView

STATUS_STYLE = {"pending": ("grey-7", "Pending"), "winner_notified": ("warning", "Action needed"),
                "address_invalid": ("negative", "New address needed"),
                "address_confirmed": ("info", "Address confirmed"), "shipped": ("primary", "Shipped"),
                "delivered": ("positive", "Delivered"), "forfeited": ("grey-7", "Forfeited")}
FIELDS = [("full_name", "Full name", 100, "name"), ("line1", "Street address", 100, "address-line1"),
          ("line2", "Apartment, suite (optional)", 100, "address-line2"), ("city", "City", 64, "address-level2"),
          ("state", "State", 2, "address-level1"), ("postal_code", "ZIP code", 10, "postal-code"),
          ("phone", "Phone (optional, for the carrier)", 20, "tel")]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%B %-d, %Y at %H:%M UTC") if moment else ""


def _left(deadline: datetime, now: datetime) -> str:
    left = deadline - now
    if left <= timedelta(0):
        return "The deadline has passed"
    if left.days:
        return f"{left.days} day{'s' if left.days != 1 else ''} left"
    hours = max(int(left.total_seconds() // 3600), 1)
    return f"{hours} hour{'s' if hours != 1 else ''} left"


BANNER_TONES = {"info": ("bg-sky-50", "info"), "warning": ("bg-amber-50", "warning"),
                "error": ("bg-red-50", "negative")}


def _banner(icon: str, title: str, text: str, tone: str) -> ui.card:
    """A compact message card: an icon, a bold title and a sentence (tone "info", "warning" or "error")."""
    background, icon_colour = BANNER_TONES[tone]  # text in slate: the dark palette remaps it (theme.DARK_CSS)
    card = ui.card().props("flat").classes(f"ft-card w-full p-4 gap-1 {background}")
    with card, ui.row(wrap=False).classes("items-start gap-3"):
        ui.icon(icon, color=icon_colour, size="sm").classes("shrink-0")
        with ui.column().classes("gap-0 min-w-0"):
            ui.label(title).classes("font-semibold text-slate-900")
            if text:
                ui.label(text).classes("text-sm text-slate-700")
    return card


def _badge(status: str) -> ui.badge:
    colour, label = STATUS_STYLE.get(status, ("grey-7", status))
    return ui.badge(label, color=colour).props("rounded").classes("px-2 text-sm")


class prize_view:  # noqa: N801
    """The prize page body, rebuilt in place (`show`) after each change."""

    def __init__(self, ctx: PageContext, fulfillment_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.fulfillment_id, self.user_id = fulfillment_id, ctx.member_id
        self.spinner = ui.spinner(size="lg").classes("self-center")
        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-4")
        self.inputs: dict[str, Any] = {}

    async def load(self) -> None:
        try:
            view = await self.ctx.read(fulfillment.get_for_member, self.fulfillment_id, self.user_id)
        except DomainError:
            self.error.show("Prize not found", "This prize does not exist or belongs to another member.")
            with self.error.actions:
                ui.button("My prizes", icon="emoji_events", on_click=lambda: ui.navigate.to("/prizes")) \
                    .props("outline no-caps")
            return
        finally:
            self.spinner.visible = False
        self.show(view)

    # ----------------------------------------------------------------------------------------------- layout
    def show(self, view: FulfillmentView) -> None:
        self.view = view
        now = self.ctx.now()
        self.body.clear()
        with self.body:
            with ui.card().props("flat").classes("ft-card w-full p-5 gap-2"):
                with ui.row(wrap=False).classes("w-full items-start gap-3"):
                    ui.icon("emoji_events", size="2.5rem", color="accent").classes("shrink-0")
                    with ui.column().classes("gap-0 min-w-0 grow"):
                        ui.label(view.prize_name).classes("text-xl font-bold text-slate-900 break-words") \
                            .mark("prize-name")
                        ui.label(f"{view.drawing_name} · ticket #{view.ticket_number}") \
                            .classes("text-sm text-slate-500")
                    _badge(view.status).classes("shrink-0").mark("prize-status")
                with ui.row().classes("items-center gap-4 text-sm text-slate-600"):
                    ui.label(f"Value ${view.prize_value_usd:,.2f}").classes("ft-num")
                    ui.label("Digital prize" if view.is_digital else "Sent by mail")
                    if view.notified_at:
                        ui.label(f"Won {view.notified_at.strftime('%b %-d, %Y')}")
            if view.tax_form_needed and view.status != "forfeited":
                _banner("request_quote", "Tax form needed",
                        "Prizes worth $600 or more are reported to the IRS. We will email you a W-9 form to fill in "
                        "before the prize is delivered.", "info").mark("tax-form")
            if view.status == "forfeited":
                _banner("block", "This prize was forfeited", view.notes or "", "error").mark("forfeited")
            elif view.status == "pending":
                _banner("hourglass_top", "We are preparing your prize",
                        "You will get an email and a notification as soon as there is something to do.", "info") \
                    .mark("pending")
            elif view.is_digital:
                self._digital(view)
            elif view.awaiting_address:
                self._address_form(view, now)
            else:
                self._shipping(view)

    def _digital(self, view: FulfillmentView) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-3 items-center text-center"):
            if view.digital_code:
                ui.label("Your code").classes("text-sm text-slate-500")
                with ui.row(wrap=False).classes("items-center gap-2"):
                    ui.label(view.digital_code).classes("text-2xl font-mono font-bold tracking-wider break-all") \
                        .mark("digital-code")
                    ui.button(icon="content_copy", on_click=lambda: self._copy(view.digital_code or "")) \
                        .props('flat round dense aria-label="Copy code"').tooltip("Copy")
                ui.label("Keep it private: anyone with the code can redeem it.").classes("text-xs text-slate-500")
            else:
                ui.label("Your prize is a code you can redeem online.").classes("text-sm text-slate-600")
                ui.button("Reveal my code", icon="visibility", on_click=self.reveal) \
                    .props("unelevated no-caps").mark("reveal")

    def _copy(self, code: str) -> None:
        ui.clipboard.write(code)
        ui.notify("Code copied", type="positive")

    def _address_form(self, view: FulfillmentView, now: datetime) -> None:
        if view.status == "address_invalid":
            _banner("wrong_location", "We could not ship to your address",
                    f"{view.notes or ''} Please enter it again.".strip(), "error").mark("address-invalid")
        if view.deadline_at is not None:
            _banner("schedule", _left(view.deadline_at, now),
                    f"Confirm your shipping address by {_when(view.deadline_at)}, or the prize goes to an alternate "
                    "winner.", "warning").mark("deadline-left")
        self._form(view.shipping_address or {}, "Confirm address")

    def _form(self, address: dict[str, Any], action: str) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-3").mark("address-form"):
            ui.label("Shipping address").classes("text-base font-semibold")
            ui.label("US addresses in eligible states only (not NY, FL or RI).").classes("text-xs text-slate-500")
            self.inputs = {}
            with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 gap-3 w-full"):
                for key, label, limit, autocomplete in FIELDS:
                    value = address.get(key, "")
                    if key == "state":
                        element: Any = ui.select(sorted(ELIGIBLE_STATES), label=label, value=value or None,
                                                 with_input=True).props("outlined")
                    else:
                        element = ui.input(label, value=value) \
                            .props(f"outlined maxlength={limit} autocomplete={autocomplete}")
                        element.on("keydown.enter", self.save)
                    if key in ("full_name", "line1", "line2"):
                        element.classes("sm:col-span-2")
                    self.inputs[key] = element.mark(f"address-{key}")
            with ui.row().classes("w-full items-center gap-3"):
                self.save_button = ui.button(action, icon="check", on_click=self.save) \
                    .props("unelevated no-caps").mark("confirm-address")
                if self.view.status == "address_confirmed":
                    ui.button("Cancel", on_click=lambda: self.show(self.view)).props("flat no-caps")

    def _shipping(self, view: FulfillmentView) -> None:
        with ui.card().props("flat").classes("ft-card w-full p-5 gap-2"):
            if view.status == "address_confirmed":
                ui.label("Address confirmed — we will ship your prize soon.").classes("font-semibold") \
                    .mark("confirmed")
            elif view.status == "shipped":
                ui.label("Your prize is on its way").classes("font-semibold")
                ui.label(f"{view.carrier} · tracking number {view.tracking_number}") \
                    .classes("text-sm text-slate-700 break-all").mark("tracking")
                if view.shipped_at:
                    ui.label(f"Shipped {view.shipped_at.strftime('%B %-d, %Y')}").classes("text-sm text-slate-500")
            elif view.status == "delivered":
                ui.label("Delivered — enjoy your prize!").classes("font-semibold").mark("delivered")
            if view.shipping_address:
                ui.label("Shipping to").classes("text-xs text-slate-500 pt-2")
                address = view.shipping_address
                with ui.column().classes("gap-0 text-sm text-slate-700").mark("shipping-address"):
                    ui.label(address.get("full_name", ""))
                    ui.label(address.get("line1", ""))
                    if address.get("line2"):
                        ui.label(address["line2"])
                    ui.label(f"{address.get('city', '')}, {address.get('state', '')} {address.get('postal_code', '')}")
            if view.status == "address_confirmed":
                ui.button("Change address", icon="edit", on_click=self.edit_address) \
                    .props("outline no-caps").mark("change-address")

    def edit_address(self) -> None:
        self.body.clear()
        with self.body:
            self._form(self.view.shipping_address or {}, "Save address")

    # ----------------------------------------------------------------------------------------------- actions
    async def save(self) -> None:
        if await self.ctx.member() is None:
            return
        address = {key: element.value or "" for key, element in self.inputs.items()}
        _, problems = fulfillment.address_problems(address)
        for key, element in self.inputs.items():
            element.props(remove="error error-message")
            if key in problems:
                element.props(f'error error-message="{problems[key]}"')
        if problems:
            ui.notify("Please check the highlighted fields", type="warning")
            return
        self.save_button.props("loading")
        try:
            await self.ctx.write(fulfillment.confirm_address, self.fulfillment_id, user_id=self.user_id,
                                 address=address, clock=self.ctx.system.clock)
            view = await self.ctx.read(fulfillment.get_for_member, self.fulfillment_id, self.user_id)
        except DomainError as exc:
            self.save_button.props(remove="loading")
            ui.notify(exc.detail, type="negative")
            return
        ui.notify("Address confirmed. We will ship your prize soon.", type="positive")
        self.show(view)

    async def reveal(self) -> None:
        if await self.ctx.member() is None:
            return
        try:
            await self.ctx.write(fulfillment.reveal_code, self.fulfillment_id, user_id=self.user_id,
                                 clock=self.ctx.system.clock)
            view = await self.ctx.read(fulfillment.get_for_member, self.fulfillment_id, self.user_id)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        self.show(view)


def _prize_row(view: FulfillmentView, now: datetime) -> None:
    with ui.link(target=f"/prizes/{view.id}").classes("no-underline text-inherit w-full"), \
            ui.card().props("flat").classes("ft-card w-full p-4 gap-1 hover:shadow-md").mark("prize-row"):
        with ui.row(wrap=False).classes("w-full items-center gap-3"):
            ui.icon("emoji_events", color="accent", size="sm").classes("shrink-0")
            with ui.column().classes("gap-0 min-w-0 grow"):
                ui.label(view.prize_name).classes("font-semibold text-slate-900 truncate max-w-full")
                ui.label(view.drawing_name).classes("text-xs text-slate-500 truncate max-w-full")
            _badge(view.status).classes("shrink-0")
        if view.awaiting_address and view.deadline_at is not None:
            ui.label(f"Confirm your address · {_left(view.deadline_at, now)}") \
                .classes("text-sm text-amber-700")


@member_page("/prizes/{fulfillment_id}", title="My prize")
async def prize_page(ctx: PageContext, fulfillment_id: str) -> None:
    ui.link("← All my prizes", "/prizes").classes("text-sm")
    try:
        wanted = uuid.UUID(fulfillment_id)
    except ValueError:
        notice("search_off", "Prize not found", "This prize does not exist.", kind="error")
        return
    view = prize_view(ctx, wanted)
    background_tasks.create(view.load(), name="prize-load")


@member_page("/prizes", title="My prizes")
async def prizes_page(ctx: PageContext) -> None:
    spinner = ui.spinner(size="lg").classes("self-center")
    empty = notice("emoji_events", "No prizes yet", "Enter a sweepstakes drawing — your prizes appear here.")
    empty.visible = False
    with empty.actions:
        ui.button("See drawings", icon="confirmation_number", on_click=lambda: ui.navigate.to("/drawings")) \
            .props("outline no-caps")
    rows = ui.column().classes("w-full gap-3")

    async def load() -> None:
        try:
            views = await ctx.read(fulfillment.for_member, ctx.member_id)
        finally:
            spinner.visible = False
        empty.visible = not views
        now = ctx.now()
        with rows:
            for view in views:
                _prize_row(view, now)

    background_tasks.create(load(), name="prizes-load")
