"""The landing page signed-out visitors see at `/` (pages/member/home.py builds it when nobody is signed in): what
FitTrack is (PRODUCT.md §1), how points work (the §4 rate table in friendly words), tiers and live leaderboards (§3,
§5), how drawings work (§6: tickets bought with points, the free alternate entry, verifiable draws), sign in / join,
and the data credit (§9). Static content: no database reads. "Sign in" leads to /login, "Join FitTrack" to
/register."""

from __future__ import annotations

from nicegui import ui

from components import theme
from domain.points.rules import DAILY_CAP

POINT_RULES: list[tuple[str, str, str]] = [
    ("directions_walk", "Steps", "1 point for every 100 steps, up to 20,000 steps a day"),
    ("flag", "Daily step goal", "+100 bonus when you reach 10,000 steps"),
    ("timer", "Active minutes", "2 points a vigorous minute, 1 a moderate minute, 1 per 10 light minutes"),
    ("fitness_center", "Workouts", "+50 for each workout of 20 minutes or more, up to 3 a day"),
    ("local_fire_department", "Streaks", "Up to +50 a day for keeping a streak of active days going"),
]
FEATURES: list[tuple[str, str, str]] = [
    ("bolt", "Points for moving",
     "Connect Fitbit, Garmin, Oura, Polar or another tracker. Steps, active minutes and workouts turn into points "
     "automatically, every day."),
    ("leaderboard", "Tiers and live leaderboards",
     "Compete with people like you: 30 tiers by age, sex and fitness level, plus an Open tier. Daily, weekly, "
     "monthly and all-time boards update live as points land."),
    ("redeem", "Prize drawings",
     "Spend points on tickets for daily, weekly, monthly and annual drawings with prizes from our sponsors. "
     "No purchase necessary: every member gets a free entry."),
]
DRAW_STEPS: list[tuple[str, str]] = [
    ("Earn points", "Every step and workout counts toward your balance."),
    ("Enter a drawing", "Buy tickets with points, or claim your one free entry per drawing. Same odds either way."),
    ("Verifiable draw", "We publish a fingerprint of the secret seed before the draw and reveal it after, so anyone "
                        "can recompute the winners."),
    ("Win", "Winners are notified by email and in the app; prizes ship or arrive as a code."),
]
DATA_CREDIT = ("Demo activity data: Furberg, R., Brinton, J., Keller, M., Curtis, A. (2016). Crowd-sourced Fitbit "
               "datasets 03.12.2016–05.12.2016. Zenodo.")
DATA_DOI = "https://doi.org/10.5281/zenodo.53894"


def _brand(dark_text: bool = False) -> None:
    with ui.link(target="/").classes("flex items-center gap-2 no-underline"):
        ui.icon("bolt", size="sm").classes("bg-primary text-white rounded-lg p-1")
        ui.label("FitTrack").classes("text-xl font-bold tracking-tight " + ("text-slate-900" if dark_text
                                                                             else "text-white"))


def _cta(*, suffix: str = "") -> None:
    """Sign in (a link to /login) and Join (a link to /register), for a teal background."""
    with ui.row().classes("gap-3 items-center"):
        ui.button("Sign in").props("href=/login unelevated no-caps size=lg color=white text-color=primary") \
            .classes("px-6 font-semibold").mark(f"landing-sign-in{suffix}")
        ui.button("Join FitTrack").props("href=/register outline no-caps size=lg color=white") \
            .classes("px-6 font-semibold").mark(f"join{suffix}")


def _hero() -> None:
    with ui.element("section").classes("w-full bg-gradient-to-br from-teal-800 via-teal-700 to-emerald-600 text-white"):
        with ui.row(wrap=False).classes("w-full max-w-6xl mx-auto px-5 pt-5 items-center"):
            _brand()
            ui.space()
            ui.link("Sign in", "/login").classes("text-white font-semibold no-underline hover:underline")
        with ui.element("div").classes("w-full max-w-6xl mx-auto px-5 pt-12 pb-16 sm:pt-16 sm:pb-20 grid "
                                       "grid-cols-1 lg:grid-cols-5 gap-10 items-center"):
            with ui.column().classes("gap-5 lg:col-span-3"):
                ui.label("Move more. Earn points. Win prizes.") \
                    .classes("text-4xl sm:text-5xl font-extrabold leading-tight tracking-tight")
                ui.label("FitTrack turns the steps, active minutes and workouts your tracker already records into "
                         "points. Climb a leaderboard of people like you and spend your points on prize drawings.") \
                    .classes("text-lg text-teal-50 max-w-xl")
                _cta()
                ui.label("Free to join · Works with Fitbit, Garmin, Oura, Polar and more · US adults 18+") \
                    .classes("text-sm text-teal-100")
            _hero_card()


def _hero_card() -> None:
    """A sample day, to show how activity becomes points (figures follow the PRODUCT.md §4 rate table)."""
    with ui.card().props("flat").classes("lg:col-span-2 w-full max-w-md justify-self-center rounded-2xl p-5 gap-3 "
                                         "bg-white text-slate-800 shadow-xl"):
        with ui.row(wrap=False).classes("w-full items-center justify-between"):
            ui.label("A sample day").classes("text-sm font-semibold uppercase tracking-wide text-slate-500")
            ui.badge("Tier F-30-39-INT", color="primary").props("outline")
        for label, detail, points in [("12,400 steps", "1 point per 100 steps", "+124"),
                                      ("10,000-step goal", "reached", "+100"),
                                      ("35 active minutes", "20 vigorous, 15 moderate", "+55"),
                                      ("4-day streak", "5 × 4 days", "+20")]:
            with ui.row(wrap=False).classes("w-full items-center justify-between gap-3"):
                with ui.column().classes("gap-0"):
                    ui.label(label).classes("font-semibold")
                    ui.label(detail).classes("text-xs text-slate-500")
                ui.label(points).classes("font-bold text-primary ft-num")
        ui.separator()
        with ui.row(wrap=False).classes("w-full items-center justify-between"):
            ui.label("Points today").classes("font-semibold")
            ui.label("299").classes("text-2xl font-extrabold text-slate-900 ft-num")


