"""`/activity` — the member's activity history: date filters, summary cards, a paginated table of days (steps,
active minutes, calories, distance, points, workouts) and the workout sessions in the range."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from typing import Any

from nicegui import background_tasks, ui

from components.notice import notice
from components.page import PageContext, member_page
from components.stat_card import stat_card
from components.theme import NO_DATA_SLOT
from domain.points import member_stats
from domain.shared.errors import DomainError

PAGE_SIZE = 20
DAY_COLUMNS = [
    {"name": "date", "label": "Date", "field": "date", "align": "left"},
    {"name": "steps", "label": "Steps", "field": "steps", "align": "right"},
    {"name": "active", "label": "Active", "field": "active", "align": "right"},
    {"name": "light", "label": "Light min", "field": "light", "align": "right", "classes": "gt-sm",
     "headerClasses": "gt-sm"},
    {"name": "calories", "label": "kcal", "field": "calories", "align": "right", "classes": "gt-xs",
     "headerClasses": "gt-xs"},
    {"name": "distance", "label": "km", "field": "distance", "align": "right", "classes": "gt-sm",
     "headerClasses": "gt-sm"},
    {"name": "workouts", "label": "Workouts", "field": "workouts", "align": "right", "classes": "gt-sm",
     "headerClasses": "gt-sm"},
    {"name": "points", "label": "Points", "field": "points", "align": "right",
     "classes": "font-semibold text-primary ft-num"},
]
WORKOUT_COLUMNS = [
    {"name": "date", "label": "Date", "field": "date", "align": "left"},
    {"name": "name", "label": "Workout", "field": "name", "align": "left"},
    {"name": "minutes", "label": "Minutes", "field": "minutes", "align": "right"},
    {"name": "steps", "label": "Steps", "field": "steps", "align": "right", "classes": "gt-xs",
     "headerClasses": "gt-xs"},
]


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


class activity_view:  # noqa: N801
    """Date filters, summary cards, the paged table of days and the workout sessions; `load()` reads the range."""

    def __init__(self, ctx: PageContext, user_id: uuid.UUID, start: date, end: date) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.page = 1

        with ui.card().props("flat").classes("ft-card w-full p-3"), \
                ui.row().classes("w-full items-end gap-3"):
            self.start = ui.date_input("From", value=start.isoformat(), on_change=self._filter_changed) \
                .props("dense outlined").classes("w-40")
            self.end = ui.date_input("To", value=end.isoformat(), on_change=self._filter_changed) \
                .props("dense outlined").classes("w-40")
            with ui.row().classes("gap-1"):
                ui.button("7 days", on_click=lambda: self._quick(7)).props("flat dense no-caps color=primary")
                ui.button("30 days", on_click=lambda: self._quick(30)).props("flat dense no-caps color=primary")
                ui.button("90 days", on_click=lambda: self._quick(90)).props("flat dense no-caps color=primary")
        self.latest_end = end

        self.error = notice("error_outline", kind="error")
        self.error.visible = False

        with ui.element("div").classes("grid grid-cols-2 md:grid-cols-3 xl:grid-cols-5 gap-3 w-full"):
            self.days = stat_card("Days with data", "event_available")
            self.steps = stat_card("Steps", "directions_walk", color="info")
            self.minutes = stat_card("Active minutes", "timer", color="warning")
            self.points = stat_card("Points earned", "stars")
            self.workouts = stat_card("Workouts", "fitness_center", color="secondary")

        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            self.table = ui.table(columns=DAY_COLUMNS, rows=[], row_key="date", pagination=0) \
                .props('flat dense hide-pagination loading no-data-label="No activity in this range"') \
                .classes("w-full ft-table").mark("days")
            self.table.add_slot("no-data", NO_DATA_SLOT)
            with ui.row().classes("w-full items-center justify-between px-3 py-2 border-t border-slate-200"):
                self.count = ui.label().classes("text-xs text-slate-500")
                self.pager = ui.pagination(1, 1, direction_links=True, value=1, on_change=self._page_changed) \
                    .props("max-pages=5 boundary-numbers dense color=grey-8 active-color=primary")

        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2"):
            ui.label("Workout sessions").classes("text-base font-semibold")
            self.sessions = ui.table(columns=WORKOUT_COLUMNS, rows=[], row_key="id", pagination=0) \
                .props('flat dense hide-pagination no-data-label="No workout sessions in this range"') \
                .classes("w-full ft-table")
            self.sessions.add_slot("no-data", NO_DATA_SLOT)

        ctx.on_points(lambda _: self.load(), when=lambda batch: batch.touches_user(self.user_id))

    def _range(self) -> tuple[date, date]:
        return date.fromisoformat(self.start.value), date.fromisoformat(self.end.value)

    async def _quick(self, days: int) -> None:
        self.end.value = self.latest_end.isoformat()
        self.start.value = (self.latest_end - timedelta(days=days - 1)).isoformat()

    async def _filter_changed(self) -> None:
        self.page = 1
        await self.load()

    async def _page_changed(self, event: Any) -> None:
        if event.value != self.page:
            self.page = event.value
            await self.load()

    async def load(self) -> None:
        try:
            start, end = self._range()
        except (TypeError, ValueError):
            self.error.show("Pick a valid date range", "Dates look like 2016-04-12.")
            return
        self.table.props("loading")
        try:
            history = await self.ctx.read(member_stats.activity_history, self.user_id, start, end, page=self.page,
                                          limit=PAGE_SIZE)
        except DomainError as exc:
            self.error.show("Could not show this range", exc.detail)
            return
        finally:
            self.table.props(remove="loading")
        self.error.visible = False
        rows, total, summary, sessions = history.rows, history.total_days, history.summary, history.workouts

        self.days.set(f"{summary.days_with_data:,}", f"{summary.qualifying_days:,} qualifying days")
        self.steps.set(f"{summary.total_steps:,}", f"{summary.average_steps:,} a day on average")
        self.minutes.set(f"{summary.total_active_minutes:,}", f"{summary.average_active_minutes:,} a day on average")
        self.points.set(f"{summary.total_points:,}", f"{start.strftime('%b %-d')} – {end.strftime('%b %-d, %Y')}")
        self.workouts.set(f"{summary.workouts:,}", "sessions recorded")

        self.table.rows = [{
            "date": row.day.strftime("%b %-d, %Y"), "steps": _num(row.steps), "active": _num(row.active_minutes),
            "light": _num(row.light_minutes), "calories": _num(row.calories), "distance": _num(row.distance_km, 2),
            "workouts": row.workouts, "points": ("manual · " if row.manual else "") + _num(row.points),
        } for row in rows]
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        self.pager.max = pages
        self.pager.visible = pages > 1
        self.count.set_text(f"{total:,} day{'s' if total != 1 else ''}")
        self.sessions.rows = [{
            "id": str(s.id), "date": s.start_time.strftime("%b %-d, %Y"), "name": s.name or "Workout",
            "minutes": s.duration_minutes, "steps": _num(s.steps),
        } for s in sessions]


@member_page("/activity", title="Activity")
async def activity_page(ctx: PageContext) -> None:
    start, end = await ctx.read(member_stats.data_window, ctx.member_id, ctx.today())
    view = activity_view(ctx, ctx.member_id, start, end)
    background_tasks.create(view.load(), name="activity-load")
