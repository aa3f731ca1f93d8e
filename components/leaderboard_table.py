"""The leaderboard table: rank, member, points, active days; the viewer's row is highlighted and rows whose points
just changed flash once. `set_entries(...)` replaces the rows in place (no element is rebuilt).

Rows sent to the browser carry `BoardEntry.public_user_id` (a hidden member's id never leaves the server; their row is
keyed by rank instead)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nicegui import ui

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


class leaderboard_table(ui.table):  # noqa: N801
    """A flat table of `BoardEntry` rows keyed by user id; `compact` leaves out the active-days column."""

    def __init__(self, *, empty_text: str = "No members on this board yet", compact: bool = False) -> None:
        columns = [c for c in COLUMNS if not (compact and c["name"] == "active_days")]
        super().__init__(columns=columns, rows=[], row_key="key", pagination=0)
        self.classes("ft-card ft-table w-full").props(f'flat dense hide-pagination no-data-label="{empty_text}"')
        self.add_slot("body", ROW_TEMPLATE)
        self.add_slot("no-data", NO_DATA_SLOT)
        self._points: dict[str, int] = {}  # server side only: points last shown, by user id
        self.updates = 0  # how many times the rows were replaced (one per page reload)

    def set_entries(self, entries: Iterable[BoardEntry]) -> None:
        """Show these entries; rows whose points rose since the last call get a one-off highlight."""
        rows: list[dict[str, Any]] = []
        points: dict[str, int] = {}
        for entry in entries:
            previous = self._points.get(str(entry.user_id))
            points[str(entry.user_id)] = entry.points
            public = entry.public_user_id
            rows.append({
                "key": str(public) if public is not None else f"rank-{entry.rank}",
                "user_id": str(public) if public is not None else None,
                "rank": entry.rank, "member": entry.display_name, "points": entry.points,
                "active_days": entry.active_days, "is_viewer": entry.is_viewer, "hidden": entry.hidden,
                "flash": previous is not None and entry.points > previous,
            })
        self._points = points
        self.updates += 1
        self.rows = rows
