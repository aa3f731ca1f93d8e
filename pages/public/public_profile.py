"""`/u/{id}` — a member's public profile card (PRODUCT.md §5), open to anyone: the name as the member's privacy
allows, tier, join month, points earned and all-time rank on their board. Never email, date of birth, state or
weight (`domain.competition.public_profiles.public_profile` does not read them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from nicegui import ui

from components import theme
from components.page import PageContext, public_page
from domain.competition.public_profiles import PublicProfile, public_profile
from domain.shared.errors import NotFound


def _month(join_month: str) -> str:
    return datetime.strptime(join_month, "%Y-%m").strftime("%B %Y")


def public_card(card: PublicProfile) -> None:
    """The card for one member."""
    with ui.card().classes("w-full max-w-sm p-6 gap-3 shadow-lg rounded-2xl"):
        with ui.row(wrap=False).classes("items-center gap-3"):
            with ui.avatar(color="primary", text_color="white", size="lg"):
                ui.label(card.display_name[:1].upper())
            with ui.column().classes("gap-0 min-w-0"):
                ui.label(card.display_name).classes("text-xl font-bold truncate").mark("name")
                ui.label(f"Member since {_month(card.join_month)}").classes("text-sm text-slate-500") \
                    .mark("joined")
        with ui.element("div").classes("grid grid-cols-3 gap-2 w-full text-center"):
            for label, value, marker in (
                ("Tier", card.tier_code or "OPEN", "tier"),
                ("Points earned", f"{card.points_earned:,}", "points"),
                (f"Rank in {card.board}", f"#{card.alltime_rank}" if card.alltime_rank else "—", "rank"),
            ):
                with ui.column().classes("gap-0 items-center"):
                    ui.label(value).classes("text-lg font-semibold ft-num").mark(marker)
                    ui.label(label).classes("text-xs text-slate-500")


@public_page("/u/{user_id}", title="Member · FitTrack")
async def public_profile_page(ctx: PageContext, user_id: str) -> None:
    theme.apply()
    with ui.column().classes("w-full min-h-screen items-center justify-center p-4 gap-4"):
        card: PublicProfile | None = None
        try:
            card = await ctx.read(public_profile, uuid.UUID(user_id), ctx.today())
        except (ValueError, NotFound):
            card = None
        if card is None:
            ui.label("No such member").classes("text-xl font-semibold").mark("not-found")
        else:
            public_card(card)
        ui.link("FitTrack home", "/").classes("text-sm")
