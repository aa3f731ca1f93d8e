"""`/connections` — the member's trackers (issue 5 §2, §5): one card per offered provider with its status, last sync,
days imported and any problem (with a reconnect button); connect (opens Terra's widget in this tab), sync now
(rate-limited), make primary, disconnect (confirmation dialog; history kept). A note explains that Apple Health and
Health Connect need the mobile app. Below, the member's flagged days (held / lowered / plausibility) with the reason.

Terra sends the browser back to `/connections/callback` (shows "connected — importing your last 30 days" and
follows the backfill live: the page re-reads when points land and every few seconds while a connection is still
being set up) or `/connections/failed`. The connection itself is made by Terra's signed `auth` webhook, never by
the redirect's query string (which anyone can forge).

The page is thin: `domain.tracking.connections` (reads) and `app.services.terra_sync` (everything that changes a
connection) do the work, in worker threads.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from nicegui import background_tasks, ui

from app.adapters.terra.client import TerraError, TerraUnavailable
from app.security.ratelimit import RateLimited
from app.services import terra_sync
from components.notice import notice
from components.page import PageContext, member_page
from domain.shared.errors import DomainError
from domain.tracking import connections

STATUS_CHIP = {  # status → (label, colour)
    "not_connected": ("Not connected", "grey-7"),
    "pending": ("Connecting…", "info"),
    "connected": ("Connected", "positive"),
    "error": ("Needs attention", "negative"),
    "revoked": ("Access revoked", "warning"),
    "disconnected": ("Disconnected", "grey-7"),
}
FLAG_STATUS = {"pending": "In review", "approved": "Approved — credited", "rejected": "Not credited",
               "acknowledged": "Reviewed"}
PROVIDER_NAMES = {"GARMIN": "Garmin", "FITBIT": "Fitbit", "POLAR": "Polar", "OURA": "Oura", "WITHINGS": "Withings",
                  "COROS": "COROS", "SUUNTO": "Suunto", "WAHOO": "Wahoo", "WHOOP": "WHOOP", "PELOTON": "Peloton"}
FLAG_COLUMNS = [
    {"name": "day", "label": "Day", "field": "day", "align": "left"},
    {"name": "title", "label": "Flag", "field": "title", "align": "left"},
    {"name": "reason", "label": "Reason", "field": "reason", "align": "left", "classes": "whitespace-normal"},
    {"name": "amount", "label": "Points", "field": "amount", "align": "right", "classes": "gt-xs",
     "headerClasses": "gt-xs"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
]
SETUP_POLL_SECONDS = 3.0


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider.title())


def ago(moment: datetime | None, now: datetime) -> str:
    """"never", "just now", "5 min ago", "3 h ago", "2 d ago" (UTC)."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


