"""`/leaderboard` — the member's tier board or OPEN, per period (daily / weekly / monthly / all-time), past periods
through prev/next and a date picker; the top 100 with the member's row highlighted, and a "You" card with their
rank and the ten places above and below (PRODUCT.md §5).

Live: when points land for a member of the shown board within the shown period, the rows and labels are replaced
in place (`table.rows = ...`), nothing is rebuilt; batches arrive at most every 250 ms (`app.web.realtime`). The page
reads nothing itself then: the app's `app.web.live_boards.BoardHub` reads each affected board once per batch and hands
this page its viewer's cut of the shared rows (issue 12 §2).

First paint (issue 12 §7): the frame, the controls and an empty, "loading" table go out at once; the member's boards
and the board itself are read in the background and filled in over the websocket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from nicegui import background_tasks, ui
from sqlmodel import Session

from app.web import live_boards, realtime
from components.leaderboard_table import leaderboard_table
from components.notice import notice
from components.page import PageContext, member_page
from domain.accounts.tiers import OPEN_TIER
from domain.competition import leaderboards
from domain.points import member_stats
from domain.shared.calendar import PLATFORM_TZ, period_bounds
from domain.shared.enums import Period
from domain.shared.errors import DomainError

PERIOD_LABELS = {Period.daily: "Daily", Period.weekly: "Weekly", Period.monthly: "Monthly", Period.alltime: "All-time"}


@dataclass
class BoardChoice:
    """What the page shows: which board, which period, and a day inside that period."""

    board: str
    period: Period
    day: date


def period_caption(board: leaderboards.Board) -> str:
    if board.period == Period.alltime or board.period_start is None or board.period_end is None:
        return "All-time standings"
    start, end = board.period_start, board.period_end
    if board.period == Period.daily:
        return start.strftime("%A, %b %-d, %Y")
    if board.period == Period.monthly:
        return start.strftime("%B %Y")
    return f"{start.strftime('%b %-d')} – {end.strftime('%b %-d, %Y')}"


def step(choice: BoardChoice, direction: int) -> date:
    """A day in the previous (-1: its last day) or next (+1: its first day) period
    (`domain.shared.calendar.period_bounds`)."""
    if choice.period == Period.alltime:  # one period only (the navigator is hidden)
        return choice.day
    start, end = period_bounds(choice.period, choice.day)
    return start - timedelta(days=1) if direction < 0 else end + timedelta(days=1)


@dataclass(frozen=True)
class PageStart:
    """What the page needs before the first board read: the member's boards, their default board and their latest
    day with data (None without data)."""

    boards: list[str]
    default_board: str
    latest_data_day: date | None


def page_start(session: Session, user_id: uuid.UUID, today: date) -> PageStart:
    """One read for the page's set-up (`leaderboards.boards_for_user`, `default_board`, `latest_data_day`)."""
    own = leaderboards.boards_for_user(session, user_id)
    return PageStart(boards=[*own, OPEN_TIER] if OPEN_TIER not in own else own,
                     default_board=leaderboards.default_board(session, user_id),
                     latest_data_day=member_stats.latest_data_day(session, user_id, today))


def _board_options(boards: list[str]) -> dict[str, str]:
    return {b: ("My tier · " + b if b != OPEN_TIER else "OPEN") for b in boards}


