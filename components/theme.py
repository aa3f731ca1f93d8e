"""FitTrack's one small theme, in one place: brand colours, the font stack and the shared CSS (`assets/app.css`),
plus the dark palette (`DARK_CSS`: the slate/white utility classes the pages use, remapped while Quasar's dark mode
is on). Call `apply()` once at the top of every page (the frame, the login and the landing page do)."""

from __future__ import annotations

from nicegui import ui

from app.settings import ROOT

PRIMARY = "#0f766e"  # teal-700
COLORS = {
    "primary": PRIMARY, "secondary": "#334155", "accent": "#f59e0b", "dark": "#0f172a",
    "positive": "#15803d", "negative": "#b91c1c", "info": "#0369a1", "warning": "#b45309",
    "dark_page": "#020617",  # slate-950 page; cards and drawers use "dark" (slate-900)
}
CSS_PATH = ROOT / "assets" / "app.css"
# A calm "no rows" line for tables (Quasar's default shows a warning icon): `table.add_slot("no-data", NO_DATA_SLOT)`
NO_DATA_SLOT = r'''<div class="w-full text-center text-slate-500 text-sm py-6">{{ props.message }}</div>'''


# While dark mode is on (`body.body--dark`), the light utility classes the pages use map to a dark slate palette.
# Unlayered CSS, so it wins over Tailwind's layered utilities without !important. Not `.bg-white`: Quasar's own
# `.bg-white` is `!important` inside a layer, which no unlayered rule can beat; dark-aware surfaces leave it out.
DARK_CSS = """
body.body--dark { background: #020617; color: #e2e8f0; }
body.body--dark .bg-slate-50 { background-color: #1e293b; }
body.body--dark .bg-sky-50 { background-color: rgb(3 105 161 / 0.18); }
body.body--dark .bg-red-50 { background-color: rgb(185 28 28 / 0.20); }
body.body--dark .bg-amber-50 { background-color: rgb(180 83 9 / 0.20); }
body.body--dark .text-slate-900, body.body--dark .text-slate-800 { color: #f1f5f9; }
body.body--dark .text-slate-700, body.body--dark .text-slate-600 { color: #cbd5e1; }
body.body--dark .text-slate-500 { color: #94a3b8; }
body.body--dark .border-slate-200 { border-color: #1e293b; }
body.body--dark .ft-card { border-color: #1e293b; box-shadow: none; }
body.body--dark .ft-nav .q-item.ft-active { background: rgb(45 212 191 / 0.12); color: #5eead4; }
body.body--dark .ft-table thead th { color: #94a3b8; }
body.body--dark .ft-table tbody tr.ft-viewer td { background: rgb(45 212 191 / 0.12); }
body.body--dark .text-primary { color: #2dd4bf !important; }
body.body--dark .q-drawer { background: #0f172a; border-color: #1e293b; }
body.body--dark .q-drawer .q-item { color: #e2e8f0; }
"""


def apply() -> None:
    """Brand colours, page background and the shared stylesheet (light and dark) for the current page."""
    ui.colors(**COLORS)
    ui.add_css(CSS_PATH)
    ui.add_css(DARK_CSS)
    ui.query("body").classes("bg-slate-50 text-slate-800")


def money(value: float) -> str:
    """US dollars as pages show them: "$1,500" / "$25.50"."""
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"
