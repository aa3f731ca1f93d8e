"""`/admin/system` — system health for admins (issue 7 §8, PRODUCT.md §7 "system: queue depth, last task runs, cache
rebuild, health"): database and Redis pings, the Huey queue (pending, scheduled), every periodic task's last run and
next due time with failures, the Terra circuit breaker, the mail queue and the webhook backlog; buttons rebuild the
Redis leaderboard cache and close an open Terra circuit (both audited, with a confirmation). Data from
`app.services.system_status` (checked in a worker thread); refreshed every 30 seconds while the page is open, and by
Refresh.

Admins only: the page guard refuses other roles on `/admin*`; every event handler goes through the admin guard
(`PageContext.guard`), and the 30-second timer re-checks the role the same way (and stops when it is gone).
"""

from __future__ import annotations

from datetime import datetime

from nicegui import background_tasks, ui

from app.services import system_status
from components.dialogs import confirm
from components.notice import notice
from components.page import PageContext, admin_page
from domain.shared.errors import DomainError, Forbidden

AUTO_REFRESH_SECONDS = 30.0
STATE_STYLE = {  # state → (badge colour, label)
    "ok": ("positive", "OK"), "failed": ("negative", "Failed"), "off": ("grey-7", "Not configured"),
    "error": ("negative", "Failed"), "running": ("info", "Running"), "overdue": ("warning", "Overdue"),
    "never": ("grey-7", "Never run"), "closed": ("positive", "Closed"), "open": ("negative", "Open"),
    "half_open": ("warning", "Half-open"), "unknown": ("grey-7", "Unknown"),
}


def _ago(moment: datetime | None, now: datetime) -> str:
    """ "3 min ago", "2 h ago", "in 5 min" … ("—" for None)."""
    if moment is None:
        return "—"
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        text = f"{seconds} s"
    elif seconds < 3600:
        text = f"{seconds // 60} min"
    elif seconds < 48 * 3600:
        text = f"{seconds // 3600} h {seconds % 3600 // 60} min"
    else:
        text = f"{seconds // 86400} days"
    return f"in {text}" if future else f"{text} ago"


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%b %-d %H:%M UTC") if moment else "—"


def _badge(state: str) -> ui.badge:
    colour, label = STATE_STYLE.get(state, ("grey-7", state.replace("_", " ").capitalize()))
    return ui.badge(label, color=colour).props("rounded").classes("px-2")


def _card(title: str, icon: str, state: str, marker: str) -> ui.column:
    """A health card; returns its body column (fill it with `with`)."""
    with ui.card().props("flat").classes("ft-card p-4 gap-2 min-w-0 h-full").mark(marker):
        with ui.row(wrap=False).classes("w-full items-center gap-2"):
            ui.icon(icon, color="primary", size="sm")
            ui.label(title).classes("text-base font-semibold text-slate-900 grow")
            _badge(state).mark(f"{marker}-state")
        body = ui.column().classes("gap-1 w-full text-sm text-slate-600")
    return body


def _line(label: str, value: str, *, marker: str = "") -> None:
    with ui.row(wrap=False).classes("w-full justify-between gap-3"):
        ui.label(label).classes("text-slate-500")
        shown = ui.label(value).classes("font-medium text-slate-800 text-right ft-num min-w-0 break-words")
        if marker:
            shown.mark(marker)


