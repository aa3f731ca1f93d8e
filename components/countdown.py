"""A live countdown (issue 6 §5: "a live countdown"): `countdown(drawing.sales_close, label="Sales close in")`.

It ticks in the browser (components/countdown.js, a small Vue component), so a page full of countdowns costs the
server nothing per second. When it reaches zero it emits "expired" once (`on_expired`), e.g. to re-read the drawing
and switch the "Buy tickets" button off. Shows "2d 04h 13m", "4h 13m 22s" or "13m 22s", then `done`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from nicegui.element import Element

from domain.shared.calendar import PLATFORM_TZ
from domain.shared.enums import DrawingStatus


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch for an aware (UTC) datetime; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def local_time(moment: datetime) -> str:
    """"Sat, Nov 21 · 9:00 PM ET": a moment on the platform clock (America/New_York)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PLATFORM_TZ).strftime("%a, %b %-d · %-I:%M %p ET")


class countdown(Element, component="countdown.js"):  # noqa: N801 (lowercase like ui.* elements)
    """A ticking "time left" label until `deadline` (aware UTC datetime). `label` is read by screen readers
    before the time; the tooltip (`title`) shows the deadline on the platform clock."""

    def __init__(self, deadline: datetime, *, label: str = "", done: str = "now",
                 on_expired: Callable[[], Awaitable[Any] | Any] | None = None) -> None:
        super().__init__()
        self.deadline = deadline
        self._props["deadline"] = epoch_ms(deadline)
        self._props["label"] = label
        self._props["done"] = done
        self._props["title"] = local_time(deadline)
        if on_expired is not None:
            self.on("expired", lambda _: on_expired())

    def set_deadline(self, deadline: datetime) -> None:
        """Count down to another moment."""
        self.deadline = deadline
        self._props["deadline"] = epoch_ms(deadline)
        self._props["title"] = local_time(deadline)
        self.update()


def timing(status: str, open_time: datetime | None, sales_close: datetime, drawing_time: datetime,
           now: datetime) -> tuple[str, datetime | None, str]:
    """What a drawing's clock shows at `now` (UTC): (caption, the moment to count down to or None, a fixed text when
    there is no countdown). Upcoming → "Opens in" (or "Sales close in" once open time passed); open → "Sales close
    in"; closed → "Drawing in"; completed → "Drawn" + the date; cancelled → "Was due" + the date."""
    if status == DrawingStatus.scheduled.value and open_time is not None and open_time > now:
        return "Opens in", open_time, ""
    if status in (DrawingStatus.scheduled.value, DrawingStatus.open.value) and sales_close > now:
        return "Sales close in", sales_close, ""
    if status in (DrawingStatus.open.value, DrawingStatus.closed.value) and drawing_time > now:
        return "Drawing in", drawing_time, ""
    if status == DrawingStatus.completed.value:
        return "Drawn", None, local_time(drawing_time)
    if status == DrawingStatus.cancelled.value:
        return "Was due", None, local_time(drawing_time)
    return "Drawing", None, "any moment now"
