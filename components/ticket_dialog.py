"""The "Buy tickets" dialog of a drawing's page (issue 6 §2): pick a quantity, see the cost, the balance after and the
odds after, then confirm. One idempotency key per opened dialog, so a double click or a retry after a network hiccup
buys once (`domain.sweepstakes.tickets.purchase` returns the original purchase for a repeated key).

The purchase runs in one unit of work (`PageContext.write`): the ledger entry records `BalanceChanged`, so after the
commit the member's other open pages learn the new balance live (the header balance of `components/frame.py`), the
same as for a purchase through the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nicegui import ui

from domain.shared.errors import DomainError
from domain.sweepstakes import tickets

if TYPE_CHECKING:
    from components.page import PageContext


@dataclass(frozen=True)
class Quote:
    """What `quantity` tickets would do: cost and balance after (points), my tickets and the odds after (0..1)."""

    quantity: int
    cost: int
    balance_after: int
    my_tickets_after: int
    total_after: int

    @property
    def chance_after(self) -> float:
        return self.my_tickets_after / self.total_after if self.total_after else 0.0

    @property
    def affordable(self) -> bool:
        return self.balance_after >= 0


def quote(quantity: int, *, price: int, balance: int, my_tickets: int, total_tickets: int) -> Quote:
    """The figures the dialog shows for `quantity` tickets at `price` points each (PRODUCT.md §6: odds = your
    tickets / total tickets, assuming nobody else buys meanwhile)."""
    return Quote(quantity, quantity * price, balance - quantity * price, my_tickets + quantity,
                 total_tickets + quantity)


def percent(chance: float) -> str:
    """A probability as a readable percentage: "12.5%", "0.04%", "<0.01%", "0%"."""
    if chance <= 0:
        return "0%"
    value = chance * 100
    if value < 0.01:
        return "<0.01%"
    if value < 1:
        return f"{value:.2f}%"
    return f"{value:.1f}%".replace(".0%", "%")


def max_affordable(price: int, balance: int) -> int:
    """How many tickets the balance buys (at most `tickets.MAX_QUANTITY`)."""
    return min(balance // price, tickets.MAX_QUANTITY) if price > 0 else tickets.MAX_QUANTITY


class ticket_dialog(ui.dialog):  # noqa: N801 (lowercase like ui.* elements)
    """`dialog = ticket_dialog(ctx, drawing_id, name, price, on_bought=reload)`; `dialog.start(balance, my_tickets,
    total_tickets)` opens it with fresh figures. `on_bought(purchase)` runs after a successful purchase."""

    def __init__(self, ctx: PageContext, drawing_id: uuid.UUID, name: str, price: int,
                 on_bought: Callable[[tickets.Purchase], Awaitable[Any]]) -> None:
        super().__init__()
        self.ctx = ctx
        self.drawing_id, self.name, self.price, self.on_bought = drawing_id, name, price, on_bought
        self.balance = self.my_tickets = self.total = 0
        self.key = ""
        with self, ui.card().classes("w-[26rem] max-w-full p-0 gap-0").mark("ticket-dialog"):
            with ui.row(wrap=False).classes("w-full items-center gap-2 px-5 pt-4 pb-2"):
                ui.icon("confirmation_number", color="primary", size="sm")
                ui.label("Buy tickets").classes("text-lg font-semibold text-slate-900")
            ui.label(f"{name} · {price:,} points per ticket").classes("px-5 text-sm text-slate-500")
            with ui.column().classes("w-full px-5 py-4 gap-3"):
                with ui.row(wrap=False).classes("w-full items-center gap-2"):
                    ui.button(icon="remove", on_click=lambda: self._step(-1)) \
                        .props('outline round dense color=primary aria-label="One fewer"').mark("ticket-minus")
                    self.quantity = ui.number("Tickets", value=1, min=1, max=tickets.MAX_QUANTITY, step=1,
                                              precision=0, on_change=self._changed) \
                        .props("outlined dense input-class=text-center").classes("grow").mark("ticket-quantity")
                    ui.button(icon="add", on_click=lambda: self._step(1)) \
                        .props('outline round dense color=primary aria-label="One more"').mark("ticket-plus")
                with ui.element("div").classes("grid grid-cols-2 gap-x-4 gap-y-1 w-full text-sm"):
                    ui.label("Cost").classes("text-slate-500")
                    self.cost_label = ui.label().classes("text-right font-semibold ft-num").mark("ticket-cost")
                    ui.label("Balance after").classes("text-slate-500")
                    self.balance_label = ui.label().classes("text-right font-semibold ft-num") \
                        .mark("ticket-balance-after")
                    ui.label("Your tickets after").classes("text-slate-500")
                    self.mine_label = ui.label().classes("text-right ft-num").mark("ticket-mine-after")
                    ui.label("Your odds after").classes("text-slate-500")
                    self.odds_label = ui.label().classes("text-right ft-num").mark("ticket-odds-after")
                self.warning = ui.label().classes("text-sm text-negative").mark("ticket-warning")
                ui.label("Tickets are final: no refunds. Odds assume nobody else enters meanwhile.") \
                    .classes("text-xs text-slate-500")
            with ui.row().classes("w-full justify-end gap-2 px-5 pb-4"):
                ui.button("Cancel", on_click=self.close).props("flat no-caps color=grey-8").mark("ticket-cancel")
                self.confirm = ui.button("Confirm purchase", on_click=self._confirm) \
                    .props("unelevated no-caps color=primary").mark("ticket-confirm")

    def start(self, balance: int, my_tickets: int, total_tickets: int) -> None:
        """Open with the member's current figures and a fresh idempotency key."""
        self.balance, self.my_tickets, self.total = balance, my_tickets, total_tickets
        self.key = f"web:{uuid.uuid4()}"
        self.quantity.value = 1
        self._show()
        self.open()

    def _current(self) -> int:
        try:
            value = int(self.quantity.value or 0)
        except (TypeError, ValueError):
            value = 0
        return value

    def _step(self, delta: int) -> None:
        self.quantity.value = max(1, min(self._current() + delta, tickets.MAX_QUANTITY))

    def _changed(self) -> None:
        self._show()

    def _show(self) -> None:
        quantity = self._current()
        valid = 1 <= quantity <= tickets.MAX_QUANTITY
        q = quote(max(quantity, 0), price=self.price, balance=self.balance, my_tickets=self.my_tickets,
                  total_tickets=self.total)
        self.cost_label.set_text(f"{q.cost:,} pts")
        self.balance_label.set_text(f"{q.balance_after:,} pts")
        self.mine_label.set_text(f"{q.my_tickets_after:,} of {q.total_after:,}")
        self.odds_label.set_text(percent(q.chance_after))
        if not valid:
            message = f"Choose between 1 and {tickets.MAX_QUANTITY} tickets."
        elif not q.affordable:
            most = max_affordable(self.price, self.balance)
            message = (f"Not enough points: you can buy at most {most} ticket{'s' if most != 1 else ''}."
                       if most else "Not enough points for a ticket. The free entry is always available.")
        else:
            message = ""
        self.warning.set_text(message)
        self.warning.visible = bool(message)
        self.balance_label.classes(replace="text-right font-semibold ft-num" +
                                   (" text-negative" if not q.affordable else ""))
        self.confirm.set_enabled(valid and q.affordable)

    async def _confirm(self) -> None:
        member = await self.ctx.member()
        if member is None:
            return
        quantity = self._current()
        self.confirm.props("loading")
        try:
            bought = await self.ctx.write(tickets.purchase, user_id=member.id, drawing_id=self.drawing_id,
                                          quantity=quantity, idempotency_key=self.key, clock=self.ctx.system.clock)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        finally:
            self.confirm.props(remove="loading")
        numbers = bought.ticket_numbers
        shown = f"#{numbers[0]}" if len(numbers) == 1 else f"#{numbers[0]}–#{numbers[-1]}"
        ui.notify(f"You bought {len(numbers)} ticket{'s' if len(numbers) != 1 else ''} ({shown}) for "
                  f"{bought.points_spent:,} points. Good luck!", type="positive")
        self.close()
        await self.on_bought(bought)
