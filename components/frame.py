"""The shared page layout: `with frame(ctx, "Leaderboard"): ...` (after NiceGUI's examples/modularization); the page
decorators of `components.page` open it around member and admin pages.

Header: the FitTrack brand, the member's point balance (live: it updates when their points land), the dark-mode
toggle, sign-out. Left drawer: navigation (Dashboard, Leaderboard, Activity; Admin → Overview, Users, Review queue for
admins); on screens narrower than 1024 px it is hidden and opened with the menu button. The content column below is
where the page goes.

Dark mode is remembered per member (`profiles.dark_mode`, `domain.accounts.users.set_dark_mode`): the page applies it
with `ui.dark_mode(value)` once the header data is read. `app.storage.user` keeps a copy (with the member's id) only so
that the next page paints in the right mode at once; the database value always wins.

`public_shell(title)` is the slim header of public pages (results, official rules) seen signed out.
"""

from __future__ import annotations

import functools
import html
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nicegui import app, background_tasks, ui
from sqlmodel import Session

from app.web import auth
from components import theme
from components.notifications_bell import notifications_bell
from domain.accounts import users
from domain.points import member_stats
from domain.shared.enums import Role
from domain.shared.errors import DomainError

if TYPE_CHECKING:
    from components.page import PageContext

NAVIGATION = [("Dashboard", "/", "space_dashboard"), ("Leaderboard", "/leaderboard", "leaderboard"),
              ("Sweepstakes", "/drawings", "redeem"), ("Activity", "/activity", "directions_walk"),
              ("Trackers", "/connections", "watch"), ("Profile", "/profile", "person"),
              ("Settings", "/settings", "settings")]
ADMIN_NAVIGATION = [("Overview", "/admin", "insights"), ("Users", "/admin/users", "group"),
                    ("Review queue", "/admin/review", "fact_check"),
                    ("Drawings", "/admin/drawings", "confirmation_number"),
                    ("Sponsors", "/admin/sponsors", "storefront"),
                    ("Fulfillment", "/admin/fulfillment", "local_shipping"),
                    ("Change requests", "/admin/requests", "edit_note"), ("Mail outbox", "/admin/mail", "outbox"),
                    ("Audit log", "/admin/audit", "manage_search"), ("System", "/admin/system", "monitor_heart")]
DRAWER_BREAKPOINT = 1024
DARK_MODE_KEY = "dark_mode"  # app.storage.user: {"user": "<id>", "value": true|false|null} (a paint hint only)
SYSTEM_PREFERS_DARK = "window.matchMedia('(prefers-color-scheme: dark)').matches"


@dataclass(frozen=True)
class _HeaderData:
    header: member_stats.MemberHeader
    dark_mode: bool | None


def _header_data(session: Session, user_id: uuid.UUID) -> _HeaderData:
    return _HeaderData(member_stats.member_header(session, user_id), users.dark_mode_of(session, user_id))


def _remembered_dark_mode(user_id: uuid.UUID) -> bool | None:
    hint = app.storage.user.get(DARK_MODE_KEY)
    if isinstance(hint, dict) and hint.get("user") == str(user_id):
        value = hint.get("value")
        return value if isinstance(value, bool) else None
    return None


def _remember_dark_mode(user_id: uuid.UUID, value: bool | None) -> None:
    app.storage.user[DARK_MODE_KEY] = {"user": str(user_id), "value": value}


class dark_mode_toggle:  # noqa: N801
    """The header's light/dark button. Starts from the paint hint; `apply(value)` sets the member's stored choice;
    a click flips the mode that is showing (asking the browser when it follows the system) and saves it."""

    def __init__(self, ctx: PageContext, user_id: uuid.UUID) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.dark = ui.dark_mode(_remembered_dark_mode(user_id))
        self.button = ui.button(on_click=self.toggle) \
            .props('flat round dense color=white aria-label="Toggle dark mode"').mark("dark-toggle")
        with self.button:
            self.tooltip = ui.tooltip("")
        self._show_icon()

    def _show_icon(self) -> None:
        dark = self.dark.value
        self.button.props(f"icon={'light_mode' if dark else 'dark_mode'}")
        self.tooltip.set_text("Switch to light mode" if dark else "Switch to dark mode")

    def apply(self, value: bool | None) -> None:
        self.dark.set_value(value)
        _remember_dark_mode(self.user_id, value)
        self._show_icon()

    async def toggle(self) -> None:
        showing = self.dark.value
        if showing is None:  # following the system: flip what the member actually sees
            try:
                showing = bool(await ui.run_javascript(SYSTEM_PREFERS_DARK, timeout=2))
            except TimeoutError:
                showing = False
        value = not showing
        self.apply(value)
        member = await self.ctx.member()
        if member is None:
            return
        try:
            await self.ctx.write(users.set_dark_mode, member.id, value)
        except DomainError as exc:
            ui.notify(f"Could not save your display setting: {exc.detail}", type="warning")


def _current_path() -> str:
    try:
        return ui.context.client.request.url.path
    except (AttributeError, RuntimeError):
        return ""


@functools.lru_cache(maxsize=64)
def _nav_item_content(label: str, icon: str) -> str:
    return (f'<q-item-section avatar class="min-w-0 pr-3"><q-icon name="{html.escape(icon)}" size="sm" />'
            f'</q-item-section><q-item-section><div>{html.escape(label)}</div></q-item-section>')


