"""FitTrack's one small theme, in one place: brand colours, the font stack and the shared CSS (`assets/app.css`).
Call `apply()` once at the top of every page (the frame and the login page do)."""

from __future__ import annotations

from nicegui import ui

from app.settings import ROOT

PRIMARY = "#0f766e"  # teal-700
COLORS = {
    "primary": PRIMARY, "secondary": "#334155", "accent": "#f59e0b", "dark": "#0f172a",
    "positive": "#15803d", "negative": "#b91c1c", "info": "#0369a1", "warning": "#b45309",
}
CSS_PATH = ROOT / "assets" / "app.css"
# A calm "no rows" line for tables (Quasar's default shows a warning icon): `table.add_slot("no-data", NO_DATA_SLOT)`
NO_DATA_SLOT = r'''<div class="w-full text-center text-slate-500 text-sm py-6">{{ props.message }}</div>'''


def apply() -> None:
    """Brand colours, page background and the shared stylesheet for the current page."""
    ui.colors(**COLORS)
    ui.add_css(CSS_PATH)
    ui.query("body").classes("bg-slate-50 text-slate-800")
