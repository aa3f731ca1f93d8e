"""`/admin` — the admin overview (PRODUCT.md §7 "overview analytics with charts"): members by role and status,
active members, trackers, the points ledger, webhook deliveries, the review queue and the sweepstakes, plus two charts
(points earned per day over 30 days; active members by tier). Figures come from `domain.admin_stats` (SQL
aggregates). Counts link to the users list (with its filters preset) and to the review queue.

Admins only: the page guard refuses other roles on `/admin*`; the Refresh button starts with `require_admin_event()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from nicegui import background_tasks, ui
from sqlmodel import Session

from app.web_auth import current_user, require_admin_event
from components.charts import CHART_AXIS, CHART_SPLIT
from components.db_calls import read
from components.frame import frame
from components.notice import notice
from components.theme import PRIMARY
from domain import admin_stats
from domain.calendar import platform_day
from domain.enums import DeliveryStatus, DrawingStatus, FulfillmentStatus, Role, UserStatus
from domain.errors import DomainError
from domain.types import utcnow


@dataclass(frozen=True)
class OverviewData:
    counts: admin_stats.AdminOverview
    series: admin_stats.DailySeries
    tiers: list[tuple[str, int]]


def _load(session: Session, today: date) -> OverviewData:
    return OverviewData(admin_stats.overview(session, today), admin_stats.points_per_day(session, today),
                        admin_stats.members_by_tier(session))


def _users_link(**filters: str) -> str:
    return "/admin/users" + (f"?{urlencode(filters)}" if filters else "")


def _figure(title: str, icon: str, value: str, caption: str = "", *, link: str | None = None,
            color: str = "primary", marker: str = "") -> None:
    """One figure card; a link card when `link` is given."""
    container = ui.link(target=link).classes("no-underline text-inherit block min-w-0") if link else \
        ui.element("div").classes("min-w-0")
    with container, ui.card().props("flat").classes(
            "ft-card p-4 gap-1 h-full w-full" + (" hover:border-teal-500 cursor-pointer" if link else "")):
        with ui.row(wrap=False).classes("w-full items-center gap-2 text-slate-500"):
            ui.icon(icon, color=color, size="xs")
            ui.label(title).classes("text-xs font-semibold uppercase tracking-wide")
            if link:
                ui.space()
                ui.icon("chevron_right", size="xs").classes("text-slate-400")
        label = ui.label(value).classes("text-2xl sm:text-3xl font-bold text-slate-900 leading-tight ft-num")
        if marker:
            label.mark(marker)
        if caption:
            ui.label(caption).classes("text-xs text-slate-500")


def _breakdown(counts: dict[str, int], order: list[str]) -> str:
    """ "3 processed · 1 failed" in the enum's order, only non-zero values; "none yet" when empty."""
    parts = [f"{counts[key]:,} {key.replace('_', ' ')}" for key in order if counts.get(key)]
    parts += [f"{count:,} {key}" for key, count in counts.items() if key not in order and count]
    return " · ".join(parts) or "none yet"


def _chips(counts: dict[str, int], order: list[str], param: str) -> None:
    """Links to the users list filtered by each value (`param` = "role" or "status")."""
    with ui.row().classes("gap-2"):
        for key in order:
            with ui.link(target=_users_link(**{param: key})).classes("no-underline"):
                ui.chip(f"{key.capitalize()} {counts.get(key, 0):,}").props("outline dense clickable color=primary") \
                    .classes("m-0").mark(f"{param}-{key}")


def _section(title: str) -> ui.element:
    ui.label(title).classes("text-sm font-semibold uppercase tracking-wide text-slate-500 pt-2")
    return ui.element("div").classes("grid grid-cols-2 md:grid-cols-3 xl:grid-cols-4 gap-3 w-full")


def _points_chart(series: admin_stats.DailySeries) -> None:
    with ui.card().props("flat").classes("ft-card p-4 gap-1 min-w-0 lg:col-span-2"):
        with ui.row(wrap=False).classes("w-full items-baseline justify-between gap-2"):
            title = "Points earned per day, last 30 days" if series.is_current else \
                f"Points earned per day, {series.start:%b %-d} – {series.end:%b %-d, %Y}"
            ui.label(title).classes("text-base font-semibold")
            ui.label(f"{series.total:,} pts").classes("text-sm text-slate-500 ft-num whitespace-nowrap")
        if not series.is_current:
            ui.label("No points in the last 30 days; showing the latest 30 days with points.") \
                .classes("text-xs text-slate-500")
        if series.total == 0:
            notice("bar_chart", "No points earned yet", "Points appear here once members' trackers sync.") \
                .classes("border-0")
            return
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "category", "data": [f"{day:%b %-d}" for day, _ in series.points],
                      "axisTick": {"show": False}, **CHART_AXIS},
            "yAxis": {"type": "value", **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "series": [{"type": "bar", "name": "Points", "data": [points for _, points in series.points],
                        "barMaxWidth": 18, "itemStyle": {"color": PRIMARY, "borderRadius": [4, 4, 0, 0]}}],
        }).classes("w-full h-64").mark("points-chart")


def _tier_chart(tiers: list[tuple[str, int]]) -> None:
    with ui.card().props("flat").classes("ft-card p-4 gap-1 min-w-0"):
        ui.label("Active members by tier").classes("text-base font-semibold")
        if not tiers:
            notice("groups", "No members yet", "Tiers fill in as members join.").classes("border-0")
            return
        shown = list(reversed(tiers))  # ECharts draws category axes bottom-up: largest on top
        height = max(160, 22 * len(shown) + 40)
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "value", "minInterval": 1, **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "yAxis": {"type": "category", "data": [tier for tier, _ in shown], "axisTick": {"show": False},
                      **CHART_AXIS},
            "series": [{"type": "bar", "name": "Members", "data": [count for _, count in shown],
                        "barMaxWidth": 14, "itemStyle": {"color": "#0369a1", "borderRadius": [0, 4, 4, 0]}}],
        }).classes("w-full").style(f"height: {height}px").mark("tier-chart")


