"""The signed-out card layout of the account pages (registration, email verification, forgotten and new password):
a centred card with the FitTrack brand that works at phone width, and the red message line under a field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from components import theme


@contextmanager
def auth_card(subtitle: str) -> Iterator[ui.card]:
    """The signed-out card layout shared by the registration, verification and password pages; yields the card."""
    theme.apply()
    ui.query("body").classes("bg-gradient-to-br from-emerald-50 to-sky-100")
    with (
        ui.column().classes("w-full min-h-screen items-center justify-center p-4"),
        ui.card().classes("w-full max-w-sm p-6 gap-4 shadow-lg rounded-2xl") as card,
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("directions_run", size="2rem").classes("text-emerald-600")
            ui.label("FitTrack").classes("text-2xl font-bold text-slate-800")
        ui.label(subtitle).classes("text-sm text-slate-500")
        yield card


def field_error(name: str) -> ui.label:
    """A hidden red message line under a field, marked `error-<name>`."""
    label = ui.label("").classes("text-xs text-red-700 -mt-3").mark(f"error-{name}")
    label.set_visibility(False)
    return label
