"""`/rules/{drawing_id}` — a drawing's official rules (PRODUCT.md §6; issue 6 §3, §5), public: the versioned rules
text (frozen once the drawing opens), plus the facts every sweepstakes must state plainly — no purchase necessary and
how to enter free, odds (your tickets / total tickets), who may enter, the dates, the prizes with their values and
sponsors, how winners are drawn and notified, and the claim window.
"""

from __future__ import annotations

import uuid

from nicegui import ui

from components.countdown import local_time
from components.frame import frame, public_shell
from components.notice import notice
from components.page import PageContext, public_page
from components.sweepstakes import status_chip, type_chip
from components.theme import money
from domain.models import Drawing
from domain.shared.errors import NotFound
from domain.sweepstakes.fulfillment import CLAIM_WINDOW, TAX_FORM_THRESHOLD_USD
from domain.sweepstakes.views import PrizeView, public_drawing


def eligibility_sentence(drawing: Drawing) -> str:
    """The drawing's eligibility JSON in words (tiers, roles, minimum account age)."""
    rules = drawing.eligibility or {}
    parts = ["Active FitTrack members who meet the age and state rules of the Terms (18+, 19 in AL and NE, 21 in "
             "MS; residents of NY, FL and RI excluded)"]
    roles = [str(r) for r in rules.get("roles") or []]
    if roles:
        parts.append("with a " + " or ".join(roles) + " membership")
    tiers = [str(t) for t in rules.get("tiers") or []]
    if tiers:
        parts.append("in tier " + ", ".join(tiers))
    days = int(rules.get("min_account_age_days") or 0)
    if days:
        parts.append(f"whose account is at least {days} days old")
    return ", ".join(parts) + "."


def _section(title: str, *paragraphs: str) -> None:
    ui.label(title).classes("text-base font-semibold text-slate-900 pt-2")
    for text in paragraphs:
        ui.label(text).classes("text-sm text-slate-700 leading-relaxed")


def rules_body(drawing: Drawing, prizes: list[PrizeView]) -> None:
    with ui.card().props("flat").classes("ft-card w-full p-5 sm:p-6 gap-2").mark("rules"):
        with ui.row().classes("items-center gap-2"):
            status_chip(drawing.status)
            type_chip(drawing.drawing_type)
            ui.label(f"Official rules · version {drawing.rules_version}").classes("text-xs text-slate-500") \
                .mark("rules-version")
        ui.label(drawing.name).classes("text-xl font-bold text-slate-900")
        if drawing.rules_frozen_at:
            ui.label(f"These rules were frozen when the drawing opened ({local_time(drawing.rules_frozen_at)}) and "
                     "can no longer change.").classes("text-xs text-slate-500")
        with ui.element("div").classes("w-full rounded-xl bg-sky-50 p-4 my-2").mark("no-purchase"):
            ui.label("NO PURCHASE NECESSARY. A purchase does not improve your chances of winning.") \
                .classes("text-sm font-bold text-slate-900")
            ui.label("Free alternate method of entry: every eligible member may claim one free entry per drawing "
                     "with the \"Enter free\" button on the drawing's page (or POST /api/v1/drawings/{id}/free-entry)."
                     " A free entry is a ticket like any other, with exactly the same odds.") \
                .classes("text-sm text-slate-700")
        _section("Who may enter", eligibility_sentence(drawing))
        opens = local_time(drawing.open_time) if drawing.open_time else "when published"
        _section("Dates", f"Entries open {opens}. Sales and free entries close {local_time(drawing.sales_close)}. "
                          f"Winners are drawn {local_time(drawing.drawing_time)} (times US Eastern).")
        _section("How to enter",
                 f"Buy tickets with points ({drawing.ticket_cost_points:,} points each; tickets are final and "
                 "numbered in order of entry) or claim your one free entry. Premium membership never improves odds.")
        _section("Odds", "Your odds of winning a prize draw are your tickets divided by the total number of tickets "
                         "entered (free entries included). The total is shown live on the drawing's page. One prize "
                         "per member per drawing.")
        lines = [f"#{p.prize.prize_rank} {p.prize.name}" + (f" × {p.prize.quantity}" if p.prize.quantity > 1 else "")
                 + f" — approximate retail value {money(p.prize.value_usd)}"
                 + (" each" if p.prize.quantity > 1 else "")
                 + (f", sponsored by {p.sponsor_name}" if p.sponsor_name else "") for p in prizes]
        _section("Prizes", *(lines or ["Prizes will be announced before the drawing opens."]))
        _section("How winners are drawn",
                 "Verifiably: a secret server seed is committed (its SHA-256 published) when the drawing opens, the "
                 "ticket list is frozen and hashed at sales close, and winners are picked with the published recipe; "
                 "the seed is revealed after the draw so anyone can recompute the winners "
                 f"(see the results page, /results/{drawing.id}). If nobody enters, the drawing is cancelled.")
        _section("Winners",
                 f"Winners are notified in the app and by email. Physical prizes need a confirmed US shipping address "
                 f"within {CLAIM_WINDOW.days} days (a reminder is sent after 7); otherwise the prize is forfeited and "
                 "an alternate winner is drawn from the same frozen ticket list. Digital prizes are delivered as a "
                 f"code. Prizes worth ${TAX_FORM_THRESHOLD_USD:,.0f} or more require a tax form.")
        if drawing.rules_text:
            ui.separator().classes("my-3")
            ui.label("Full text").classes("text-base font-semibold text-slate-900")
            ui.label(drawing.rules_text).classes("text-sm text-slate-700 whitespace-pre-line leading-relaxed") \
                .mark("rules-text")


@public_page("/rules/{drawing_id}", with_user=True)
async def rules_page(ctx: PageContext, drawing_id: str) -> None:
    found: tuple[Drawing, list[PrizeView]] | None = None
    try:
        found = await ctx.read(public_drawing, uuid.UUID(drawing_id))
    except (ValueError, NotFound):
        found = None
    title = f"Official rules · {found[0].name}" if found else "Official rules"
    if ctx.user is not None:
        with frame(ctx, title):
            if found:
                ui.link("← Back to the drawing", f"/drawings/{found[0].id}").classes("text-sm text-primary -mt-2")
                rules_body(*found)
            else:
                notice("search_off", "No such drawing", "The link may be mistyped.").mark("not-found")
        return
    public_shell(title)
    with ui.column().classes("w-full max-w-3xl mx-auto px-3 py-4 sm:px-6 gap-4"):
        if found:
            rules_body(*found)
        else:
            notice("search_off", "No such drawing", "The link may be mistyped.").mark("not-found")
