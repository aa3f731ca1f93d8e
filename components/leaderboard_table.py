"""The leaderboard table: rank, member, points, active days; the viewer's row is highlighted and rows whose points
just changed flash once. `set_entries(...)` replaces the rows in place (no element is rebuilt).

Live fan-out (issue 12 §2): `set_entries(entries, shared=...)` with the group's `app.web.live_boards.SharedBoard`
takes every row but the viewer's from row dicts built once per batch for all pages showing that board (kept in
`shared.memo`), so a push costs a page a list copy, not a hundred new dicts, and pages keep no rows of their own.

Rows sent to the browser carry `BoardEntry.public_user_id` (a hidden member's id never leaves the server; their row is
keyed by rank instead)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nicegui import ui

from app.web.live_boards import SharedBoard
from components.theme import NO_DATA_SLOT
from domain.competition.leaderboards import BoardEntry

COLUMNS = [
    {"name": "rank", "label": "#", "field": "rank", "align": "left", "headerClasses": "w-12"},
    {"name": "member", "label": "Member", "field": "member", "align": "left"},
    {"name": "points", "label": "Points", "field": "points", "align": "right"},
    {"name": "active_days", "label": "Active days", "field": "active_days", "align": "right",
     "classes": "gt-xs", "headerClasses": "gt-xs"},
]

ROW_TEMPLATE = r"""
<q-tr :props="props" :class="[props.row.is_viewer ? 'ft-viewer' : '', props.row.flash ? 'ft-flash' : '']"
      :key="props.row.key + ':' + props.row.points">
  <q-td key="rank" :props="props">
    <span v-if="props.row.rank <= 3" class="inline-flex items-center justify-center w-6 h-6 rounded-full text-xs
          font-bold text-white" :style="{background: ['#d97706', '#64748b', '#b45309'][props.row.rank - 1]}">
      {{ props.row.rank }}</span>
    <span v-else class="inline-flex items-center justify-center w-6 h-6 text-slate-500">{{ props.row.rank }}</span>
  </q-td>
  <q-td key="member" :props="props">
    <span :class="props.row.hidden ? 'italic text-slate-400' : ''">{{ props.row.member }}</span>
    <q-badge v-if="props.row.is_viewer" color="primary" class="ml-2" label="You" />
  </q-td>
  <q-td key="points" :props="props" class="ft-num font-semibold">{{ props.row.points.toLocaleString() }}</q-td>
  <q-td v-if="props.cols.some(c => c.name === 'active_days')" key="active_days" :props="props"
        class="ft-num gt-xs">{{ props.row.active_days }}</q-td>
</q-tr>
"""


def row_of(entry: BoardEntry, previous: dict[str, int]) -> dict[str, Any]:
    """The row dict the browser gets for `entry`; `flash` when its points rose above `previous` (user id → points
    last shown)."""
    before = previous.get(str(entry.user_id))
    public = entry.public_user_id
    return {
        "key": str(public) if public is not None else f"rank-{entry.rank}",
        "user_id": str(public) if public is not None else None,
        "rank": entry.rank, "member": entry.display_name, "points": entry.points,
        "active_days": entry.active_days, "is_viewer": entry.is_viewer, "hidden": entry.hidden,
        "flash": before is not None and entry.points > before,
    }


class leaderboard_table(ui.table):  # noqa: N801
    """A flat table of `BoardEntry` rows keyed by user id; `compact` leaves out the active-days column (and is the
    "around you" window: live rows flash against the whole board's previous read)."""

    def __init__(self, *, empty_text: str = "No members on this board yet", compact: bool = False) -> None:
        columns = [c for c in COLUMNS if not (compact and c["name"] == "active_days")]
        super().__init__(columns=columns, rows=[], row_key="key", pagination=0)
        self.classes("ft-card ft-table w-full").props(f'flat dense hide-pagination no-data-label="{empty_text}"')
        self.add_slot("body", ROW_TEMPLATE)
        self.add_slot("no-data", NO_DATA_SLOT)
        self._compact = compact
        self._points: dict[str, int] = {}  # server side only: points last shown, by user id (may be shared)
        self.updates = 0  # how many times the rows were replaced (one per page reload)

    def set_entries(self, entries: Iterable[BoardEntry], shared: SharedBoard | None = None) -> None:
        """Show these entries; rows whose points rose since the last call get a one-off highlight. With `shared`
        (a live fan-out), rows of other members come from `shared.memo` (built once for every page)."""
        if shared is not None:
            previous, current = ((shared.previous, shared.points) if self._compact
                                 else (shared.previous_top, shared.points_top))
            if self._points is previous or self._points == previous:
                memo: dict[int, dict[str, Any]] = shared.memo.setdefault(("rows", self._compact), {})
                rows = []
                for entry in entries:
                    if entry.is_viewer:
                        rows.append(row_of(entry, previous))
                        continue
                    row = memo.get(entry.rank)
                    if row is None:
                        row = memo[entry.rank] = row_of(entry, previous)
                    rows.append(row)
                self._points = current
                self._show(rows)
                return
        points: dict[str, int] = {}
        own_rows = []
        for entry in entries:
            own_rows.append(row_of(entry, self._points))
            points[str(entry.user_id)] = entry.points
        self._points = points
        self._show(own_rows)

    def _show(self, rows: list[dict[str, Any]]) -> None:
        # A tuple, not a list: NiceGUI's props wrap lists and dicts into observable copies (per page, per push); a
        # tuple of plain dicts is kept as it is, so the row dicts built once per batch stay shared by every page.
        # Rows are only ever replaced whole, never edited in place.
        self.updates += 1
        self._props["rows"] = tuple(rows)
