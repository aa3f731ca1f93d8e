"""`/admin` — the admin overview (PRODUCT.md §7 "overview analytics with charts", issue 7 §7): members by role and
status, active members, trackers, the points ledger, webhook deliveries, the review queue and the sweepstakes, with
charts (ECharts): members and active members per day, points earned vs spent per day, active members by tier,
tickets sold per drawing type, fulfillment by status, the outstanding prize liability, and the prize value of each
drawing series against the NY/FL $5,000 registration threshold (with a warning when a series exceeds it). Figures
come from `domain.admin.overview` (SQL aggregates). Counts link to the users list (filters preset) and the review queue.

Admins only: the page guard refuses other roles on `/admin*`; the Refresh button goes through the admin guard
(`PageContext.guard`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from nicegui import background_tasks, ui
from sqlmodel import Session

from components.charts import CHART_AXIS, CHART_SPLIT
from components.notice import notice
from components.page import PageContext, admin_page
from components.stat_card import stat_card
from components.theme import PRIMARY
from domain.admin import overview
from domain.shared.enums import DeliveryStatus, DrawingStatus, FulfillmentStatus, Role, UserStatus
from domain.shared.errors import DomainError


@dataclass(frozen=True)
class OverviewData:
    counts: overview.AdminOverview
    analytics: overview.Analytics
    tiers: list[tuple[str, int]]


def _load(session: Session, today: date) -> OverviewData:
    return OverviewData(overview.overview(session, today), overview.analytics(session, today),
                        overview.members_by_tier(session))


WARNING = "#b45309"  # amber-700
SPENT = "#f59e0b"  # the theme's accent
STATUS_LABELS = {s.value: s.value.replace("_", " ").capitalize() for s in FulfillmentStatus}


def _users_link(**filters: str) -> str:
    return "/admin/users" + (f"?{urlencode(filters)}" if filters else "")


def _figure(title: str, icon: str, value: str, caption: str = "", *, link: str | None = None,
            color: str = "primary", marker: str = "") -> None:
    """One figure card (`components.stat_card`); a link card when `link` is given."""
    container = ui.link(target=link).classes("no-underline text-inherit block min-w-0") if link else \
        ui.element("div").classes("min-w-0")
    with container:
        card = stat_card(title, icon, color=color, value=value, caption=caption, chevron=bool(link)) \
            .classes("h-full w-full" + (" hover:border-teal-500 cursor-pointer" if link else ""))
        if marker:
            card.value.mark(marker)


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


def _chart_card(title: str, total: str = "", classes: str = "") -> ui.card:
    card = ui.card().props("flat").classes(f"ft-card p-4 gap-1 min-w-0 {classes}")
    with card, ui.row().classes("w-full items-baseline justify-between gap-x-3 gap-y-0"):
        ui.label(title).classes("text-base font-semibold")
        if total:
            ui.label(total).classes("text-sm text-slate-500 ft-num whitespace-nowrap")
    return card


def _legend() -> dict[str, Any]:
    return {"bottom": 0, "icon": "roundRect", "itemWidth": 10, "itemHeight": 10,
            "textStyle": {"color": "#64748b"}}


def _members_chart(points: list[overview.DayPoint]) -> None:
    with _chart_card("Members and active members per day", f"{points[-1].members:,} members",
                     "lg:col-span-2"):
        if not any(p.members or p.active for p in points):
            notice("groups", "No members yet", "Sign-ups and active members appear here day by day.") \
                .classes("border-0")
            return
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 8, "top": 16, "bottom": 32, "containLabel": True},
            "tooltip": {"trigger": "axis"}, "legend": _legend(),
            "xAxis": {"type": "category", "data": [f"{p.day:%b %-d}" for p in points],
                      "axisTick": {"show": False}, **CHART_AXIS},
            "yAxis": {"type": "value", "minInterval": 1, **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "series": [
                {"type": "line", "name": "Members", "data": [p.members for p in points], "smooth": True,
                 "symbol": "none", "lineStyle": {"color": "#0369a1", "width": 2}, "itemStyle": {"color": "#0369a1"},
                 "areaStyle": {"color": "rgba(3, 105, 161, 0.08)"}},
                {"type": "bar", "name": "Active (tracker data)", "data": [p.active for p in points],
                 "barMaxWidth": 14, "itemStyle": {"color": PRIMARY, "borderRadius": [3, 3, 0, 0]}},
            ],
        }).classes("w-full h-64").mark("members-chart")


def _points_chart(flow: overview.PointsFlow) -> None:
    days = flow.days
    title = "Points earned vs spent per day" if flow.is_current else \
        f"Points earned vs spent, {days[0].day:%b %-d} – {days[-1].day:%b %-d, %Y}"
    with _chart_card(title, f"{flow.earned:,} earned · {flow.spent:,} spent", "w-full"):
        if not flow.is_current:
            ui.label("No points in the last 30 days; showing the latest 30 days with points.") \
                .classes("text-xs text-slate-500")
        if flow.earned == 0 and flow.spent == 0:
            notice("bar_chart", "No points earned yet", "Points appear here once members' trackers sync.") \
                .classes("border-0")
            return
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 8, "top": 16, "bottom": 32, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": _legend(),
            "xAxis": {"type": "category", "data": [f"{p.day:%b %-d}" for p in days], "axisTick": {"show": False},
                      **CHART_AXIS},
            "yAxis": {"type": "value", **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "series": [
                {"type": "bar", "name": "Earned (activity day)", "data": [p.earned for p in days], "barMaxWidth": 14,
                 "itemStyle": {"color": PRIMARY, "borderRadius": [3, 3, 0, 0]}},
                {"type": "bar", "name": "Spent on tickets", "data": [p.spent for p in days], "barMaxWidth": 14,
                 "itemStyle": {"color": SPENT, "borderRadius": [3, 3, 0, 0]}},
            ],
        }).classes("w-full h-64").mark("points-chart")


def _tickets_chart(tickets: list[overview.TicketsByType]) -> None:
    total = sum(t.total for t in tickets)
    with _chart_card("Tickets sold per drawing type", f"{total:,} tickets"):
        if total == 0:
            notice("confirmation_number", "No tickets yet", "Tickets appear once members enter drawings.") \
                .classes("border-0")
            return
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 8, "top": 16, "bottom": 32, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": _legend(),
            "xAxis": {"type": "category", "data": [t.drawing_type.capitalize() for t in tickets],
                      "axisTick": {"show": False}, **CHART_AXIS},
            "yAxis": {"type": "value", "minInterval": 1, **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "series": [
                {"type": "bar", "name": "Bought", "stack": "t", "data": [t.bought for t in tickets],
                 "barMaxWidth": 36, "itemStyle": {"color": PRIMARY}},
                {"type": "bar", "name": "Free entries", "stack": "t", "data": [t.free for t in tickets],
                 "barMaxWidth": 36, "itemStyle": {"color": "#5eead4", "borderRadius": [3, 3, 0, 0]}},
            ],
        }).classes("w-full h-64").mark("tickets-chart")


def _fulfillment_chart(fulfillments: list[overview.StatusValue]) -> None:
    total = sum(f.count for f in fulfillments)
    with _chart_card("Fulfillment by status", f"{total:,} prizes won"):
        if total == 0:
            notice("local_shipping", "No winners yet", "Fulfillments start when a drawing picks its winners.") \
                .classes("border-0")
            return
        shown = list(reversed(fulfillments))  # category axes draw bottom-up: the flow reads top to bottom
        ui.echart({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "value", "minInterval": 1, **CHART_SPLIT, "axisLabel": {"color": "#64748b"}},
            "yAxis": {"type": "category", "data": [STATUS_LABELS.get(f.status, f.status) for f in shown],
                      "axisTick": {"show": False}, **CHART_AXIS},
            "series": [{"type": "bar", "name": "Prizes", "barMaxWidth": 14,
                        "data": [{"value": f.count, "itemStyle": {"color": FULFILLMENT_COLORS.get(f.status, "#64748b"),
                                                                  "borderRadius": [0, 4, 4, 0]}} for f in shown]}],
        }).classes("w-full h-64").mark("fulfillment-chart")


FULFILLMENT_COLORS = {"pending": "#94a3b8", "winner_notified": "#38bdf8", "address_confirmed": "#0369a1",
                      "address_invalid": "#dc2626", "shipped": "#0f766e", "delivered": "#16a34a",
                      "forfeited": "#64748b"}


def _liability_card(liability: overview.PrizeLiability) -> None:
    with _chart_card("Prize liability outstanding"):
        ui.label(f"${liability.outstanding:,.0f}").classes("text-3xl font-bold text-slate-900 ft-num") \
            .mark("liability-total")
        parts = [("To award (announced drawings)", liability.to_award, "#0369a1", ""),
                 ("Won, not shipped yet", liability.awarded_unshipped, WARNING,
                  f"{liability.awarded_count:,} prize{'s' if liability.awarded_count != 1 else ''}"),
                 ("In transit", liability.in_transit, PRIMARY,
                  f"{liability.in_transit_count:,} shipment{'s' if liability.in_transit_count != 1 else ''}")]
        if liability.outstanding <= 0:
            ui.label("Nothing owed: every announced prize is drawn and delivered or forfeited.") \
                .classes("text-sm text-slate-500")
            return
        with ui.row(wrap=False).classes("w-full h-3 gap-0 rounded-full overflow-hidden bg-slate-100 mt-1") \
                .mark("liability-bar"):
            for _, value, colour, _ in parts:
                if value > 0:
                    ui.element("div").classes("h-full").style(
                        f"width: {100 * value / liability.outstanding:.2f}%; background: {colour}")
        for label, value, colour, extra in parts:
            with ui.row(wrap=False).classes("w-full items-center gap-2 text-sm"):
                ui.element("span").classes("inline-block w-2.5 h-2.5 rounded-sm shrink-0").style(
                    f"background: {colour}")
                ui.label(label).classes("text-slate-600 grow min-w-0")
                if extra:
                    ui.label(extra).classes("text-xs text-slate-400 whitespace-nowrap")
                ui.label(f"${value:,.0f}").classes("font-semibold text-slate-800 ft-num whitespace-nowrap")
        ui.link("Open the fulfillment queue", "/admin/fulfillment").classes("text-primary text-sm pt-1")


def _series_chart(analytics: overview.Analytics) -> None:
    series = analytics.series
    threshold = overview.REGISTRATION_THRESHOLD_USD
    states = " / ".join(overview.REGISTRATION_STATES)
    with _chart_card(f"Prize value per drawing series, {analytics.series_year}",
                     f"{states} threshold ${threshold:,.0f}", "lg:col-span-3"):
        ui.label("A series is the drawings of one type and name in a calendar year (a recurring promotion). New York "
                 "and Florida require registration and a bond when a game's prizes total more than "
                 f"${threshold:,.0f}.").classes("text-xs text-slate-500")
        over = [s for s in series if s.over_threshold]
        crossing = [s for s in series if s.would_exceed and not s.over_threshold]
        if over or crossing:
            names = ", ".join(f"{s.name} (${s.total:,.0f})" for s in over or crossing)
            excluded = analytics.registration_states_excluded
            title = (f"{len(over)} series over the ${threshold:,.0f} {states} registration threshold" if over else
                     f"Publishing drafts would take {len(crossing)} series over ${threshold:,.0f}")
            advice = ("NY and FL residents are excluded from FitTrack sweepstakes, so no filing is needed while that "
                      "stays so; admitting either state would require registering and bonding these series first."
                      if excluded else
                      "Register and bond these games with New York and Florida before they run, or lower the prizes.")
            with ui.card().props("flat").classes("w-full p-3 gap-1 bg-amber-50 border border-amber-200 rounded-lg") \
                    .mark("threshold-warning"):
                with ui.row(wrap=False).classes("items-center gap-2"):
                    ui.icon("warning", color="warning", size="sm")
                    ui.label(title).classes("font-semibold text-amber-900 text-sm")
                ui.label(names).classes("text-sm text-amber-900 break-words")
                ui.label(advice).classes("text-xs text-amber-800")
        if not series:
            notice("redeem", "No prizes this year", "Series appear when drawings with prizes are created.") \
                .classes("border-0")
            return
        shown = list(reversed(series))
        top = math.ceil(max(max(s.total for s in series), threshold) * 1.1 / 1000) * 1000
        height = max(180, 34 * len(shown) + 60)
        ui.echart({
            "animation": False,  # a threshold chart: never show a bar mid-growth
            "grid": {"left": 8, "right": 24, "top": 24, "bottom": 32, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": _legend(),
            "xAxis": {"type": "value", "max": top, "splitNumber": 4, **CHART_SPLIT,
                      "axisLabel": {"color": "#64748b",
                                    ":formatter": "v => '$' + (v >= 1000 ? (v / 1000) + 'k' : v)"}},
            "yAxis": {"type": "category", "axisTick": {"show": False}, **CHART_AXIS,
                      "data": [f"{s.name} ({s.drawing_type})" for s in shown],
                      "axisLabel": {"color": "#334155", "width": 120, "overflow": "truncate"}},
            "series": [
                {"type": "bar", "name": "Announced", "stack": "v", "barMaxWidth": 16, "itemStyle": {"color": PRIMARY},
                 "data": [{"value": round(s.announced, 2),
                           "itemStyle": {"color": "#dc2626" if s.over_threshold else PRIMARY}} for s in shown],
                 "markLine": {"symbol": "none", "silent": True,
                              "label": {"formatter": f"{states} ${threshold / 1000:g}k", "color": WARNING,
                                        "position": "end", "fontWeight": "bold"},
                              "lineStyle": {"color": WARNING, "type": "dashed", "width": 2},
                              "data": [{"xAxis": threshold}]}},
                {"type": "bar", "name": "Draft (not published)", "stack": "v", "barMaxWidth": 16,
                 "data": [round(s.planned, 2) for s in shown],
                 "itemStyle": {"color": "#cbd5e1", "borderRadius": [0, 4, 4, 0]}},
            ],
        }).classes("w-full").style(f"height: {height}px").mark("series-chart")


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

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        with ui.row().classes("w-full items-center gap-2 -mt-2"):
            self.as_of = ui.label("Loading…").classes("text-sm text-slate-500")
            ui.space()
            self.refresh_button = ui.button("Refresh", icon="refresh", on_click=ctx.guard(self.refresh)) \
                .props("flat dense no-caps color=primary").mark("refresh")
        self.error = notice("cloud_off", kind="error")
        self.error.visible = False
        self.body = ui.column().classes("w-full gap-3")
        with self.body, ui.element("div").classes("grid grid-cols-2 md:grid-cols-3 xl:grid-cols-4 gap-3 w-full"):
            for _ in range(8):
                ui.skeleton("rect", height="6.5rem").classes("rounded-xl")

    async def refresh(self) -> None:
        self.refresh_button.props("loading")
        try:
            await self.load()
        finally:
            self.refresh_button.props(remove="loading")

    async def load(self) -> None:
        today = self.ctx.today()
        try:
            data = await self.ctx.read(_load, today)
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
        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-3 w-full items-start"):
            _members_chart(data.analytics.members)
            _tier_chart(data.tiers)
        with _section("Points"):
            _figure("Points earned", "trending_up", f"{c.points_earned:,}", "all time, by all members",
                    marker="count-earned")
            _figure("Points spent", "shopping_cart", f"{c.points_spent:,}", "on tickets", color="accent",
                    marker="count-spent")
            _figure("Balance outstanding", "account_balance_wallet", f"{c.balance_outstanding:,}",
                    "points members can still spend", color="info", marker="count-balance")
            _figure("Ledger entries", "receipt_long", f"{c.ledger_entries:,}", "append-only point transactions",
                    color="secondary", marker="count-ledger")
        _points_chart(data.analytics.points)
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
        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-3 w-full items-start"):
            _tickets_chart(data.analytics.tickets)
            _fulfillment_chart(data.analytics.fulfillments)
            _liability_card(data.analytics.liability)
            _series_chart(data.analytics)


@admin_page("/admin", title="Admin overview")
async def admin_overview_page(ctx: PageContext) -> None:
    view = overview_view(ctx)
    background_tasks.create(view.load(), name="admin-overview-load")
