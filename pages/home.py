"""Stub page (owner: UI helper)."""

from nicegui import ui


@ui.page("/")
def index() -> None:
    ui.label("FitTrack")