class system_view:  # noqa: N801
    """Skeleton while checking; then the problems banner, the health cards and the task list."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        with ui.row().classes("w-full items-center gap-2 -mt-2"):
            self.checked = ui.label("Checking…").classes("text-sm text-slate-500")
            ui.space()
            self.refresh_button = ui.button("Refresh", icon="refresh", on_click=ctx.guard(self.refresh)) \
                .props("flat dense no-caps color=primary").mark("refresh")
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-3")
        self.dialogs = ui.element("div")  # outside the body: a refresh must not delete an open dialog
        with self.body, ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 xl:grid-cols-3 gap-3 w-full"):
            for _ in range(6):
                ui.skeleton("rect", height="8rem").classes("rounded-xl")
        self.loading = False
        self.timer: ui.timer | None = None

    async def refresh(self) -> None:
        self.refresh_button.props("loading")
        try:
            await self.load()
        finally:
            self.refresh_button.props(remove="loading")

    async def auto_refresh(self) -> None:
        """The 30-second timer: re-checks the admin role first (stops for good when it is gone)."""
        try:
            await self.ctx.require_admin()
        except Forbidden:
            if self.timer is not None:
                self.timer.deactivate()
            return
        await self.load()

    async def load(self) -> None:
        if self.loading:
            return
        self.loading = True
        try:
            status = await self.ctx.call(system_status.collect)
        except Exception:  # noqa: BLE001 - keep the page alive, say so
            self.error.show("Could not check the system", "Please try again in a moment.")
            raise
        finally:
            self.loading = False
        self.error.visible = False
        self.checked.set_text(f"Checked {status.checked_at:%H:%M:%S} UTC · refreshes every "
                              f"{AUTO_REFRESH_SECONDS:.0f} s")
        self.body.clear()
        with self.body:
            self.show(status)

    def show(self, status: system_status.SystemStatus) -> None:
        now = status.checked_at
        if status.problems:
            with ui.card().props("flat").classes("ft-card w-full p-4 gap-1 bg-amber-50").mark("problems"):
                with ui.row(wrap=False).classes("items-center gap-2"):
                    ui.icon("warning", color="warning", size="sm")
                    ui.label(f"{len(status.problems)} thing{'s' if len(status.problems) != 1 else ''} need"
                             f"{'' if len(status.problems) != 1 else 's'} attention") \
                        .classes("font-semibold text-amber-900")
                for problem in status.problems:
                    ui.label(f"• {problem}").classes("text-sm text-amber-900 break-words")
        else:
            with ui.card().props("flat").classes("ft-card w-full p-4 bg-emerald-50").mark("all-well"), \
                    ui.row(wrap=False).classes("items-center gap-2"):
                ui.icon("check_circle", color="positive", size="sm")
                ui.label("All systems normal").classes("font-semibold text-emerald-900")
        with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 xl:grid-cols-3 gap-3 w-full"):
            for check, icon in ((status.database, "storage"), (status.redis, "memory")):
                with _card(check.name.capitalize(), icon, check.state, f"check-{check.name}"):
                    ui.label(check.detail).classes("break-words")
                    if check.ms is not None:
                        _line("Round trip", f"{check.ms:,.1f} ms")
            queue = status.queue
            with _card("Task queue", "queue", "failed" if queue.error else "ok", "queue"):
                _line("Backend", "Redis" if queue.backend == "redis" else "SQLite (in-process consumer)")
                _line("Pending", "—" if queue.pending is None else f"{queue.pending:,}", marker="queue-pending")
                _line("Scheduled / retrying", "—" if queue.scheduled is None else f"{queue.scheduled:,}",
                      marker="queue-scheduled")
                if queue.backend == "sqlite":
                    _line("Consumer in this process", "running" if queue.embedded_consumer else "not running")
                if queue.error:
                    ui.label(queue.error).classes("text-red-700 break-words")
            terra = status.terra
            with _card("Terra circuit", "cable", terra.state, "terra"):
                threshold = f" of {terra.threshold}" if terra.threshold else ""
                _line("Consecutive failures", f"{terra.failures}{threshold}", marker="terra-failures")
                if terra.opened_until:
                    _line("Probe allowed", f"{_utc(terra.opened_until)} ({_ago(terra.opened_until, now)})")
                ui.label("Open: calls to Terra fail fast until the cool-down ends; then one probe call decides."
                         if terra.state in {"open", "half_open"} else
                         "Closed: calls to Terra go through.").classes("text-xs text-slate-500")
                if terra.error:
                    ui.label(terra.error).classes("text-red-700 break-words")
                if terra.state in {"open", "half_open"} or terra.failures:
                    ui.button("Reset circuit", icon="restart_alt", on_click=self.ctx.guard(self.reset_circuit)) \
                        .props("outline no-caps dense color=primary").classes("self-start px-3 mt-1") \
                        .mark("reset-circuit")
            mail = status.mail
            with _card("Mail queue", "outgoing_mail", "error" if mail and mail.failed else "ok", "mail"):
                if mail is None:
                    ui.label("Unavailable while the database is down.")
                else:
                    _line("Queued", f"{mail.queued:,}", marker="mail-queued")
                    _line("Failed", f"{mail.failed:,}", marker="mail-failed")
                    _line("Sent", f"{mail.sent:,}")
                    _line("Oldest queued", _ago(mail.oldest_queued_at, now))
                    ui.link("Open the mail outbox", "/admin/mail").classes("text-primary text-sm")
            hooks = status.webhooks
            with _card("Webhook backlog", "webhook", "error" if hooks and hooks.failed else "ok", "webhooks"):
                if hooks is None:
                    ui.label("Unavailable while the database is down.")
                else:
                    _line("Waiting to process", f"{hooks.received:,}", marker="webhooks-received")
                    _line("Failed (retried by the sweeper)", f"{hooks.failed:,}", marker="webhooks-failed")
                    _line("Oldest unprocessed", _ago(hooks.oldest_unprocessed_at, now))
            with _card("Leaderboard cache", "leaderboard", "ok" if status.leaderboard_cache == "redis" else "off",
                       "cache"):
                ui.label("Rebuilds the Redis copy of every board from the database (the source of truth)."
                         if status.leaderboard_cache == "redis" else
                         "No Redis: boards are read straight from the database; nothing to rebuild.") \
                    .classes("text-sm")
                ui.button("Rebuild now", icon="autorenew", on_click=self.ctx.guard(self.rebuild)) \
                    .props("outline no-caps dense color=primary").classes("self-start px-3 mt-1").mark("rebuild")
        self._tasks(status)

    def _tasks(self, status: system_status.SystemStatus) -> None:
        now = status.checked_at
        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0").mark("tasks"):
            with ui.row(wrap=False).classes("w-full items-center gap-2 px-4 pt-4 pb-2"):
                ui.icon("schedule", color="primary", size="sm")
                ui.label("Scheduled tasks").classes("text-base font-semibold text-slate-900 grow")
                ui.label(f"{sum(1 for t in status.tasks if t.periodic)} periodic").classes("text-sm text-slate-500")
            if not status.tasks:
                notice("event_busy", "No tasks registered", "Periodic tasks appear once the worker modules load.") \
                    .classes("border-0")
                return
            for task in status.tasks:
                with ui.column().classes("w-full gap-0.5 px-4 py-3 border-t border-slate-100").mark(
                        f"task-{task.name}"):
                    with ui.row(wrap=False).classes("w-full items-center gap-2"):
                        ui.label(task.name).classes("font-mono text-sm text-slate-900 grow truncate min-w-0")
                        _badge(task.state).mark(f"task-state-{task.name}")
                    last = task.last_started_at or task.last_finished_at
                    parts = [f"last run {_ago(last, now)}" if last else "no run yet"]
                    if task.next_due:
                        parts.append(f"next {_utc(task.next_due)}")
                    elif not task.periodic:
                        parts.append("on demand")
                    parts.append(f"{task.runs:,} runs")
                    parts.append(f"{task.failures:,} failures")
                    ui.label(" · ".join(parts)).classes("text-xs text-slate-500")
                    if task.last_error:
                        ui.label(f"Last error: {task.last_error}").classes("text-xs text-red-700 break-words")

    async def reset_circuit(self) -> None:
        with self.dialogs:  # outside the body: a refresh must not delete the open dialog
            confirmed = await confirm("Reset the Terra circuit?", "Calls to Terra go through again at once and the "
                                      "failure count starts from zero. Do this after the cause of the failures is "
                                      "fixed.", "Reset", back="Cancel")
        if not confirmed:
            return
        admin = await self.ctx.require_admin()
        try:
            await self.ctx.call(system_status.reset_terra_circuit, admin.id, self.ctx.ip)
        except Exception as exc:  # noqa: BLE001 - e.g. Redis down: say so, keep the page
            ui.notify(f"Reset failed: {type(exc).__name__}: {exc}"[:300], type="negative")
            return
        ui.notify("Terra circuit closed", type="positive")
        await self.load()

    async def rebuild(self) -> None:
        with self.dialogs:  # outside the body: a refresh must not delete the open dialog
            confirmed = await confirm("Rebuild the leaderboard cache?", "Every board is recomputed from the database "
                                      "and written to Redis. Boards keep working meanwhile.", "Rebuild", back="Cancel")
        if not confirmed:
            return
        admin = await self.ctx.require_admin()
        notification = ui.notification("Rebuilding the leaderboards…", spinner=True, timeout=None)
        try:
            entries = await self.ctx.call(system_status.rebuild_leaderboards, admin.id, self.ctx.ip)
        except DomainError as exc:
            ui.notify(exc.detail, type="negative")
            return
        except Exception as exc:  # noqa: BLE001 - e.g. Redis down: say so, keep the page
            ui.notify(f"Rebuild failed: {type(exc).__name__}: {exc}"[:300], type="negative")
            return
        finally:
            notification.dismiss()
        ui.notify(f"Leaderboard cache rebuilt: {entries or 0:,} entries" if entries else
                  "Nothing to rebuild: Redis is not configured (boards come from the database)", type="positive")
        await self.load()


@admin_page("/admin/system", title="System")
async def admin_system_page(ctx: PageContext) -> None:
    view = system_view(ctx)
    view.timer = ui.timer(AUTO_REFRESH_SECONDS, view.auto_refresh, immediate=False)
    background_tasks.create(view.load(), name="admin-system-load")
