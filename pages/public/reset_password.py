"""Forgotten passwords, PRODUCT.md §3: `/forgot-password` (asks for the email; the answer is the same whether or not
it has an account) and `/reset-password?token=…` (the emailed 1 h single-use link: choose a new password; every
browser session of the member ends)."""

from __future__ import annotations

from nicegui import ui

from app.security.ratelimit import RateLimited
from app.services import signup
from components.auth_card import auth_card, field_error
from components.page import PageContext, public_page
from domain.shared.errors import InvalidInput

SENT = "If an account exists for this email, we sent a link to reset its password. It works for 1 hour."


@public_page("/forgot-password", title="Forgot password · FitTrack")
def forgot_password_page(ctx: PageContext) -> None:
    with auth_card("Enter your email and we will send you a link to choose a new password.") as card:
        email = ui.input("Email").props("type=email autocomplete=email outlined autofocus").classes("w-full") \
            .mark("email")
        button = ui.button("Send reset link").props("unelevated size=lg").classes("w-full bg-emerald-600") \
            .mark("send-reset")
        ui.link("Back to sign in", "/login").classes("text-emerald-700 text-sm")

    async def submit() -> None:
        if not (email.value or "").strip():
            return
        button.props("loading")
        try:
            await ctx.call(signup.forgot_password, email.value, ctx.ip)
        except RateLimited as exc:  # issue 13 §6
            button.props(remove="loading")
            ui.notify(exc.detail, type="warning")
            return
        card.clear()
        with card:
            ui.label(SENT).classes("text-sm text-slate-700").mark("reset-sent")
            ui.link("Back to sign in", "/login").classes("text-emerald-700 text-sm")

    button.on_click(submit)
    email.on("keydown.enter", submit)


@public_page("/reset-password", title="Choose a new password · FitTrack")
def reset_password_page(ctx: PageContext, token: str = "") -> None:
    with auth_card("Choose a new password (at least 10 characters, not a common one).") as card:
        password = (ui.input("New password", password=True, password_toggle_button=True)
                    .props("autocomplete=new-password outlined autofocus").classes("w-full").mark("new_password"))
        error = field_error("new_password")
        button = ui.button("Set new password").props("unelevated size=lg").classes("w-full bg-emerald-600") \
            .mark("set-password")

    async def submit() -> None:
        error.set_visibility(False)
        try:
            await ctx.call(signup.reset_password, token, password.value or "")
        except InvalidInput as exc:
            error.set_text(exc.detail)
            error.set_visibility(True)
            return
        card.clear()
        with card:
            ui.label("Your password has been changed.").classes("text-lg font-semibold").mark("password-changed")
            ui.button("Sign in").props("href=/login unelevated size=lg").classes("w-full bg-emerald-600")

    button.on_click(submit)
    password.on("keydown.enter", submit)