class connections_view:  # noqa: N801
    """The trackers page body. Every handler re-reads the signed-in member first (UI events skip the page guard)."""

    def __init__(self, ctx: PageContext, returned: str | None, provider: str | None) -> None:
        self.ctx = ctx
        self.user_id: uuid.UUID = ctx.member_id
        self.returned = returned
        self.pending_disconnect: str | None = None
        self.busy: set[str] = set()

        if returned == "connected":
            self.banner = notice("sync", "Connected — importing your last 30 days",
                                 "Your data arrives in the background; points appear here as they land.",
                                 kind="info").mark("callback-banner")
        elif returned == "failed":
            name = provider_name(provider) if provider else "your tracker"
            self.banner = notice("link_off", f"Connecting {name} did not finish",
                                 "Nothing was changed. You can try again below.", kind="error").mark("failed-banner")
        self.progress = ui.label().classes("text-sm text-slate-600").mark("import-progress")
        self.progress.visible = False

        with ui.row(wrap=False).classes("w-full items-start gap-3 rounded-lg bg-sky-50 text-sky-900 p-3"):
            ui.icon("phone_iphone", size="sm").classes("mt-0.5")
            ui.label("Apple Health, Samsung Health and Health Connect (Android) can only be connected from the "
                     "FitTrack mobile app: they have no web sign-in. Every tracker below connects here.") \
                .classes("text-sm").mark("mobile-note")

        self.error = notice("error_outline", kind="error")
        self.error.visible = False
        self.cards = ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-3 w-full") \
            .mark("tracker-cards")
        with self.cards:
            for _ in range(3):
                ui.skeleton("rect").classes("w-full h-40 rounded-lg")

        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2"):
            ui.label("Flagged days").classes("text-base font-semibold")
            ui.label("Days our checks held or flagged for a person to look at. Manually entered data earns no "
                     "points; more than 60,000 steps in a day, a cadence above 250 steps/min or more than 16 active "
                     "hours are reviewed before they count.").classes("text-sm text-slate-500")
            self.flags = ui.table(columns=FLAG_COLUMNS, rows=[], row_key="id", pagination=0) \
                .props("flat dense hide-pagination").classes("w-full ft-table").mark("flags")
            self.flags.visible = False
            with ui.row(wrap=False).classes("items-center gap-2 text-slate-500") as self.no_flags:
                ui.icon("verified", size="sm").classes("text-positive")
                ui.label("No flagged days — everything you synced counts.").classes("text-sm").mark("no-flags")
            self.no_flags.visible = False

        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-md gap-3"):
            self.dialog_title = ui.label().classes("text-lg font-semibold")
            ui.label("FitTrack stops syncing it and Terra removes its access. Your history and points are kept; "
                     "you can connect it again any time.").classes("text-sm")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat")
                ui.button("Disconnect", on_click=self.confirm_disconnect) \
                    .props("unelevated color=negative").mark("confirm-disconnect")

        self.poll = ui.timer(SETUP_POLL_SECONDS, self.load, active=returned == "connected")
        ctx.on_points(lambda _: self.load(), when=lambda batch: batch.touches_user(self.user_id))

    # ----------------------------------------------------------------------------------------------------- load
    async def load(self) -> None:
        try:
            views = await self.ctx.read(connections.list_connections, self.user_id,
                                        terra_sync.offered_providers(self.ctx.system))
            flags = await self.ctx.read(connections.member_flags, self.user_id)
        except DomainError as exc:
            self.error.show("Could not load your trackers", exc.detail)
            return
        self.error.visible = False
        self._render(views)
        self.flags.rows = [{
            "id": str(f.id), "day": f.platform_day.strftime("%b %-d, %Y"), "title": f.title, "reason": f.reason,
            "amount": f"{f.amount:,}" if f.amount else "—", "status": FLAG_STATUS.get(f.status, f.status),
        } for f in flags]
        self.flags.visible, self.no_flags.visible = bool(flags), not flags
        # poll while a backfill is running (and, after Terra's redirect, until the auth webhook connected it)
        setting_up = any(v.is_connected and not v.backfill_done for v in views)
        if self.returned == "connected":
            imported = sum(v.days_synced for v in views if v.is_connected)
            done = any(v.is_connected and v.backfill_done for v in views)
            self.progress.visible = True
            self.progress.set_text(
                f"{imported} day{'s' if imported != 1 else ''} imported so far" + (" — import finished." if done
                                                                                  else " …"))
        self.poll.active = setting_up or (self.returned == "connected" and not any(v.backfill_done for v in views))

    def _render(self, views: list[connections.ConnectionView]) -> None:
        now = self.ctx.now()
        self.cards.clear()
        with self.cards:
            # the member's own trackers first (connected, then needing attention), then the rest in setting order
            order = {"connected": 0, "error": 1, "revoked": 1, "pending": 2, "disconnected": 3}
            for view in sorted(views, key=lambda v: order.get(v.status, 4)):
                self._card(view, now)

    def _card(self, view: connections.ConnectionView, now: datetime) -> None:
        label, colour = STATUS_CHIP.get(view.status, (view.status, "grey-7"))
        key = view.provider.lower()
        with ui.card().props("flat").classes("ft-card p-4 gap-2 min-w-0").mark(f"tracker-{key}"):
            with ui.row(wrap=False).classes("w-full items-center gap-2"):
                ui.icon("watch", size="sm").classes("text-slate-500")
                ui.label(provider_name(view.provider)).classes("text-base font-semibold")
                if view.is_primary:
                    ui.badge("Primary", color="primary").props("outline").mark(f"primary-badge-{key}")
                ui.space()
                ui.chip(label, color=colour, text_color="white").props("dense square").mark(f"status-{key}")
            if view.is_connected or view.last_sync_at:
                ui.label(f"Last sync {ago(view.last_sync_at, now)} · {view.days_synced} day"
                         f"{'s' if view.days_synced != 1 else ''} imported").classes("text-sm text-slate-600") \
                    .mark(f"last-sync-{key}")
            if view.message:
                tone = "text-red-700" if view.needs_reconnect else "text-slate-600"
                ui.label(view.message).classes(f"text-sm {tone}").mark(f"message-{key}")
            with ui.row().classes("gap-2 pt-1"):
                busy = view.provider in self.busy
                if view.is_connected:
                    ui.button("Sync now", icon="sync", on_click=lambda p=view.provider: self.sync_now(p)) \
                        .props(f"unelevated dense no-caps {'loading' if busy else ''}").mark(f"sync-{key}")
                    if not view.is_primary:
                        ui.button("Make primary", icon="star",
                                  on_click=lambda p=view.provider: self.make_primary(p)) \
                            .props("flat dense no-caps").mark(f"primary-{key}")
                else:
                    text = "Reconnect" if view.needs_reconnect else "Connect"
                    ui.button(text, icon="link", on_click=lambda p=view.provider: self.connect(p)) \
                        .props(f"unelevated dense no-caps {'loading' if busy else ''}").mark(f"connect-{key}")
                if view.status in ("connected", "error", "revoked", "pending"):
                    ui.button("Disconnect", icon="link_off",
                              on_click=lambda p=view.provider: self.ask_disconnect(p)) \
                        .props("flat dense no-caps color=negative").mark(f"disconnect-{key}")

    # ------------------------------------------------------------------------------------------------- actions
    async def _member(self) -> bool:
        return await self.ctx.member() is not None

    async def connect(self, provider: str) -> None:
        if not await self._member() or provider in self.busy:
            return
        self.busy.add(provider)
        success, failure = terra_sync.redirect_urls(self.ctx.base_url, provider)
        try:
            async with terra_sync.client_from_settings(self.ctx.system) as client:
                widget = await client.generate_widget_session(
                    reference_id=str(self.user_id), providers=[provider], success_url=success, failure_url=failure)
            await self.ctx.call(terra_sync.start_connection, self.user_id, provider)
        except TerraError as exc:
            ui.notify(_terra_text(exc), type="negative")
            return
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        finally:
            self.busy.discard(provider)
        ui.navigate.to(widget.url)

    async def sync_now(self, provider: str) -> None:
        if not await self._member() or provider in self.busy:
            return
        self.busy.add(provider)
        await self.load()
        try:
            async with terra_sync.client_from_settings(self.ctx.system) as client:
                report = await terra_sync.sync_now(self.ctx.system, self.user_id, provider, client)
        except RateLimited as exc:
            ui.notify(exc.detail, type="warning")
        except TerraError as exc:
            ui.notify(_terra_text(exc), type="negative")
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
        else:
            if report.outcome == "synced":
                points = f", {report.credited:,} new points" if report.credited else ""
                ui.notify(f"{provider_name(provider)} synced: {report.days} days, {report.activities} workouts"
                          f"{points}.", type="positive")
            else:
                ui.notify(report.error or f"Sync {report.outcome}", type="warning")
        finally:
            self.busy.discard(provider)
        await self.load()

    async def make_primary(self, provider: str) -> None:
        if not await self._member():
            return
        try:
            await self.ctx.call(terra_sync.set_primary, self.user_id, provider)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        ui.notify(f"{provider_name(provider)} is now your primary tracker.", type="positive")
        await self.load()

    def ask_disconnect(self, provider: str) -> None:
        self.pending_disconnect = provider
        self.dialog_title.set_text(f"Disconnect {provider_name(provider)}?")
        self.dialog.open()

    async def confirm_disconnect(self) -> None:
        provider = self.pending_disconnect
        if provider is None or not await self._member():
            return
        self.dialog.close()
        try:
            async with terra_sync.client_from_settings(self.ctx.system) as client:
                await terra_sync.disconnect_tracker(self.ctx.system, self.user_id, provider, client)
        except TerraError as exc:
            ui.notify(_terra_text(exc), type="negative")
            return
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        finally:
            self.pending_disconnect = None
        ui.notify(f"{provider_name(provider)} disconnected. Your history is kept.", type="positive")
        await self.load()


def _terra_text(exc: TerraError) -> str:
    if isinstance(exc, TerraUnavailable):
        return "Terra, our tracker partner, is not reachable right now. Try again in a few minutes."
    return f"Terra refused the request: {exc.detail}"


def _show(ctx: PageContext, returned: str | None = None, provider: str | None = None) -> None:
    view = connections_view(ctx, returned, provider)
    background_tasks.create(view.load(), name="connections-load")


@member_page("/connections", title="Trackers")
async def connections_page(ctx: PageContext) -> None:
    _show(ctx)


@member_page("/connections/callback", title="Trackers")
async def connections_callback(ctx: PageContext, resource: str | None = None) -> None:
    """Terra's success redirect (`?user_id=…&resource=FITBIT&reference_id=…`): only the banner uses `resource`."""
    _show(ctx, "connected", resource.upper() if resource else None)


@member_page("/connections/failed", title="Trackers")
async def connections_failed(ctx: PageContext, resource: str | None = None) -> None:
    _show(ctx, "failed", resource.upper() if resource else None)
