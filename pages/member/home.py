"""`/` — signed out: the landing page (`components.landing`). Signed in: the member dashboard — balance, earned today
against the 1,000-point cap, steps and active minutes today, streak, a 30-day points chart and the latest ledger
entries (PRODUCT.md §4). Live: re-read in place when this member's points land."""

from __future__ import annotations

import uuid
from datetime import date

from nicegui import background_tasks, ui

from app.web import realtime
from components.charts import points_chart
from components.frame import frame
from components.landing import landing
from components.notice import notice
from components.page import PageContext, public_page
from components.stat_card import stat_card
from components.theme import NO_DATA_SLOT
from domain.points import member_stats
from domain.shared.errors import DomainError

LEDGER_COLUMNS = [
    {"name": "when", "label": "Day", "field": "when", "align": "left"},
    {"name": "description", "label": "Entry", "field": "description", "align": "left",
     "classes": "whitespace-normal", "headerClasses": ""},
    {"name": "amount", "label": "Points", "field": "amount", "align": "right"},
]
LEDGER_ROW = r"""
<q-tr :props="props">
  <q-td key="when" :props="props" class="text-slate-500 whitespace-nowrap">{{ props.row.when }}</q-td>
  <q-td key="description" :props="props" class="whitespace-normal">{{ props.row.description }}</q-td>
  <q-td key="amount" :props="props" class="ft-num font-semibold whitespace-nowrap"
        :class="props.row.amount > 0 ? 'text-positive' : 'text-negative'">
    {{ (props.row.amount > 0 ? '+' : '') + props.row.amount.toLocaleString() }}</q-td>
</q-tr>
"""


def _fmt_day(day: date) -> str:
    return day.strftime("%b %-d, %Y")


class dashboard_view:  # noqa: N801
    """The dashboard's elements plus `load()`, which fills them in place from `member_stats.dashboard`."""

    def __init__(self, ctx: PageContext, user_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        self.empty = notice("watch", "Connect a tracker to start earning",
                            "Link your Fitbit, Garmin, Apple Health or other tracker through Terra. Steps, active "
                            "minutes and workouts turn into points automatically.", kind="info")
        self.empty.visible = False

        with ui.element("div").classes("grid grid-cols-2 md:grid-cols-3 xl:grid-cols-5 gap-3 w-full"):
            self.balance = stat_card("Balance", "stars").classes("col-span-2 md:col-span-1")
            self.today = stat_card("Earned today", "today")
            with self.today.extra:
                self.cap_bar = ui.linear_progress(value=0, show_value=False, size="8px") \
                    .props("rounded color=primary track-color=grey-3").classes("mt-1")
            self.steps = stat_card("Steps today", "directions_walk", color="info")
            self.minutes = stat_card("Active minutes", "timer", color="warning")
            self.streak = stat_card("Streak", "local_fire_department", color="negative")

        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-3 w-full items-start"):
            with ui.card().props("flat").classes("ft-card lg:col-span-2 gap-2 p-4 min-w-0"):
                with ui.row(wrap=False).classes("w-full items-baseline justify-between gap-2"):
                    self.chart_title = ui.label("Points, last 30 days").classes("text-base font-semibold")
                    self.chart_total = ui.label().classes("text-sm text-slate-500 ft-num whitespace-nowrap")
                self.chart_note = ui.label().classes("text-xs text-slate-500 -mt-1")
                self.chart_note.visible = False
                self.chart_skeleton = ui.skeleton("rect", height="16rem").classes("w-full")
                self.chart = points_chart()
                self.chart.visible = False
            with ui.card().props("flat").classes("ft-card gap-2 p-4 min-w-0"):
                ui.label("Recent ledger entries").classes("text-base font-semibold")
                self.ledger = ui.table(columns=LEDGER_COLUMNS, rows=[], row_key="id", pagination=0) \
                    .props('flat dense hide-pagination loading no-data-label="No points yet"') \
                    .classes("w-full ft-table")
                self.ledger.add_slot("body", LEDGER_ROW)
                self.ledger.add_slot("no-data", NO_DATA_SLOT)

        ctx.on_points(self._on_points, when=lambda batch: batch.touches_user(self.user_id))

    async def _on_points(self, _: realtime.PointsLanded) -> None:
        await self.load()

    async def load(self) -> None:
        try:
            data = await self.ctx.read(member_stats.dashboard, self.user_id, self.ctx.today())
        except DomainError as exc:
            self.error.show("Could not load your dashboard", exc.detail)
            return
        except Exception:  # noqa: BLE001 - show something readable, keep the page alive
            self.error.show("Could not load your dashboard", "Please try again in a moment.")
            raise
        self.error.visible = False
        self.show(data)

    def show(self, data: member_stats.Dashboard) -> None:
        self.empty.visible = not data.has_tracker and not data.has_data
        self.balance.set(f"{data.balance:,}", f"{data.points_earned:,} earned in total")
        self.today.set(f"{data.earned_today:,}",
                       f"of {data.daily_cap:,} today · {data.cap_remaining_today:,} left")
        self.cap_bar.set_value(min(data.earned_today / data.daily_cap, 1.0))
        self.steps.set(f"{data.steps_today:,}", "10,000 earns a +100 goal bonus")
        self.minutes.set(f"{data.active_minutes_today:,}", "moderate + vigorous minutes")
        self.streak.set(f"{data.streak_days} day{'s' if data.streak_days != 1 else ''}",
                        "≥ 5,000 steps or 30 active minutes a day")

        if data.series_is_current:
            self.chart_title.set_text("Points, last 30 days")
            self.chart_note.visible = False
        else:
            self.chart_title.set_text(f"Points, {_fmt_day(data.series_start)} – {_fmt_day(data.series_end)}")
            self.chart_note.set_text("Your latest 30 days with tracker data.")
            self.chart_note.visible = True
        self.chart_total.set_text(f"{data.series_total:,} pts")
        self.chart_skeleton.visible = False
        self.chart.visible = True
        self.chart.set_series(data.series)

        self.ledger.rows = [
            {"id": str(e.id), "when": (e.platform_day or e.created_at.date()).strftime("%b %-d"),
             "description": e.description or e.transaction_type.capitalize(), "amount": e.amount}
            for e in data.recent_entries
        ]
        self.ledger.props(remove="loading")


@public_page("/", with_user=True)  # "/" is public (app/web/auth.py): the decorator reads the session
async def dashboard_page(ctx: PageContext) -> None:
    if ctx.user is None:  # signed-out visitors get the landing page
        landing()
        return
    with frame(ctx, "Dashboard"):
        view = dashboard_view(ctx, ctx.user.id)
    background_tasks.create(view.load(), name="dashboard-load")
