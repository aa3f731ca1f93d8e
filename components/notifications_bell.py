"""The header's notifications bell (PRODUCT.md §6: winners are notified in-app; `domain.messaging.notifications`).

A bell button with the unread count as a badge; clicking it opens a menu with the member's latest notifications
(unread ones highlighted), each linking to its page, and "Mark all read". Opening a notification marks it read.

Cheap per open page (issue 12 §2): the page load reads only the unread count; the menu's rows are built when the
member opens it (a closed menu holds no elements). No per-page timer: a new notification (a win drawn by the
background task, a prize update) reaches the member's open pages as a live `notification` message
(`LiveFeed.watch_notifications`), which re-reads the count (and the rows, when the menu is open); opening the menu
re-reads both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from nicegui import background_tasks, ui
from sqlmodel import Session

from domain.messaging import notifications
from domain.models import Notification
from domain.shared.errors import DomainError
from domain.shared.types import utcnow

if TYPE_CHECKING:
    from components.page import PageContext

MENU_SIZE = 8
KIND_ICONS = {"drawing_won": "emoji_events", "address_reminder": "schedule", "prize_forfeited": "event_busy",
              "prize_shipped": "local_shipping", "address_invalid": "wrong_location"}


def ago(moment: datetime, now: datetime | None = None) -> str:
    """"just now", "5 min ago", "3 h ago", "2 d ago", or the date for older moments (UTC)."""
    now = now or utcnow()
    seconds = max(int((now - moment.astimezone(UTC)).total_seconds()), 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400} d ago"
    return moment.strftime("%b %-d, %Y")


def _inbox(session: Session, user_id: uuid.UUID) -> tuple[int, list[Notification]]:
    return notifications.unread_count(session, user_id), notifications.recent(session, user_id, MENU_SIZE)


class notifications_bell:  # noqa: N801 (lowercase like ui.* elements)
    """`notifications_bell(ctx, user.id)` inside the header row."""

    def __init__(self, ctx: PageContext, user_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.button = ui.button(icon="notifications_none") \
            .props('flat round dense color=white aria-label="Notifications"').mark("notifications-bell")
        with self.button:
            self.badge = ui.badge("", color="accent").props("floating rounded").classes("text-[10px]") \
                .mark("notifications-count")
            self.badge.visible = False
            self.menu = ui.menu().props("anchor='bottom right' self='top right' max-height=480px") \
                .classes("w-[22rem] max-w-[92vw]")
        self.button.on_click(self._opened)
        with self.menu:
            with ui.row(wrap=False).classes("w-full items-center px-4 pt-3 pb-2 gap-2"):
                ui.label("Notifications").classes("text-base font-semibold text-slate-900")
                ui.space()
                self.mark_all = ui.button("Mark all read", on_click=self._mark_all) \
                    .props("flat dense no-caps size=sm color=primary").mark("notifications-mark-all")
            ui.separator()
            self.items = ui.list().classes("w-full").mark("notifications-list")
        ctx.live.watch_notifications(user_id, self._notified)
        background_tasks.create(self.refresh_count(), name="notifications-bell")

    def _show_count(self, count: int) -> None:
        self.badge.set_text("99+" if count > 99 else str(count))
        self.badge.visible = count > 0
        self.button.props(f"icon={'notifications' if count else 'notifications_none'}")
        self.button.props(f'aria-label="Notifications ({count} unread)"')
        self.mark_all.set_enabled(count > 0)

    async def refresh_count(self) -> None:
        """Re-read the unread count only."""
        try:
            count = await self.ctx.read(notifications.unread_count, self.user_id)
        except DomainError:
            return
        self._show_count(count)

    async def _notified(self, _: object) -> None:
        if self.menu.value:
            await self.refresh()
        else:
            await self.refresh_count()

    async def refresh(self) -> None:
        """Re-read the unread count and the latest notifications."""
        try:
            count, rows = await self.ctx.read(_inbox, self.user_id)
        except DomainError:
            return
        self._show_count(count)
        self._show_rows(rows)

    def _show_rows(self, rows: list[Notification]) -> None:
        self.items.clear()
        with self.items:
            if not rows:
                with ui.column().classes("w-full items-center gap-1 py-8 px-4 text-center"):
                    ui.icon("notifications_off", size="2rem").classes("text-slate-400")
                    ui.label("No notifications yet").classes("text-sm font-medium text-slate-700")
                    ui.label("Wins and prize updates will appear here.").classes("text-xs text-slate-500")
                return
            now = self.ctx.now()
            for row in rows:
                unread = row.read_at is None
                item = ui.item(on_click=lambda _, r=row: self._open(r)).props("clickable") \
                    .classes("py-2" + (" bg-sky-50" if unread else "")).mark("notification")
                with item:
                    with ui.item_section().props("avatar").classes("min-w-0 pr-3"):
                        ui.icon(KIND_ICONS.get(row.kind, "notifications"),
                                color="primary" if unread else "grey-6")
                    with ui.item_section():
                        ui.label(row.title).classes("text-sm text-slate-900 " + ("font-semibold" if unread else ""))
                        if row.body:
                            ui.label(row.body).classes("text-xs text-slate-600 line-clamp-2")
                        ui.label(ago(row.created_at, now)).classes("text-[11px] text-slate-500")

    async def _opened(self) -> None:
        await self.refresh()

    async def _open(self, row: Notification) -> None:
        if await self.ctx.member() is None:
            return
        if row.read_at is None:
            try:
                await self.ctx.write(notifications.mark_read, self.user_id, [row.id])
            except DomainError as exc:
                ui.notify(exc.detail, type="negative")
        self.menu.close()
        if row.link:
            ui.navigate.to(row.link)
        else:
            await self.refresh()

    async def _mark_all(self) -> None:
        if await self.ctx.member() is None:
            return
        try:
            changed = await self.ctx.write(notifications.mark_read, self.user_id, "all")
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        await self.refresh()
        if changed:
            ui.notify(f"{changed} notification{'s' if changed != 1 else ''} marked read", type="positive")