class leaderboard_view:  # noqa: N801
    """Period tabs, board toggle, period navigator, the board and the "You" card; `load()` reads the choice."""

    def __init__(self, ctx: PageContext, boards: list[str], choice: BoardChoice) -> None:
        """Build the elements for `choice` (a period, board and day) among `boards` (the member's boards; may be
        empty and `choice.board` "" until `start` has read them: the first paint needs no database read)."""
        self.ctx = ctx
        self.user_id = ctx.member_id
        self.choice = choice
        self.today = ctx.today()
        self.shown: leaderboards.Board | None = None

        with ui.card().props("flat").classes("ft-card w-full p-0 gap-0"):
            self.tabs = tabs = ui.tabs(value=choice.period.value,  # type: ignore[arg-type]  # a tab name is valid
                                       on_change=lambda e: self.set_period(Period(e.value)))
            with tabs.props("dense align=left active-color=primary indicator-color=primary no-caps") \
                    .classes("w-full text-slate-600 border-b border-slate-200"):
                for period, label in PERIOD_LABELS.items():
                    ui.tab(period.value, label=label)
            with ui.row().classes("w-full items-center gap-3 px-3 py-2"):
                self.board_toggle = ui.toggle(_board_options(boards), value=choice.board or None,
                                              on_change=lambda e: self.set_board(e.value)) \
                    .props("no-caps unelevated dense toggle-color=primary color=white text-color=grey-8") \
                    .props('padding="4px 14px"') \
                    .classes("border border-slate-200 rounded-lg overflow-hidden")
                ui.space()
                with ui.row(wrap=False).classes("items-center gap-0") as self.navigator:
                    ui.button(icon="chevron_left", on_click=lambda: self.set_day(step(self.choice, -1))) \
                        .props('flat round dense aria-label="Previous period"')
                    self.period_label = ui.label().classes("text-sm font-medium text-slate-700 px-1 text-center")
                    self.next_button = ui.button(icon="chevron_right",
                                                 on_click=lambda: self.set_day(step(self.choice, 1))) \
                        .props('flat round dense aria-label="Next period"')
                    with ui.button(icon="event").props('flat round dense aria-label="Pick a date"'), ui.menu():
                        self.picker = ui.date(value=choice.day.isoformat(), on_change=self._picked).props("minimal")

        self.error = notice("cloud_off", kind="error")
        self.error.visible = False

        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-3 gap-3 w-full items-start"):
            with ui.column().classes("lg:col-span-2 gap-2 min-w-0 w-full"):
                with ui.row(wrap=False).classes("w-full items-center justify-between gap-2 px-1"):
                    with ui.column().classes("gap-0 min-w-0"):
                        self.board_title = ui.label().classes("text-base font-semibold truncate")
                        self.board_caption = ui.label().classes("text-xs text-slate-500")
                    with ui.row(wrap=False).classes("items-center gap-1 text-xs text-slate-500 whitespace-nowrap"):
                        ui.icon("circle", size="8px").classes("text-emerald-500 animate-pulse")
                        self.updated = ui.label("Live").mark("updated")
                self.table = leaderboard_table().props("loading").mark("board")
            with ui.card().props("flat").classes("ft-card gap-2 p-4 order-first lg:order-last min-w-0 w-full"):
                with ui.row(wrap=False).classes("items-center gap-2"):
                    ui.icon("person_pin", color="primary", size="sm")
                    ui.label("You").classes("text-base font-semibold")
                with ui.row(wrap=False).classes("items-baseline gap-2"):
                    self.my_rank = ui.label("—").classes("text-4xl font-bold text-slate-900 ft-num").mark("my-rank")
                    self.my_of = ui.label().classes("text-sm text-slate-500")
                self.my_points = ui.label().classes("text-sm text-slate-600 ft-num").mark("my-points")
                ui.separator()
                ui.label("Around you").classes("text-xs font-semibold uppercase tracking-wide text-slate-500")
                self.around = leaderboard_table(empty_text="You are not on this board", compact=True).mark("around")

        hub = ctx.live.boards
        self.watch = hub.watch(self.user_id, self._on_update) if hub is not None else None
        if hub is None:  # a feed without a hub (hand-built contexts): re-read per batch as before
            ctx.on_points(self._on_points, when=self._is_relevant)

    # ----------------------------------------------------------------------------------------- controls
    async def start(self, start: PageStart, board: str | None, period: str | None) -> None:
        """After the first paint: pick the board and period from the member's boards and data (`page_start`, read
        by the caller off the loop), set the controls to them, then load the board."""
        if period in {p.value for p in Period}:
            chosen_period = Period(period)
        else:  # members whose data is older than this week (e.g. replayed 2016 data) start on all-time
            latest = start.latest_data_day
            this_week = period_bounds(Period.weekly, self.today)[0]
            chosen_period = Period.weekly if latest is not None and latest >= this_week else Period.alltime
        self.choice.board = board if board in start.boards else start.default_board
        self.choice.period = chosen_period  # before the controls change: their change handlers then see no change
        self.board_toggle.set_options(_board_options(start.boards), value=self.choice.board)
        self.tabs.set_value(chosen_period.value)
        await self.load()

    async def set_period(self, period: Period) -> None:
        if period == self.choice.period or not self.choice.board:
            return  # set by `start` (or before it): its own load follows
        self.choice.period = period
        await self.load()

    async def set_board(self, board: str) -> None:
        if board == self.choice.board or not board:
            return
        self.choice.board = board
        await self.load()

    async def set_day(self, day: date) -> None:
        if not self.choice.board:
            return
        self.choice.day = min(day, self.today)
        await self.load()

    async def _picked(self, event: Any) -> None:
        if event.value and date.fromisoformat(event.value) != self.choice.day:
            await self.set_day(date.fromisoformat(event.value))

    # ----------------------------------------------------------------------------------------- live
    def _is_relevant(self, batch: realtime.PointsLanded) -> bool:
        start = self.shown.period_start if self.shown else None
        end = self.shown.period_end if self.shown else None
        return batch.touches_board(self.choice.board, start, end) or batch.touches_user(self.user_id)

    async def _on_points(self, _: realtime.PointsLanded) -> None:
        await self.load(live=True)

    def _on_update(self, update: live_boards.BoardUpdate) -> None:
        """A live fan-out (`BoardHub`): this viewer's board, cut from the batch's shared read."""
        board = update.board
        if (board.board, board.period) != (self.choice.board, self.choice.period) or self.shown is None \
                or board.period_start != self.shown.period_start:
            return  # the member switched meanwhile; their own load is on its way
        self.show(board, update.shared)

    # ----------------------------------------------------------------------------------------- data
    async def load(self, *, live: bool = False) -> None:
        choice = BoardChoice(self.choice.board, self.choice.period, self.choice.day)
        if not live:
            self.table.props("loading")
        try:
            board = await self.ctx.read(leaderboards.get_board, board=choice.board, period=choice.period,
                                        day=choice.day, viewer_id=self.user_id, store=self.ctx.system.boards)
        except DomainError as exc:
            self.error.show("Could not load this leaderboard", exc.detail)
            return
        except Exception:
            self.error.show("Could not load this leaderboard", "Please try again in a moment.")
            raise
        finally:
            self.table.props(remove="loading")
        if choice != self.choice:  # the member switched while this was loading; the newer load wins
            return
        self.error.visible = False
        self.show(board)

    def show(self, board: leaderboards.Board, shared: live_boards.SharedBoard | None = None) -> None:
        self.shown = board
        if self.watch is not None:
            self.watch.showing(board, self.choice.day)
        self.navigator.visible = board.period != Period.alltime
        self.period_label.set_text(period_caption(board))
        self.picker.value = self.choice.day.isoformat()
        self.next_button.set_enabled(board.period_end is not None and board.period_end < self.today)
        name = "OPEN" if board.board == OPEN_TIER else board.board
        self.board_title.set_text(f"{name} board" if name != "OPEN" else "OPEN board")
        self.board_caption.set_text(f"{PERIOD_LABELS[board.period]} · {board.total_members:,} member"
                                    f"{'s' if board.total_members != 1 else ''}")
        self.table.set_entries(board.entries, shared)
        self.around.set_entries(board.around_me, shared)
        if board.me is None:
            self.my_rank.set_text("—")
            self.my_of.set_text("not on this board")
            self.my_points.set_text("Opt into OPEN in your profile to compete here." if board.board == OPEN_TIER
                                    else "")
        else:
            self.my_rank.set_text(f"#{board.me.rank:,}")
            self.my_of.set_text(f"of {board.total_members:,}")
            self.my_points.set_text(f"{board.me.points:,} points · {board.me.active_days} active days")
        self.updated.set_text("Live · updated " + datetime.now(PLATFORM_TZ).strftime("%H:%M:%S"))


@member_page("/leaderboard", title="Leaderboard")
async def leaderboard_page(ctx: PageContext, board: str | None = None, period: str | None = None) -> None:
    today = ctx.today()
    shown_period = Period(period) if period in {p.value for p in Period} else Period.weekly
    view = leaderboard_view(ctx, [], BoardChoice(board="", period=shown_period, day=today))

    async def fill() -> None:  # issue 12 §7: no database read before the first paint
        start = await ctx.read(page_start, ctx.member_id, today)
        await view.start(start, board, period)

    background_tasks.create(fill(), name="leaderboard-load")