class overview_view:  # noqa: N801
    """Skeleton while loading; then the figures and charts; an error notice if the read fails."""

    def __init__(self) -> None:
        with ui.row().classes("w-full items-center gap-2 -mt-2"):
            self.as_of = ui.label("Loading…").classes("text-sm text-slate-500")
            ui.space()
            self.refresh_button = ui.button("Refresh", icon="refresh", on_click=self.refresh) \
                .props("flat dense no-caps color=primary").mark("refresh")
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-3")
        with self.body, ui.element("div").classes("grid grid-cols-2 md:grid-cols-3 xl:grid-cols-4 gap-3 w-full"):
            for _ in range(8):
                ui.skeleton("rect", height="6.5rem").classes("rounded-xl")

    async def refresh(self) -> None:
        await require_admin_event()
        self.refresh_button.props("loading")
        try:
            await self.load()
        finally:
            self.refresh_button.props(remove="loading")

    async def load(self) -> None:
        today = platform_day(utcnow())
        try:
            data = await read(_load, today)
        except DomainError as exc:
            self.error.show("Could not load the overview", exc.detail)
            return
        except Exception:  # noqa: BLE001 - show something readable, keep the page alive
            self.error.show("Could not load the overview", "Please try again in a moment.")
            raise
        self.error.visible = False
        self.as_of.set_text(f"Platform day {today:%a %b %-d, %Y} (America/New_York)")
        self.body.clear()
        with self.body:
            self.show(data)

    def show(self, data: OverviewData) -> None:
        c = data.counts
        if c.is_empty:
            notice("rocket_launch", "A fresh start",
                   "No members or points yet. Run `make db-seed` for demo data, or wait for the first sign-ups.",
                   kind="info").mark("empty-overview")
        with _section("Members"):
            _figure("Members", "group", f"{c.members:,}", _breakdown(c.members_by_role, [r.value for r in Role]),
                    link=_users_link(), marker="count-members")
            _figure("Active today", "directions_run", f"{c.active_today:,}", "members with tracker data today",
                    color="positive", marker="count-active-today")
            _figure("Active, 7 days", "date_range", f"{c.active_7_days:,}", "members with data in the last 7 days",
                    color="positive", marker="count-active-7")
            _figure("Trackers", "watch", f"{c.connections:,}", _breakdown(c.connections_by_status, ["connected"]),
                    color="info", marker="count-connections")
        with ui.card().props("flat").classes("ft-card w-full p-4 gap-2"):
            ui.label("Members by role and status").classes("text-sm font-semibold text-slate-700")
            _chips(c.members_by_role, [r.value for r in Role], "role")
            _chips(c.members_by_status, [s.value for s in UserStatus], "status")
        with _section("Points"):
            _figure("Points earned", "trending_up", f"{c.points_earned:,}", "all time, by all members",
                    marker="count-earned")
            _figure("Points spent", "shopping_cart", f"{c.points_spent:,}", "on tickets", color="accent",
                    marker="count-spent")
            _figure("Balance outstanding", "account_balance_wallet", f"{c.balance_outstanding:,}",
                    "points members can still spend", color="info", marker="count-balance")
            _figure("Ledger entries", "receipt_long", f"{c.ledger_entries:,}", "append-only point transactions",
                    color="secondary", marker="count-ledger")
        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-3 w-full items-start"):
            _points_chart(data.series)
            _tier_chart(data.tiers)
        with _section("Operations"):
            _figure("Review queue", "fact_check", f"{c.review_pending:,}", "items waiting for a decision",
                    link="/admin/review", color="warning", marker="count-review")
            _figure("Webhook deliveries", "webhook", f"{sum(c.webhooks_by_status.values()):,}",
                    _breakdown(c.webhooks_by_status, [s.value for s in DeliveryStatus]), color="secondary",
                    marker="count-webhooks")
        with _section("Sweepstakes"):
            _figure("Drawings", "event", f"{sum(c.drawings_by_status.values()):,}",
                    _breakdown(c.drawings_by_status, [s.value for s in DrawingStatus]), marker="count-drawings")
            _figure("Tickets", "confirmation_number", f"{c.tickets:,}", f"{c.free_entries:,} free entries",
                    color="accent", marker="count-tickets")
            _figure("Prizes", "redeem", f"{c.prizes:,}",
                    f"{c.prize_units:,} units · ${c.prize_value_usd:,.0f} total value", color="positive",
                    marker="count-prizes")
            _figure("Fulfillments", "local_shipping", f"{sum(c.fulfillments_by_status.values()):,}",
                    _breakdown(c.fulfillments_by_status, [s.value for s in FulfillmentStatus]), color="info",
                    marker="count-fulfillments")
            _figure("Sponsors", "handshake", f"{c.sponsors:,}", "prize sponsors", color="secondary",
                    marker="count-sponsors")


@ui.page("/admin")
async def admin_overview_page() -> None:
    admin = current_user()
    if admin is None:
        ui.navigate.to("/login")
        return
    with frame("Admin overview", admin):
        if admin.role != Role.admin.value:  # the page guard refuses first; never render admin data regardless
            notice("block", "Administrators only", "This page is for administrators.", kind="error")
            return
        view = overview_view()
    background_tasks.create(view.load(), name="admin-overview-load")
