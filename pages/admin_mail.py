"""`/admin/mail` — the email outbox for admins (issue 4 §2: a failed send is never lost and stays visible to
admins): one page of messages at a time, newest first, filterable by status; failed messages are highlighted with
their error and can be sent again ("Retry" enqueues the Huey task `tasks.mail.send_outbox_message` through
`app.mailer.enqueue_outbox`).

Admins only: the page guard refuses other roles on `/admin*`, and every event handler starts with
`require_admin_event()` (UI events bypass HTTP middleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nicegui import background_tasks, run, ui

from app.mailer import enqueue_outbox
from app.web_auth import current_user, require_admin_event
from components.db_calls import read
from components.filtered_list import filtered_list
from components.frame import frame
from components.notice import notice
from domain import outbox
from domain.enums import Role
from domain.errors import DomainError
from domain.models import OutboxMessage

STATUSES = {"": "All", outbox.FAILED: "Failed", outbox.QUEUED: "Queued", outbox.SENT: "Sent"}
STATUS_COLORS = {outbox.SENT: "positive", outbox.QUEUED: "warning", outbox.FAILED: "negative"}


class message_card(ui.card):  # noqa: N801
    """One outbox message; a failed one is tinted red, shows its last error and a Retry button."""

    def __init__(self, message: OutboxMessage) -> None:
        super().__init__()
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
                ui.button("Retry", icon="send", on_click=self.retry).props("outline no-caps dense") \
                    .classes("px-3 mt-1").mark("retry")

    async def retry(self) -> None:
        await require_admin_event()
        try:
            message = await read(outbox.message_to_retry, self.message.id)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        await run.io_bound(enqueue_outbox, [message.id])
        ui.notify(f"Sending to {message.to_address} again", type="positive")


class outbox_list(filtered_list):  # noqa: N801
    """Status filter, the message cards and a pager."""

    noun = "message"

    def __init__(self, status: str = "", page: int = 1) -> None:
        super().__init__(outbox.list_outbox, STATUSES, status, page)
        self.filter_row("outbox-count")
        self.empty = notice("mark_email_read", "No messages", "Nothing in the outbox matches this filter.")
        self.empty.visible = False
        self.cards = ui.column().classes("w-full gap-3")
        self.pager()

    def show(self, items: Sequence[Any]) -> None:
        self.cards.clear()
        with self.cards:
            for message in items:
                message_card(message)
        self.empty.visible = not items


@ui.page("/admin/mail")
async def admin_mail_page(status: str = "", page: int = 1) -> None:
    admin = current_user()
    if admin is None:
        ui.navigate.to("/login")
        return
    with frame("Mail outbox", admin):
        if admin.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
            notice("block", "Administrators only", "This page is for administrators.", kind="error")
            return
        view = outbox_list(status, page)
    background_tasks.create(view.load(), name="admin-mail-load")