def _nav_item(label: str, target: str, icon: str, active: bool) -> None:
    """One drawer link: a `ui.item` whose icon and label are a template slot (the same markup the section, icon and
    label elements rendered): links have no server-side handler, so a page keeps one element per link instead of
    five (issue 12 §2: memory per connected page)."""
    ui.item().props(f'clickable href="{target}"').classes("ft-active" if active else "") \
        .add_slot("default", _nav_item_content(label, icon))


@contextmanager
def frame(ctx: PageContext, title: str) -> Iterator[ui.column]:
    """Build header, drawer and content column for a member page; yields the content column.

    `ctx.user` is the signed-in member (as the page guard read it for this request). The balance shown is the cached
    ledger balance, then the balance each "points landed" batch carries for this member (`LiveFeed.watch_balance`).
    """
    user = ctx.user
    if user is None:
        raise RuntimeError("frame() needs a signed-in user")

    async def _sign_out() -> None:
        await auth.sign_out(ctx.system)
        ui.navigate.to(auth.LOGIN_PATH)

    theme.apply()
    ui.page_title(f"{title} · FitTrack")
    path = _current_path()
    is_admin = user.role == Role.admin.value

    # value=False + show-if-above: Quasar opens it on wide screens by itself (no JS round trip on connect).
    # No bg-white: Quasar paints the drawer itself (white, or the dark colour in dark mode).
    drawer = ui.left_drawer(value=False, bordered=True) \
        .props(f"show-if-above width=240 breakpoint={DRAWER_BREAKPOINT}").classes("p-0 pt-3")
    with ui.header().classes("items-center no-wrap gap-0.5 sm:gap-1 px-2 sm:px-3 py-2 bg-primary text-white shadow-sm"):
        ui.button(icon="menu", on_click=drawer.toggle) \
            .props('flat round dense color=white aria-label="Menu"').classes("lg:hidden")
        with ui.link(target="/").classes("flex items-center gap-2 text-white no-underline px-1"):
            ui.icon("bolt", size="sm").classes("bg-white/20 rounded-lg p-1")
            ui.label("FitTrack").classes("text-lg font-bold tracking-tight")
        ui.space()
        with ui.row(wrap=False).classes("items-center gap-1 bg-white/15 rounded-full pl-2 pr-3 py-1") \
                .tooltip("Your point balance"):
            ui.icon("stars", size="xs")
            balance = ui.label(f"{user.point_balance:,}").classes("font-semibold ft-num").mark("balance")
            ui.label("pts").classes("text-xs opacity-80")
        notifications_bell(ctx, user.id)
        dark_toggle = dark_mode_toggle(ctx, user.id)
        ui.button(icon="logout", on_click=_sign_out) \
            .props('flat round dense color=white aria-label="Sign out"').tooltip("Sign out")

    with drawer, ui.column().classes("w-full h-full gap-0 no-wrap"):
        with ui.row(wrap=False).classes("items-center gap-3 px-4 pb-3"):
            with ui.avatar(color="primary", text_color="white", size="md").classes("font-semibold"):
                initial = ui.label("")
            with ui.column().classes("gap-0 min-w-0"):
                name = ui.label("").classes("font-semibold text-slate-900 truncate")
                tier = ui.label("").classes("text-xs text-slate-500")
        ui.separator()
        # admins get both menus: dense rows so both fit a laptop screen without scrolling the drawer
        with ui.list().props("dense" if is_admin else "").classes("ft-nav w-full pt-2"):
            for label, target, icon in NAVIGATION:
                _nav_item(label, target, icon, path == target)
            if is_admin:
                ui.item_label("Admin").props("header").classes("text-xs uppercase tracking-wide pt-3 pb-1")
                for label, target, icon in ADMIN_NAVIGATION:
                    nested = target != "/admin" and path.startswith(f"{target}/")
                    _nav_item(label, target, icon, path == target or nested)
        ui.space()
        with ui.list().classes("ft-nav w-full pb-3"), ui.item(on_click=_sign_out):
            with ui.item_section().props("avatar").classes("min-w-0 pr-3"):
                ui.icon("logout", size="sm")
            with ui.item_section():
                ui.label("Sign out")

    async def load_header() -> None:
        data = await ctx.read(_header_data, user.id)
        header = data.header
        dark_toggle.apply(data.dark_mode)
        name.set_text(header.display_name)
        initial.set_text(header.display_name[:1].upper())
        tier.set_text(f"Tier {header.tier_code}" if header.tier_code else "OPEN tier")
        balance.set_text(f"{header.balance:,}")

    background_tasks.create(load_header(), name="frame-header")
    # issue 12 §2: the new balance comes with the live message (no read per page); only this member's pages hear it
    ctx.live.watch_balance(user.id, lambda value: balance.set_text(f"{value:,}"))

    with ui.column().classes("w-full max-w-6xl mx-auto px-3 py-4 sm:px-6 sm:py-6 gap-4") as content:
        ui.label(title).classes("text-2xl font-bold text-slate-900 tracking-tight")
        yield content


def public_shell(title: str) -> None:
    """A slim header for public pages (results, official rules) seen signed out."""
    theme.apply()
    ui.page_title(f"{title} · FitTrack")
    with ui.header().classes("items-center gap-2 px-4 py-2 bg-primary text-white shadow-sm"):
        with ui.link(target="/").classes("flex items-center gap-2 text-white no-underline"):
            ui.icon("bolt", size="sm").classes("bg-white/20 rounded-lg p-1")
            ui.label("FitTrack").classes("text-lg font-bold tracking-tight")
        ui.space()
        ui.button("Sign in", on_click=lambda: ui.navigate.to("/login")) \
            .props("flat no-caps color=white").mark("public-sign-in")
