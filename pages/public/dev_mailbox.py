"""The dev outbox (`/dev/mailbox`), issue 4 §2: every email FitTrack queued, newest first, with its status and its
rendered HTML (sanitised) and text. Only outside prod; in prod the page does not exist (404)."""

from __future__ import annotations

from fastapi import HTTPException
from nicegui import ui

from app.settings import Env
from components import theme
from components.page import PageContext, public_page
from domain.messaging import outbox

LIMIT = 100


@public_page("/dev/mailbox", title="Dev mailbox · FitTrack")
async def dev_mailbox_page(ctx: PageContext) -> None:
    if ctx.system.settings.env == Env.prod:
        raise HTTPException(status_code=404, detail="Not Found")
    theme.apply()
    messages, _ = await ctx.read(outbox.list_outbox, limit=LIMIT)
    with ui.column().classes("w-full max-w-3xl mx-auto p-4 gap-3"):
        ui.label("Dev mailbox").classes("text-2xl font-bold")
        ui.label(f"The {LIMIT} newest emails in the outbox (not shown in production).").classes("text-sm")
        if not messages:
            ui.label("No emails yet.").mark("mailbox-empty")
        for message in messages:
            with ui.card().classes("w-full gap-1").mark("mail"):
                ui.label(message.subject).classes("font-semibold").mark("mail-subject")
                ui.label(f"To {message.to_address} · {message.status} · "
                         f"{message.created_at:%Y-%m-%d %H:%M:%S} UTC").classes("text-xs text-slate-500")
                if message.last_error:
                    ui.label(message.last_error).classes("text-xs text-red-700")
                ui.html(message.html_body, sanitize=True).classes("w-full border-t pt-2")
                with ui.expansion("Plain text").classes("w-full text-sm"):
                    ui.label(message.text_body).classes("whitespace-pre-wrap text-xs").mark("mail-text")
