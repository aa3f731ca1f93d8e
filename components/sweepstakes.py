"""Small sweepstakes widgets and formats shared by the member, public and admin pages: the coloured drawing status
and type pills, the admin status colours, and drawing times on the platform clock (America/New_York)."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from domain.shared.calendar import PLATFORM_TZ

STATUS_STYLE = {  # what members see: status → (label, Quasar colour, icon)
    "scheduled": ("Upcoming", "blue-grey-6", "event"),
    "open": ("Open", "positive", "how_to_vote"),
    "closed": ("Sales closed", "warning", "lock_clock"),
    "completed": ("Drawn", "primary", "emoji_events"),
    "cancelled": ("Cancelled", "grey-6", "block"),
}
ADMIN_STATUS_COLORS = {"draft": "grey-7", "scheduled": "info", "open": "positive", "closed": "warning",
                       "completed": "primary", "cancelled": "negative"}
TZ_LABEL = "ET"


def status_chip(status: str) -> ui.badge:
    """A small coloured status pill ("Open", "Drawn", …)."""
    label, color, _ = STATUS_STYLE.get(status, (status.capitalize(), "grey-6", "info"))
    return ui.badge(label, color=color).props("rounded").classes("px-2 py-1 text-[11px] font-semibold")


def type_chip(drawing_type: str) -> ui.badge:
    """A grey pill with the drawing type ("Weekly")."""
    return ui.badge(drawing_type.capitalize(), color="grey-3", text_color="grey-9").props("rounded") \
        .classes("px-2 py-1 text-[11px] font-medium")


def eastern_time(moment: datetime | None) -> str:
    """`Dec 5, 2026 9:00 PM ET` (platform time zone) as the admin pages show it, or an em dash."""
    if moment is None:
        return "—"
    return f"{moment.astimezone(PLATFORM_TZ):%b %-d, %Y %-I:%M %p} {TZ_LABEL}"
