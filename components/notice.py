"""Empty states and readable error messages: an icon, a title, a sentence, optionally an action button."""

from __future__ import annotations

from nicegui import ui

STYLES = {
    "empty": ("text-slate-500", ""),
    "info": ("text-sky-700", "bg-sky-50"),
    "error": ("text-red-700", "bg-red-50"),
}


class notice(ui.card):  # noqa: N801
    """`notice("inbox", "Nothing here yet", "Points appear as soon as your tracker syncs.")`; `kind` is
    "empty", "info" or "error". `show(title, text)` changes the texts and makes it visible."""

    def __init__(self, icon: str, title: str = "", text: str = "", *, kind: str = "empty") -> None:
        super().__init__()
        colour, background = STYLES[kind]
        self.classes(f"ft-card w-full items-center text-center gap-1 py-8 px-4 {background}").props("flat")
        with self:
            ui.icon(icon, size="2.5rem").classes(colour)
            self.title = ui.label(title).classes("text-base font-semibold text-slate-800")
            self.text = ui.label(text).classes("text-sm text-slate-500 max-w-md")
            self.actions = ui.row().classes("justify-center pt-2")

    def show(self, title: str, text: str = "") -> None:
        self.title.set_text(title)
        self.text.set_text(text)
        self.visible = True
