"""A figure card: icon + title, a big value and a caption. Shows a skeleton until `set()` is first called."""

from __future__ import annotations

from nicegui import ui


class stat_card(ui.card):  # noqa: N801 (lowercase like ui.* elements)
    """`card = stat_card("Balance", "stars"); card.set("1,250", "points to spend")`. Content added inside
    `with card.extra:` appears below the caption (e.g. a progress bar)."""

    def __init__(self, title: str, icon: str, *, color: str = "primary") -> None:
        super().__init__()
        self.classes("ft-card p-4 gap-1 min-w-0").props("flat")
        with self:
            with ui.row(wrap=False).classes("items-center gap-2 text-slate-500"):
                ui.icon(icon, color=color, size="xs")
                ui.label(title).classes("text-xs font-semibold uppercase tracking-wide")
            self._skeleton = ui.skeleton("text").classes("text-2xl sm:text-3xl w-24")
            self.value = ui.label().classes("text-2xl sm:text-3xl font-bold text-slate-900 leading-tight ft-num")
            self.value.visible = False
            self.caption = ui.label().classes("text-xs text-slate-500")
            self.extra = ui.column().classes("w-full gap-1 p-0")

    def set(self, value: str, caption: str = "") -> None:
        """Show `value` (and `caption`) in place of the skeleton."""
        self._skeleton.visible = False
        self.value.visible = True
        self.value.set_text(value)
        self.caption.set_text(caption)