def _features() -> None:
    with ui.element("section").classes("w-full max-w-6xl mx-auto px-5 py-14"):
        ui.label("Why FitTrack").classes("text-sm font-semibold uppercase tracking-wide text-primary")
        ui.label("Everything you do already counts").classes("text-3xl font-bold text-slate-900 tracking-tight mb-6")
        with ui.element("div").classes("grid grid-cols-1 md:grid-cols-3 gap-4"):
            for icon, title, text in FEATURES:
                with ui.card().props("flat").classes("ft-card p-6 gap-3 bg-white"):
                    ui.icon(icon, size="md").classes("bg-teal-50 text-primary rounded-xl p-2")
                    ui.label(title).classes("text-lg font-semibold text-slate-900")
                    ui.label(text).classes("text-sm text-slate-600 leading-relaxed")


def _points() -> None:
    with ui.element("section").classes("w-full bg-white border-y border-slate-200"), \
            ui.element("div").classes("max-w-6xl mx-auto px-5 py-14 grid grid-cols-1 lg:grid-cols-2 gap-10"):
        with ui.column().classes("gap-3"):
            ui.label("How points work").classes("text-sm font-semibold uppercase tracking-wide text-primary")
            ui.label("Simple, fair and capped").classes("text-3xl font-bold text-slate-900 tracking-tight")
            ui.label("Points are counted per day (Eastern time) from your tracker's daily summary. Manually entered "
                     "data earns nothing, and unusual days are checked by a person before they count.") \
                .classes("text-slate-600 leading-relaxed")
            with ui.row(wrap=False).classes("items-center gap-3 bg-amber-50 rounded-xl p-4 mt-2"):
                ui.icon("speed", size="md").classes("text-amber-600")
                ui.label(f"Up to {DAILY_CAP:,} points a day from all sources together.") \
                    .classes("font-semibold text-slate-800").mark("daily-cap")
        with ui.element("div").classes("w-full rounded-2xl border border-slate-200 overflow-hidden") \
                .mark("points-table"):
            for index, (icon, source, rule) in enumerate(POINT_RULES):
                stripe = "bg-slate-50" if index % 2 else "bg-white"
                with ui.row(wrap=False).classes(f"w-full items-start gap-3 px-4 py-3 {stripe}"):
                    ui.icon(icon, size="sm").classes("text-primary mt-0.5")
                    with ui.column().classes("gap-0 min-w-0"):
                        ui.label(source).classes("font-semibold text-slate-900")
                        ui.label(rule).classes("text-sm text-slate-600")


def _drawings() -> None:
    with ui.element("section").classes("w-full max-w-6xl mx-auto px-5 py-14"):
        ui.label("How drawings work").classes("text-sm font-semibold uppercase tracking-wide text-primary")
        ui.label("Prizes you can check for yourself").classes("text-3xl font-bold text-slate-900 tracking-tight mb-6")
        with ui.element("div").classes("grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-4 gap-4"):
            for number, (title, text) in enumerate(DRAW_STEPS, start=1):
                with ui.card().props("flat").classes("ft-card p-5 gap-2 bg-white"):
                    ui.label(str(number)).classes("w-8 h-8 rounded-full bg-primary text-white font-bold "
                                                  "flex items-center justify-center")
                    ui.label(title).classes("font-semibold text-slate-900")
                    ui.label(text).classes("text-sm text-slate-600 leading-relaxed")
        ui.label("No purchase necessary. Void where prohibited; not open in NY, FL or RI. Official rules are "
                 "published with every drawing.").classes("text-xs text-slate-500 mt-4")
        with ui.card().props("flat").classes("w-full mt-10 rounded-2xl p-8 gap-4 items-center text-center "
                                             "bg-gradient-to-r from-teal-700 to-emerald-600 text-white"):
            ui.label("Ready to make your steps count?").classes("text-2xl font-bold")
            _cta(suffix="-bottom")


def _footer() -> None:
    with ui.element("footer").classes("w-full border-t border-slate-200 bg-white"), \
            ui.column().classes("max-w-6xl mx-auto px-5 py-8 gap-2"):
        with ui.row().classes("w-full items-center gap-4"):
            _brand(dark_text=True)
            ui.space()
            ui.link("Sign in", "/login").classes("text-sm text-slate-600")
            ui.link("API docs", "/docs").classes("text-sm text-slate-600")
        with ui.row().classes("gap-1 items-baseline text-xs text-slate-500").mark("data-credit"):
            ui.label(DATA_CREDIT)
            ui.link("DOI 10.5281/zenodo.53894", DATA_DOI, new_tab=True).classes("text-slate-600")
        ui.label("Tracker data arrives through Terra. FitTrack is a demonstration product.") \
            .classes("text-xs text-slate-500")


def landing() -> None:
    """Build the landing page into the current (empty) page: hero with sign-in / join, three feature cards, the
    points table, how drawings work, and a footer with the data credit. Light theme; phone and desktop widths."""
    theme.apply()
    ui.page_title("FitTrack · Move more, earn points, win prizes")
    ui.query(".nicegui-content").classes("p-0 gap-0")
    _hero()
    _features()
    _points()
    _drawings()
    _footer()
