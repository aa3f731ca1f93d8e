"""The link in the verification email (`/verify-email?token=…`), PRODUCT.md §3: confirms the address (24 h,
single-use token) and links to sign in; an unknown, used or expired link says so."""

from __future__ import annotations

from nicegui import ui

from app.services import signup
from components.auth_card import auth_card
from components.page import PageContext, public_page
from domain.shared.errors import InvalidInput


@public_page("/verify-email", title="Confirm your email · FitTrack")
async def verify_email_page(ctx: PageContext, token: str = "") -> None:
    with auth_card("Confirming your email address"):
        try:
            await ctx.call(signup.verify_email, token)
        except InvalidInput as exc:
            ui.label(exc.detail).classes("text-sm text-red-700 bg-red-50 rounded px-3 py-2 w-full") \
                .mark("verify-error")
            ui.link("Create an account", "/register").classes("text-emerald-700 text-sm")
        else:
            ui.label("Your email is confirmed. Welcome to FitTrack!").classes("text-lg font-semibold") \
                .mark("verified")
        ui.button("Sign in").props("href=/login unelevated size=lg").classes("w-full bg-emerald-600") \
            .mark("go-sign-in")
