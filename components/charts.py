"""Charts (ECharts through `ui.echart`), themed like the rest of the app."""

from __future__ import annotations

from datetime import date

from nicegui import ui

from components.theme import PRIMARY

# Axis and grid colours that read well on light and dark backgrounds (one definition for every chart).
CHART_AXIS = {"axisLabel": {"color": "#64748b"}, "axisLine": {"lineStyle": {"color": "#cbd5e1"}}}
CHART_SPLIT = {"splitLine": {"lineStyle": {"color": "rgba(148, 163, 184, 0.25)"}}}


class points_chart(ui.echart):  # noqa: N801
    """Bar chart of points per day. `set_series([(date, points), ...])` updates it in place."""

    def __init__(self) -> None:
        super().__init__({
            "animationDuration": 300,
            "grid": {"left": 8, "right": 8, "top": 16, "bottom": 8, "containLabel": True},
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "xAxis": {"type": "category", "data": [], "axisTick": {"show": False}, **CHART_AXIS},
            "yAxis": {"type": "value", **CHART_SPLIT, "axisLabel": CHART_AXIS["axisLabel"]},
            "series": [{"type": "bar", "name": "Points", "data": [], "barMaxWidth": 18,
                        "itemStyle": {"color": PRIMARY, "borderRadius": [4, 4, 0, 0]}}],
        })
        self.classes("w-full h-64")

    def set_series(self, series: list[tuple[date, int]]) -> None:
        self.options["xAxis"]["data"] = [day.strftime("%b %-d") for day, _ in series]
        self.options["series"][0]["data"] = [points for _, points in series]
        self.update()
