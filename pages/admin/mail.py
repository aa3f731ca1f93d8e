"""`/admin/mail` — the email outbox for admins (issue 4 §2: a failed send is never lost and stays visible to
admins): one page of messages at a time, newest first, filterable by status; failed messages are highlighted with
their error and can be sent again ("Retry" enqueues the send job `send_outbox_message` by name, `system.jobs`).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler goes through the admin guard
(`PageContext.guard`: UI events bypass HTTP middleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, ui

from components.notice import notice
from components.page import PageContext, admin_page
from components.paged_list import paged_list
from domain.messaging import outbox
from domain.models import OutboxMessage
from domain.shared.errors import DomainError

STATUSES = {"": "All", outbox.FAILED: "Failed", outbox.QUEUED: "Queued", outbox.SENT: "Sent"}
STATUS_COLORS = {outbox.SENT: "positive", outbox.QUEUED: "warning", outbox.FAILED: "negative"}


class message_card(ui.card):  # noqa: N801
    """One outbox message; a failed one is tinted red, shows its last error and a Retry button."""

    def __init__(self, ctx: PageContext, message: OutboxMessage) -> None:
        super().__init__()
        self.ctx = ctx
        self.message = message
        failed = message.status == outbox.FAILED
        self.props("flat").classes("ft-card w-full p-4 gap-1" + (" bg-red-50 border border-red-200" if failed else ""))
        self.mark(f"message-{message.status}")
        with self:
            with ui.row(wrap=False).classes("w-full items-start gap-3"):
                with ui.column().classes("gap-0 min-w-0 grow"):
                    ui.label(message.subject).classes("font-semibold text-slate-900 truncate max-w-full")
                    ui.label(f"To {message.to_address} · {message.template}") \
                        .classes("text-xs text-slate-500 truncate max-w-full")
                ui.badge(message.status.capitalize(), color=STATUS_COLORS.get(message.status, "grey")) \
                    .classes("shrink-0")
            sent = f" · sent {message.sent_at:%b %-d, %Y %H:%M} UTC" if message.sent_at else ""
            ui.label(f"Created {message.created_at:%b %-d, %Y %H:%M} UTC · {message.attempts} attempt(s){sent}") \
                .classes("text-xs text-slate-500")
            if failed and message.last_error:
                ui.label(message.last_error).classes("text-sm text-red-700 font-mono break-all").mark("last-error")
            if message.status != outbox.SENT:
                ui.button("Retry", icon="send", on_click=ctx.guard(self.retry)).props("outline no-caps dense") \
                    .classes("px-3 mt-1").mark("retry")

    async def retry(self) -> None:
        try:
            message = await self.ctx.read(outbox.message_to_retry, self.message.id)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        await self.ctx.enqueue("send_outbox_message", str(message.id))
        ui.notify(f"Sending to {message.to_address} again", type="positive")


class outbox_list(paged_list):  # noqa: N801
    """Status filter, the message cards and a pager."""

    noun = "message"

    def __init__(self, ctx: PageContext, status: str = "", page: int = 1) -> None:
        super().__init__(ctx, page=page)
        self.status = status
        with ui.row().classes("w-full items-center gap-3 p-3"):
            self.filter_select("status", STATUSES, "Status", "w-40", "status-filter")
            ui.space()
            self.count_label("outbox-count")
        self.error_notice(classes="")
        self.empty = notice("mark_email_read", "No messages", "Nothing in the outbox matches this filter.")
        self.empty.visible = False
        self.cards = ui.column().classes("w-full gap-3")
        self.pager(classes="p-2")

    async def fetch(self) -> tuple[Sequence[Any], int]:
        return await self.ctx.read(outbox.list_outbox, status=self.status or None, page=self.page,
                                   limit=self.page_size)

    def show(self, rows: Sequence[Any]) -> None:
        self.cards.clear()
        with self.cards:
            for message in rows:
                message_card(self.ctx, message)
        self.empty.visible = not rows


@admin_page("/admin/mail", title="Mail outbox")
async def admin_mail_page(ctx: PageContext, status: str = "", page: int = 1) -> None:
    view = outbox_list(ctx, status, page)
    background_tasks.create(view.load(), name="admin-mail-load")
