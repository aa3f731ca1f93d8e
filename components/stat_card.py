"""A figure card: icon + title, a big value and a caption (the dashboard, the activity summary, the admin overview).
Shows a skeleton until `set()` is first called, unless built with its `value`."""

from __future__ import annotations

from nicegui import ui


class stat_card(ui.card):  # noqa: N801 (lowercase like ui.* elements)
    """`card = stat_card("Balance", "stars"); card.set("1,250", "points to spend")`, or filled at once with
    `stat_card("Members", "group", value="1,024", caption="…")`. `chevron=True` adds a ">" after the title (for a
    card inside a link). Content added inside `with card.extra:` appears below the caption (e.g. a progress bar).
    An empty caption takes no space."""

    def __init__(self, title: str, icon: str, *, color: str = "primary", value: str | None = None,
                 caption: str = "", chevron: bool = False) -> None:
        super().__init__()
        self.classes("ft-card p-4 gap-1 min-w-0").props("flat")
        self._extra: ui.column | None = None
        self._skeleton: ui.skeleton | None = None
        with self:
            with ui.row(wrap=False).classes("w-full items-center gap-2 text-slate-500"):
                ui.icon(icon, color=color, size="xs")
                ui.label(title).classes("text-xs font-semibold uppercase tracking-wide")
                if chevron:
                    ui.space()
                    ui.icon("chevron_right", size="xs").classes("text-slate-400")
            if value is None:
                self._skeleton = ui.skeleton("text").classes("text-2xl sm:text-3xl w-24")
            self.value = ui.label().classes("text-2xl sm:text-3xl font-bold text-slate-900 leading-tight ft-num")
            self.value.visible = False
            self.caption = ui.label().classes("text-xs text-slate-500")
            self.caption.visible = False
        if value is not None:
            self.set(value, caption)

    @property
    def extra(self) -> ui.column:
        """A column below the caption for more content (created on first use)."""
        if self._extra is None:
            with self:
                self._extra = ui.column().classes("w-full gap-1 p-0")
        return self._extra

    def set(self, value: str, caption: str = "") -> None:
        """Show `value` (and `caption`) in place of the skeleton."""
        if self._skeleton is not None:
            self._skeleton.visible = False
        self.value.visible = True
        self.value.set_text(value)
        self.caption.set_text(caption)
        self.caption.visible = bool(caption)
